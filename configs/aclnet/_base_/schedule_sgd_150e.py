# ACLNet's training schedule from the paper, shared by the complete benchmark
# configs (which set model and data): SGD, cosine, 150 epochs, Motion Families
# from epoch 30.
_base_ = 'mmaction::_base_/default_runtime.py'

# Schedule: the paper's 150 epochs are 30 runner epochs over
# RepeatDataset(times=5) (5 x 30 = 150, the "150e" of the name): runner epoch e
# (1-based, as logged) is paper epochs 5e-4 to 5e.
repeat_times = 5
max_epochs = 30
# The affinity starts at paper epoch 30 of 150 = runner epoch 6 of 30:
# confusions are counted in runner epoch 6 (paper epochs 26-30), the first
# Motion Families are computed at its end and the inter-class loss acts from
# runner epoch 7 (paper epoch 31) on.
family_start_epoch = 6

# Logs acc/top1, acc/top5 and acc/mean1 (mean-class accuracy).
val_evaluator = [dict(type='AccMetric')]
test_evaluator = val_evaluator

train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        eta_min=0,
        T_max=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]
# The paper: SGD with nesterov momentum 0.9, weight decay 5e-4, lr 0.1 for a
# batch of 64, scaled linearly: 8 GPUs x 16 = 128 -> lr 0.2. With another total
# batch add --auto-scale-lr (lr x batch / 128) or set the lr.
optim_wrapper = dict(
    optimizer=dict(
        type='SGD',
        lr=0.2,
        momentum=0.9,
        weight_decay=0.0005,
        nesterov=True))
auto_scale_lr = dict(enable=False, base_batch_size=128)

# Counts confusions and recomputes the Motion Families, in runner epochs (see
# family_start_epoch). Class names for its log and JSON: --cfg-options
# custom_hooks.0.class_names=FILE (one name a line).
custom_hooks = [
    dict(type='MotionFamilyHook', start_epoch=family_start_epoch)
]
default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=3, save_best='auto'),
    logger=dict(interval=100),
    # Checks the data against the model before the first iteration,
    # baselines included (off: default_hooks.data_check.enabled=False).
    data_check=dict(type='DataCheckHook'),
    # Stops at the first non-finite loss, naming epoch, iteration and term
    # (off: default_hooks.finite_loss.enabled=False).
    finite_loss=dict(type='FiniteLossHook'))
