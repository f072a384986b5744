# Short name for ACLNet as the paper builds it (the authors' backbone, the
# topology-fed losses), joint stream, on FineGYM.
#   mim train mmaction configs/aclnet/finegym.py
_base_ = './gym/aclnet_aclnetgcn_8xb16-joint-u100-150e_gym-keypoint-2d.py'
