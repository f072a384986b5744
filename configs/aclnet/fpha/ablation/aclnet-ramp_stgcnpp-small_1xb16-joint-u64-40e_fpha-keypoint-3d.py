# A remedy tried for ACLNet's seed-to-seed swing (README.md beside the
# configs): the inter-class loss is ramped in over the first 8 epochs with
# families (a fifth of training) instead of switching on at full weight.
# Everything else is the ACLNet config.
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

custom_hooks = [
    dict(
        type='MotionFamilyHook',
        start_epoch={{_base_.family_start_epoch}},
        class_names={{_base_.class_names}},
        inter_warmup=8)
]
