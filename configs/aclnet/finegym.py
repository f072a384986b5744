# Short name for ACLNet, ST-GCN++, joint stream, on FineGYM.
#   mim train mmaction configs/aclnet/finegym.py
_base_ = './gym/aclnet_stgcnpp_8xb16-joint-u100-150e_gym-keypoint-2d.py'
