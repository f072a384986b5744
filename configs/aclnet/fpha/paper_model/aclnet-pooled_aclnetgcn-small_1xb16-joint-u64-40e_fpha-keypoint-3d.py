# The equations-recipe ACLNet config beside this file (aclnet-equations_)
# with the contrastive losses fed by the pooled feature the classifier sees
# (one 256-d projection of it for both losses), as this project's drop-in
# head does on any backbone, instead of the last block's topology.
# Everything else is identical.
_base_ = './aclnet-equations_aclnetgcn-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

model = dict(
    backbone=dict(out_topology=False),
    cls_head=dict(
        contrast_input='feature',
        num_joints=None))
