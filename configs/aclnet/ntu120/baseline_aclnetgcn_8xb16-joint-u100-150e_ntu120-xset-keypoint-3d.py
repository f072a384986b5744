# Baseline for ACLNet on NTU RGB+D 120, cross-setup, the paper's model
# (ACLNetGCN, topology input), joint stream: the ACLNet config beside this file
# with the stock GCNHead (no projection, no contrastive losses) and no
# MotionFamilyHook (the backbone returns no topology); data, backbone and
# schedule are the same.
_base_ = './aclnet_aclnetgcn_8xb16-joint-u100-150e_ntu120-xset-keypoint-3d.py'

model = dict(
    backbone=dict(out_topology=False),
    cls_head=dict(
        _delete_=True,
        type='GCNHead',
        num_classes={{_base_.num_classes}},
        in_channels=384))
custom_hooks = []
