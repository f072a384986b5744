# The baseline of the ACLNet config beside this file: the same network
# trained with the identity cross-entropy alone (both contrastive losses at
# weight 0, no MotionFamilyHook) and retrieval by the pooled feature the
# classifier sees, the usual embedding of an ID-loss model.
_base_ = './aclnet_stgcnpp-small_1xb16-joint-u40-80e_casia-b-keypoint-2d.py'

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
