# ACLNet on NTU RGB+D 120, cross-subject, ST-GCN++, joint motion stream: the
# joint-stream config with SkeletonFeat(feats=['jm']) in its pipelines.
#
# Augmentation as the ACLNet authors' public config for NTU RGB+D 120,
# cross-subject, this stream: a left/right joint swap (p = 0.5, coordinates not
# mirrored).
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_ntu120-xsub-keypoint-3d.py'

clip_len = {{_base_.clip_len}}
train_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='RandomRot', theta=0.2),
    dict(type='SkeletonFlip', layout='nturgb+d', p=0.5, axis=None),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['jm']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['jm']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=1,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['jm']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=10,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
