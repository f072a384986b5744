# Short name for ACLNet as the paper builds it (the authors' backbone, the
# topology-fed losses), joint stream, on Kinetics-400.
#   mim train mmaction configs/aclnet/kinetics.py
_base_ = './k400/aclnet_aclnetgcn_8xb16-joint-u100-150e_k400-keypoint-2d.py'
