# Short name for ACLNet as the paper builds it (the authors' backbone, the
# topology-fed losses), joint stream, on PKU-MMD, cross-view.
#   mim train mmaction configs/aclnet/pku_mmd_xview.py
_base_ = './pku_mmd/aclnet_aclnetgcn_8xb16-joint-u50-150e_pku-mmd-xview-keypoint-3d.py'
