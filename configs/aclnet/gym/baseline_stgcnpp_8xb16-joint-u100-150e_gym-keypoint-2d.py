# Baseline for ACLNet on FineGYM (99 element classes), ST-GCN++, joint stream:
# the ACLNet config beside this file with the stock GCNHead (no projection, no
# contrastive losses) and no MotionFamilyHook; data, backbone and schedule are
# the same. Written by tools/misc/generate_configs.py.
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_gym-keypoint-2d.py'

model = dict(
    cls_head=dict(
        _delete_=True,
        type='GCNHead',
        num_classes=99,
        in_channels=256))
custom_hooks = []
