# Short name for ACLNet, ST-GCN++, joint stream, on Kinetics-400.
#   mim train mmaction configs/aclnet/kinetics.py
_base_ = './k400/aclnet_stgcnpp_8xb16-joint-u100-150e_k400-keypoint-2d.py'
