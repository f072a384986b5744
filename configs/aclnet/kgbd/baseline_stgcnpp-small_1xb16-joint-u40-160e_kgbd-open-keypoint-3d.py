# The baseline of the open-set ACLNet config beside this file: identity
# cross-entropy alone, retrieval by the pooled feature (see the closed-set
# baseline).
_base_ = './aclnet_stgcnpp-small_1xb16-joint-u40-160e_kgbd-open-keypoint-3d.py'

model = dict(
    cls_head=dict(
        loss_inter=dict(type='AffinityContrastLoss', loss_weight=0.),
        loss_intra=dict(
            type='MarginalContrastLoss',
            margin=0.1,
            temperature=0.1,
            loss_weight=0.),
        memory_size=0,
        test_embedding='feature'))
custom_hooks = []
