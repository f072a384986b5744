# ACLNet for person re-identification on KGBD (real Kinect v1 walks of 164
# people), closed set: every person's walks split into training, gallery and
# probe walks (tools/data/kgbd_to_pyskl.py, seeded). The model learns to
# classify the 164 identities from 40-frame windows of the training walks;
# at test time the probe walks are ranked against the gallery walks by the
# cosine similarity of their embeddings (rank-1, rank-5, mAP; per 40-frame
# clip and per walk). The baseline beside this file is the same network
# trained with cross-entropy alone. Results: README.md beside it.
#   python tools/data/kgbd_to_pyskl.py ../shared/datasets/kgbd/kgbd_walks.tar.xz \
#       --out-dir data/skeleton
#   mim train mmaction configs/aclnet/kgbd/<this file>
_base_ = 'mmaction::_base_/default_runtime.py'

custom_imports = dict(imports=['aclnet_plugin'], allow_failed_imports=False)

ann_file = 'data/skeleton/kgbd_reid.pkl'
num_classes = 164  # identities in training
clip_len = 40  # frames, the paper's re-id setting (1.3 s at 30 fps)
test_clips = 10  # windows spread over each walk at test time
# A training walk gives one random window per pass; 10 passes per runner
# epoch, 16 runner epochs: 160 passes ("160e" in the name).
repeat_times = 10
max_epochs = 16
# The method fitted to 164 identities: K = 10 and n_a = 4 as the paper uses
# for 60-120 classes; families from runner epoch 4 of 16 (the paper's fifth,
# rounded up). A batch of 16 windows rarely holds two of one person, so a
# queue of 1024 recent embeddings (about 6 per identity) gives the intra
# loss its positives, as the public code does for NTU-120.
num_neighbors = 10
overlap_threshold = 4
family_start_epoch = 4
memory_size = 1024

# Kinect v1, 20 joints in the SDK order (aclnet_plugin layout 'nw-ucla',
# written out): 0 hip centre, 1 spine, 2 shoulder centre, 3 head, 4-7 left
# arm, 8-11 right arm, 12-15 left leg, 16-19 right leg.
kinect_v1_layout = dict(
    num_node=20,
    inward=[(0, 1), (1, 2), (3, 2), (4, 2), (5, 4), (6, 5), (7, 6), (8, 2),
            (9, 8), (10, 9), (11, 10), (12, 0), (13, 12), (14, 13), (15, 14),
            (16, 0), (17, 16), (18, 17), (19, 18)],
    center=1)

model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        base_channels=16,
        num_person=1,
        gcn_adaptive='init',
        gcn_with_res=True,
        tcn_type='mstcn',
        graph_cfg=dict(layout=kinect_v1_layout, mode='spatial')),
    cls_head=dict(
        type='AffinityContrastHead',
        num_classes=num_classes,
        in_channels=64,
        num_neighbors=num_neighbors,
        overlap_threshold=overlap_threshold,
        memory_size=memory_size,
        # retrieval by the embedding the contrastive losses shape
        test_embedding='projection'))

# Every frame is centred on the hip centre and turned about the vertical (y)
# axis so that the hips face the same way (the walks follow a half circle);
# body size stays in metres (it identifies people too). Training adds the
# usual gait augmentations: a mirror (left and right swapped, x negated), 5 mm
# of joint noise and a random window (temporal jitter).
normalize = dict(type='NormalizeSequence', center_joints=[0],
                 yaw_joints=[16, 12], vertical_axis=1)
meta_keys = ('frame_dir', 'subject', 'sequence')
train_pipeline = [
    normalize,
    dict(type='SkeletonFlip', layout='nw-ucla', p=0.5, axis=0),
    dict(type='JointNoise', std=0.005),
    dict(type='SkeletonFeat', layout='nw-ucla', feats=['j']),
    dict(type='SampleFrames', clip_len=clip_len, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs', meta_keys=meta_keys)
]
test_pipeline = [
    normalize,
    dict(type='SkeletonFeat', layout='nw-ucla', feats=['j']),
    dict(type='SampleFrames', clip_len=clip_len, num_clips=test_clips,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs', meta_keys=meta_keys)
]

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='RepeatDataset',
        times=repeat_times,
        dataset=dict(
            type='PoseDataset',
            ann_file=ann_file,
            pipeline=train_pipeline,
            split='train')))
# probe and gallery walks together; the metric tells them apart by the
# pickle's 'probe' and 'gallery' splits
test_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PoseDataset',
        ann_file=ann_file,
        pipeline=test_pipeline,
        split='test',
        test_mode=True))
val_dataloader = test_dataloader

test_evaluator = [
    dict(type='EmbeddingRetrievalMetric', mode='splits', ann_file=ann_file,
         probe_split='probe', gallery_split='gallery')
]
val_evaluator = test_evaluator

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
    val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0005,
        nesterov=True))

custom_hooks = [
    dict(type='MotionFamilyHook', start_epoch=family_start_epoch)
]
default_hooks = dict(
    checkpoint=dict(interval=max_epochs // 4, max_keep_ckpts=1,
                    save_best='retrieval/sequence/rank1', rule='greater'),
    logger=dict(interval=50),
    # the data checked against the model before the first iteration, and a
    # stop at the first non-finite loss
    data_check=dict(type='DataCheckHook'),
    finite_loss=dict(type='FiniteLossHook'))
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=16)
