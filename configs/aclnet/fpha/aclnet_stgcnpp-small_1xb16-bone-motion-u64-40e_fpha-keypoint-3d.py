# ACLNet on F-PHAB, bone motion stream: the joint-stream config with
# SkeletonFeat(feats=['bm']) in its pipelines. The streams that make sense for
# a hand are the joints, the bones (the finger segments and the palm) and their
# motions. The k-bone streams are left out: for the five finger bases a k-bone
# is the bone again (their parent, the wrist, is the root), so they add less
# than for a body; add them as these files do if you want them.
_base_ = './aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

clip_len = {{_base_.clip_len}}
train_pipeline = [
    dict(type='CenterOnJoint', joint=0),
    dict(type='RandomRot', theta=0.2),
    dict(type='SkeletonFeat', layout='fpha-hand', feats=['bm']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='CenterOnJoint', joint=0),
    dict(type='SkeletonFeat', layout='fpha-hand', feats=['bm']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=1,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='CenterOnJoint', joint=0),
    dict(type='SkeletonFeat', layout='fpha-hand', feats=['bm']),
    dict(type='FastUniformSampleFrames', clip_len=clip_len, num_clips=10,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
