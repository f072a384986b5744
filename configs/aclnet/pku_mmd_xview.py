# Short name for ACLNet, ST-GCN++, joint stream, on PKU-MMD, cross-view.
#   mim train mmaction configs/aclnet/pku_mmd_xview.py
_base_ = './pku_mmd/aclnet_stgcnpp_8xb16-joint-u50-150e_pku-mmd-xview-keypoint-3d.py'
