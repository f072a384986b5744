# ACLNet (affinity contrastive learning) on Kinetics-400 (2D HRNet skeletons),
# with an ST-GCN++ backbone, joint stream: the complete config of Kinetics. The
# other streams and the baseline beside it inherit it and change one thing
# each.
#
# Data: k400_hrnet.pkl (PySKL format) in data/skeleton/.
# k400_hrnet.pkl is a table of contents: the keypoints of a video are in their
# own file data/skeleton/kpfiles/<frame_dir>.pkl (PoseDataset's data_prefix),
# one row per detected person and frame, which DecompressPose unpacks. PySKL
# ships them as a few big kpfiles; split those with
#   python tools/misc/split_k400_kpfiles.py KPFILES data/skeleton/kpfiles
# Elsewhere:
#   mim train mmaction configs/aclnet/k400/<this file> \
#     --cfg-options train_dataloader.dataset.dataset.ann_file=PKL \
#     val_dataloader.dataset.ann_file=PKL \
#     test_dataloader.dataset.ann_file=PKL \
#     train_dataloader.dataset.dataset.data_prefix.skeleton=DIR \
#     val_dataloader.dataset.data_prefix.skeleton=DIR \
#     test_dataloader.dataset.data_prefix.skeleton=DIR
# Train on 8 GPUs x 16 clips:
#   mim train mmaction configs/aclnet/k400/<this file> \
#     --launcher pytorch --gpus 8
_base_ = '../_base_/schedule_sgd_150e.py'

custom_imports = dict(imports=['aclnet_plugin'], allow_failed_imports=False)

ann_file = 'data/skeleton/k400_hrnet.pkl'
kpfile_dir = 'data/skeleton/kpfiles'
num_classes = 400
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
        # A queue of recent embeddings joins the intra-class contrast.
        # Kinetics: 2048, as the public code; ~5 per class.
        memory_size=2048))

# DecompressPose keeps the two most confident persons of every frame (sorted by
# keypoint score when a frame has more). Coco17To20 adds the three centre
# joints and merges the score into the keypoints. As in the ACLNet authors'
# public configs for 2D skeletons, the coordinates stay raw pixels (no
# PreNormalize2D) and no joint swap or limb drop is added. The stream is
# computed on the whole clip, before sampling; scores are averaged, not
# differenced.
train_pipeline = [
    dict(type='DecompressPose', squeeze=True, max_person=2),
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecompressPose', squeeze=True, max_person=2),
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['j']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=1,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecompressPose', squeeze=True, max_person=2),
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['j']),
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
            data_prefix=dict(skeleton=kpfile_dir),
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
        data_prefix=dict(skeleton=kpfile_dir),
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
        data_prefix=dict(skeleton=kpfile_dir),
        pipeline=test_pipeline,
        split='val',
        test_mode=True))

