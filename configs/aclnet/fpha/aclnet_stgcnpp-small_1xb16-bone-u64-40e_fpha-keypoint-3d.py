# ACLNet on F-PHAB, bone (joint minus its parent) stream: the joint-stream
# config with SkeletonFeat(feats=['b']) in its pipelines. The streams that make
# sense for a hand are the joints, the bones (the finger segments and the palm)
# and their motions. The k-bone streams are left out: for the five finger bases
# a k-bone is the bone again (their parent, the wrist, is the root), so they
# add less than for a body; add them as these files do if you want them.
_base_ = './aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

# The joint config's pipelines, their SkeletonFeat step set to ['b']; the
# dataloaders hold the joint config's pipelines, so they are given these.
train_pipeline = [
    dict(step, feats=['b']) if step.type == 'SkeletonFeat' else step
    for step in _base_.train_pipeline
]
val_pipeline = [
    dict(step, feats=['b']) if step.type == 'SkeletonFeat' else step
    for step in _base_.val_pipeline
]
test_pipeline = [
    dict(step, feats=['b']) if step.type == 'SkeletonFeat' else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
