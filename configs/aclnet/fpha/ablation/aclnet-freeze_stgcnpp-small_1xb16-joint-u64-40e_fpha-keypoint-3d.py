# A remedy tried for ACLNet's seed-to-seed swing (README.md beside the
# configs): over five seeds, the runs that lost to their baseline were those
# whose families and temperatures kept changing late in training. Here the
# families are recomputed up to epoch 20 (half of training) and then kept
# (confusion counting stops). Everything else is the ACLNet config.
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

custom_hooks = [
    dict(
        type='MotionFamilyHook',
        start_epoch={{_base_.family_start_epoch}},
        class_names={{_base_.class_names}},
        freeze_epoch=20)
]
