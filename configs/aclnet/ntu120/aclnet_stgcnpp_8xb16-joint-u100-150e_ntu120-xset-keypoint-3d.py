# ACLNet on NTU RGB+D 120, cross-setup, ST-GCN++, joint stream: the config of
# NTU RGB+D 120, cross-subject with the xset_train / xset_val splits. The other
# streams, variants and the baseline of this split inherit it.
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_ntu120-xsub-keypoint-3d.py'

# Augmentation as the ACLNet authors' public config for NTU RGB+D 120,
# cross-setup, this stream: no joint swap or limb drop.
clip_len = {{_base_.clip_len}}
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
train_dataloader = dict(dataset=dict(dataset=dict(split='xset_train',
    pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(split='xset_val',
    pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(split='xset_val',
    pipeline=test_pipeline))
