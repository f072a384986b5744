# ACLNet on NW-UCLA cross-view, joint stream, full size: CTR-GCN (the
# backbone of the FR-Head baseline, published 94.4 top-1 on this stream) and
# the usual recipe of the CTR-GCN line of work: centre on the spine, random
# rotation and scaling, 52 frames, the training set repeated 5 times per
# epoch, batch 16, SGD nesterov lr 0.1, 65 epochs with 5 of warm-up.
# Name: 325e = 65 runner epochs x RepeatDataset(times=5).
# Needs a GPU (hours on a CPU). Baseline: the baseline_ctrgcn_... file.
_base_ = './aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

max_epochs = 65
warmup_epochs = 5
# Families from runner epoch 13 of 65, a fifth as in the paper (30 of 150).
family_start_epoch = 13

model = dict(
    backbone=dict(
        _delete_=True,
        type='CTRGCN',
        graph_cfg={{_base_.model.backbone.graph_cfg}},
        in_channels=3),
    cls_head=dict(in_channels=256))

train_pipeline = [
    dict(type='FastPreNormalize3D', zaxis=[0, 1], xaxis=[8, 4]),
    dict(type='CenterOnJoint', joint=1),  # as the small configs
    dict(type='RandomRot', theta=0.3),
    dict(type='RandomScale', scale=0.1),
    dict(type='SkeletonFeat', layout='nw-ucla', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=52),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=5,
        dataset=dict(
            type='PoseDataset',
            ann_file={{_base_.ann_file}},
            pipeline=train_pipeline,
            split='xview_train')))
val_dataloader = dict(num_workers=4)
test_dataloader = dict(num_workers=4)

train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, T_max=max_epochs -
         warmup_epochs, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True)
]
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=0.0004))
custom_hooks = [
    dict(
        type='MotionFamilyHook',
        start_epoch=family_start_epoch,
        class_names={{_base_.class_names}})
]
default_hooks = dict(checkpoint=dict(interval=5))
