# ACLNet on PKU-MMD phase 1 (51 actions), cross-subject, ST-GCN++, k-bone
# (joint minus its grandparent) stream: the joint-stream config with
# SkeletonFeat(feats=['k']) in its pipelines. Written by
# tools/misc/generate_configs.py.
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_pku-mmd-xsub-keypoint-3d.py'

train_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='RandomRot', theta=0.2),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['k']),
    dict(type='UniformSampleFrames', clip_len=100),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['k']),
    dict(type='UniformSampleFrames', clip_len=100,
         num_clips=1, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='SkeletonFeat', layout='nturgb+d', feats=['k']),
    dict(type='UniformSampleFrames', clip_len=100,
         num_clips=10, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]

train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
