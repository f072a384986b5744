# Short name for ACLNet as the paper builds it (the authors' backbone, the
# topology-fed losses), joint stream, on NTU RGB+D 60, cross-view.
#   mim train mmaction configs/aclnet/ntu60_xview.py
_base_ = './ntu60/aclnet_aclnetgcn_8xb16-joint-u100-150e_ntu60-xview-keypoint-3d.py'
