# ACLNet (affinity contrastive learning) on FineGYM (99 element classes), with
# an ST-GCN++ backbone, joint stream: the complete config of FineGYM. The other
# streams and the baseline beside it inherit it and change one thing each.
#
# Data: gym_hrnet.pkl (PySKL format) in data/skeleton/.
# One athlete per clip (ground-truth boxes), so one person. The paper reports
# mean-class accuracy: acc/mean1 in the log, which also picks the best
# checkpoint.
# Elsewhere:
#   mim train mmaction configs/aclnet/gym/<this file> \
#     --cfg-options train_dataloader.dataset.dataset.ann_file=PKL \
#     val_dataloader.dataset.ann_file=PKL \
#     test_dataloader.dataset.ann_file=PKL
# Train on 8 GPUs x 16 clips:
#   mim train mmaction configs/aclnet/gym/<this file> \
#     --launcher pytorch --gpus 8
_base_ = '../_base_/schedule_sgd_150e.py'

custom_imports = dict(imports=['aclnet_plugin'], allow_failed_imports=False)

ann_file = 'data/skeleton/gym_hrnet.pkl'
num_classes = 99
clip_len = 100

# 2D: the 17 COCO keypoints plus hip centre, shoulder centre and their midpoint
# (Coco17To20), (x, y, score) each, on the 'coco20' graph of
# aclnet_plugin.datasets.layouts (get_layout('coco20').graph_cfg(), written
# out).
model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        in_channels=3,
        gcn_adaptive='init',
        gcn_with_res=True,
        tcn_type='mstcn',
        graph_cfg=dict(
            layout=dict(
                num_node=20,
                inward=[[0, 18], [1, 0], [2, 0], [3, 1], [4, 2], [5, 18],
                        [6, 18], [7, 5], [8, 6], [9, 7], [10, 8], [11, 17],
                        [12, 17], [13, 11], [14, 12], [15, 13], [16, 14],
                        [17, 19], [18, 19]],
                center=19),
            mode='spatial')),
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
        # A queue of recent embeddings joins the intra-class contrast. FineGYM:
        # 1024, our choice: 99 classes, close to NTU-120's 120, so NTU-120's
        # queue; ~10 per class.
        memory_size=1024))

# Coco17To20 adds the three centre joints and merges the score into the
# keypoints. As in the ACLNet authors' public configs for 2D skeletons, the
# coordinates stay raw pixels (no PreNormalize2D) and no joint swap or limb
# drop is added. The stream is computed on the whole clip, before sampling;
# scores are averaged, not differenced.
train_pipeline = [
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=1,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=10,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
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
            split='train')))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PoseDataset',
        ann_file=ann_file,
        pipeline=val_pipeline,
        split='val',
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
        split='val',
        test_mode=True))

# Keep the best checkpoint by acc/mean1.
default_hooks = dict(checkpoint=dict(save_best='acc/mean1'))
