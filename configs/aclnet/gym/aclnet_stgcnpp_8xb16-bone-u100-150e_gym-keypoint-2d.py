# ACLNet on FineGYM (99 element classes), ST-GCN++, bone (joint minus its
# parent) stream: the joint-stream config with SkeletonFeat(feats=['b']) in its
# pipelines. Written by tools/misc/generate_configs.py.
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_gym-keypoint-2d.py'

train_pipeline = [
    dict(type='Coco17To20'),
    dict(type='PreNormalize2D'),
    dict(type='SkeletonFeat', layout='coco20', feats=['b']),
    dict(type='UniformSampleFrames', clip_len=100),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='Coco17To20'),
    dict(type='PreNormalize2D'),
    dict(type='SkeletonFeat', layout='coco20', feats=['b']),
    dict(type='UniformSampleFrames', clip_len=100,
         num_clips=1, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='Coco17To20'),
    dict(type='PreNormalize2D'),
    dict(type='SkeletonFeat', layout='coco20', feats=['b']),
    dict(type='UniformSampleFrames', clip_len=100,
         num_clips=10, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]

train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
