# The full-size ACLNet config (CTR-GCN, full width) on a schedule that fits a
# CPU: 16 runner epochs x RepeatDataset(times=5) = 80 data epochs instead of
# 325, everything else as in the 325e file it inherits. About two hours on
# one CPU core per run (measured 116-138 min on a 2-core machine, the baseline
# training beside it).
# Baseline: baseline_ctrgcn_1xb16-joint-u52-80e_... beside this file.
_base_ = './aclnet_ctrgcn_1xb16-joint-u52-325e_nw-ucla-xview-keypoint-3d.py'

max_epochs = 16
warmup_epochs = 1
# Families from runner epoch 4 of 16 (data epoch 16 of 80), a fifth of the
# schedule as in the paper (30 of 150) and the 325e file (13 of 65).
family_start_epoch = 4

train_cfg = dict(max_epochs=max_epochs, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, T_max=max_epochs -
         warmup_epochs, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True)
]
custom_hooks = [
    dict(
        type='MotionFamilyHook',
        start_epoch=family_start_epoch,
        class_names={{_base_.class_names}})
]
default_hooks = dict(checkpoint=dict(interval=4))
