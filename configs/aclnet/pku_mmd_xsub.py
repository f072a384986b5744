# Short name for ACLNet, ST-GCN++, joint stream, on PKU-MMD, cross-subject.
#   mim train mmaction configs/aclnet/pku_mmd_xsub.py
_base_ = './pku_mmd/aclnet_stgcnpp_8xb16-joint-u50-150e_pku-mmd-xsub-keypoint-3d.py'
