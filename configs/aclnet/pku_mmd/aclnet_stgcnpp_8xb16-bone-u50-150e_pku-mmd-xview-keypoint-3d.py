# ACLNet on PKU-MMD, cross-view, ST-GCN++, bone (joint minus its parent)
# stream: the joint-stream config with SkeletonFeat(feats=['b']) in its
# pipelines.
#
# Augmentation as the ACLNet authors' public config for PKU-MMD, cross-view,
# this stream: a limb drop (p = 0.2, one arm or leg zeroed over the clip).
_base_ = './aclnet_stgcnpp_8xb16-joint-u50-150e_pku-mmd-xview-keypoint-3d.py'

clip_len = {{_base_.clip_len}}
train_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='RandomRot', theta=0.2),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['b']),
    dict(type='LimbDrop', layout='nturgb+d', p=0.2,
         limbs=['left_arm', 'right_arm', 'left_leg', 'right_leg']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['b']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=1,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='FastPreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['b']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=10,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
