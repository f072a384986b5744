# Baseline for ACLNet on PKU-MMD phase 1 (51 actions), cross-view, ST-GCN++,
# bone (joint minus its parent) stream: the ACLNet config beside this file with
# the stock GCNHead (no projection, no contrastive losses) and no
# MotionFamilyHook; data, backbone and schedule are the same. Written by
# tools/misc/generate_configs.py.
_base_ = './aclnet_stgcnpp_8xb16-bone-u100-150e_pku-mmd-xview-keypoint-3d.py'

model = dict(
    cls_head=dict(
        _delete_=True,
        type='GCNHead',
        num_classes=51,
        in_channels=256))
custom_hooks = []
