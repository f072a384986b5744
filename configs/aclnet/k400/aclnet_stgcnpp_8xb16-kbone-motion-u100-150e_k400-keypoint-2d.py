# ACLNet on Kinetics-400, ST-GCN++, k-bone motion stream: the joint-stream
# config with SkeletonFeat(feats=['km']) in its pipelines.
#
# Augmentation as the ACLNet authors' public config for Kinetics-400, this
# stream: no joint swap or limb drop.
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_k400-keypoint-2d.py'

clip_len = {{_base_.clip_len}}
train_pipeline = [
    dict(type='DecompressPose', squeeze=True, max_person=2),
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['km']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecompressPose', squeeze=True, max_person=2),
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['km']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=1,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecompressPose', squeeze=True, max_person=2),
    dict(type='Coco17To20'),
    dict(type='SkeletonFeat', layout='coco20', feats=['km']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=10,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
