# ACLNet (affinity contrastive learning) on NTU RGB+D 60, cross-subject, with
# an ST-GCN++ backbone, joint stream: the complete config of NTU RGB+D 60. The
# other streams, the cross-view split, the CTR-GCN variant and the baselines
# beside it inherit it and change one thing each.
#
# Data: ntu60_3danno.pkl (PySKL format) in data/skeleton/. Elsewhere:
#   mim train mmaction configs/aclnet/ntu60/<this file> \
#     --cfg-options train_dataloader.dataset.dataset.ann_file=PKL \
#     val_dataloader.dataset.ann_file=PKL test_dataloader.dataset.ann_file=PKL
# Train on 8 GPUs x 16 clips:
#   mim train mmaction configs/aclnet/ntu60/<this file> --launcher pytorch \
#     --gpus 8
_base_ = '../_base_/schedule_sgd_150e.py'

custom_imports = dict(imports=['aclnet_plugin'], allow_failed_imports=False)

ann_file = 'data/skeleton/ntu60_3danno.pkl'
num_classes = 60
clip_len = 100

# 3D: 25 Kinect v2 joints, (x, y, z) each, on the 'nturgb+d' graph.
model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        in_channels=3,
        gcn_adaptive='init',
        gcn_with_res=True,
        tcn_type='mstcn',
        graph_cfg=dict(layout='nturgb+d', mode='spatial')),
    cls_head=dict(
        type='AffinityContrastHead',
        num_classes=num_classes,
        in_channels=256,
        # The paper's settings, written out: a 256-d projection, K = 10
        # confused classes, n_a = 4 (family threshold 0.4), prototype momentum
        # 0.9, lambda1 = lambda2 = 0.1, margin 0.1, tau 0.1, family
        # temperatures 0.1 / 0.5 / 1.0.
        embed_dim=256,
        num_neighbors=10,
        overlap_threshold=4,
        prototype_momentum=0.9,
        loss_inter=dict(type='AffinityContrastLoss', loss_weight=0.1),
        loss_intra=dict(
            type='MarginalContrastLoss',
            margin=0.1,
            temperature=0.1,
            loss_weight=0.1),
        family_temperature=dict(
            type='FamilyAwareTemperature',
            temperatures=(0.1, 0.5, 1.0)),
        # A queue of recent embeddings joins the intra-class contrast: with 60
        # classes a batch of 16 rarely holds two samples of a class. 512, as
        # the public code; the queue holds ~8 per class.
        memory_size=512))

# The recipe of the ACLNet authors' public configs for 3D skeletons:
# PreNormalize3D (here the plugin's FastPreNormalize3D: the same results,
# vectorised, about 100x faster on NTU clips), then in training a random
# rotation of up to 0.2 rad about each axis; this stream (NTU-60 X-Sub, joint)
# adds neither a left/right joint swap nor a limb drop. The stream is computed
# on the whole clip, before sampling. FastUniformSampleFrames samples exactly
# as mmaction's UniformSampleFrames, without its dead per-frame loop.
train_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='RandomRot', theta=0.2),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=1,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=10,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='RepeatDataset',
        times={{_base_.repeat_times}},
        dataset=dict(
            type='PoseDataset',
            ann_file=ann_file,
            pipeline=train_pipeline,
            split='xsub_train')))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PoseDataset',
        ann_file=ann_file,
        pipeline=val_pipeline,
        split='xsub_val',
        test_mode=True))
test_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PoseDataset',
        ann_file=ann_file,
        pipeline=test_pipeline,
        split='xsub_val',
        test_mode=True))
