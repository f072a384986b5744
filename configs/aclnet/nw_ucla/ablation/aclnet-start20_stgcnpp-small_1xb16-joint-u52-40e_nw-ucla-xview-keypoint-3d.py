# Ablation of ACLNet on NW-UCLA (small ST-GCN++, joint stream): Motion
# Families from epoch 20 of 40 (half of the schedule) instead of 8 (a fifth,
# the paper's 30 of 150), so confusion is counted on a model that already
# fits most of the training set. Everything else as the ACLNet config.
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

custom_hooks = [
    dict(
        type='MotionFamilyHook',
        start_epoch=20,
        class_names={{_base_.class_names}})
]
