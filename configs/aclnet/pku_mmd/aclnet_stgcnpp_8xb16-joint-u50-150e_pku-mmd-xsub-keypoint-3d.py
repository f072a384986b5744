# ACLNet (affinity contrastive learning) on PKU-MMD phase 1 (51 actions),
# cross-subject, with an ST-GCN++ backbone, joint stream: the complete config
# of PKU-MMD. The other streams, the cross-view split and the baseline beside
# it inherit it and change one thing each.
#
# Data: pku_mmd_3d.pkl in data/skeleton/, your own PySKL-format pickle of the
# segmented actions of PKU-MMD phase 1: 25 Kinect v2 joints (the NTU RGB+D
# layout), splits xsub_train, xsub_val, xview_train, xview_val, labels 0-50.
# Elsewhere:
#   mim train mmaction configs/aclnet/pku_mmd/<this file> \
#     --cfg-options train_dataloader.dataset.dataset.ann_file=PKL \
#     val_dataloader.dataset.ann_file=PKL test_dataloader.dataset.ann_file=PKL
# Train on 8 GPUs x 16 clips:
#   mim train mmaction configs/aclnet/pku_mmd/<this file> --launcher pytorch \
#     --gpus 8
_base_ = '../_base_/schedule_sgd_150e.py'

custom_imports = dict(imports=['aclnet_plugin'], allow_failed_imports=False)

ann_file = 'data/skeleton/pku_mmd_3d.pkl'
num_classes = 51
# 50 frames, as the public configs for PKU-MMD (100 elsewhere).
clip_len = 50

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
        # A queue of recent embeddings joins the intra-class contrast: with 51
        # classes a batch of 16 rarely holds two samples of a class. 512, our
        # choice (51 classes, close to NTU-60's 60, so NTU-60's queue); ~10
        # per class.
        memory_size=512))

# The recipe of the ACLNet authors' public configs for 3D skeletons:
# PreNormalize3D (here the plugin's FastPreNormalize3D: the same results,
# vectorised, about 100x faster on NTU clips), then in training a random
# rotation of up to 0.2 rad about each axis, and for every PKU-MMD stream a
# limb drop: with p = 0.2 one random limb (an arm or a leg) is zeroed over the
# whole clip, in the stream's features. The stream is computed on the whole
# clip, before sampling. FastUniformSampleFrames samples exactly as mmaction's
# UniformSampleFrames, without its dead per-frame loop.
train_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='RandomRot', theta=0.2),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['j']),
    dict(type='LimbDrop', layout='nturgb+d', p=0.2,
         limbs=['left_arm', 'right_arm', 'left_leg', 'right_leg']),
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
