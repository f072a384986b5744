# Baseline for ACLNet on NTU RGB+D 60, cross-subject, CTR-GCN, joint stream:
# the ACLNet config beside this file with the stock GCNHead (no projection, no
# contrastive losses) and no MotionFamilyHook; data, backbone and schedule are
# the same.
_base_ = './aclnet_ctrgcn_8xb16-joint-u100-150e_ntu60-xsub-keypoint-3d.py'

model = dict(
    cls_head=dict(
        _delete_=True,
        type='GCNHead',
        num_classes={{_base_.num_classes}},
        in_channels=256))
custom_hooks = []
