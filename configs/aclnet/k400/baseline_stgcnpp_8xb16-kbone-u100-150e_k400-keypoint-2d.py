# Baseline for ACLNet on Kinetics-400 (2D HRNet skeletons), ST-GCN++, k-bone
# (joint minus its grandparent) stream: the ACLNet config beside this file with
# the stock GCNHead (no projection, no contrastive losses) and no
# MotionFamilyHook; data, backbone and schedule are the same. Written by
# tools/misc/generate_configs.py.
_base_ = './aclnet_stgcnpp_8xb16-kbone-u100-150e_k400-keypoint-2d.py'

model = dict(
    cls_head=dict(
        _delete_=True,
        type='GCNHead',
        num_classes=400,
        in_channels=256))
custom_hooks = []
