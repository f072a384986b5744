# ACLNet as the paper builds it and its authors' code trains it, on NW-UCLA
# cross-view (10 actions), at a width that trains on 2 CPU cores: the
# authors' backbone (ACLNetGCN) at base 16 channels instead of 96 ("small":
# 16, 32, 64 channels, 8 learned graphs a block) on the Kinect v1 layout, its
# last block's learned topology (20 x 20 = 400 values) feeding both
# contrastive losses through their own projections, the head in the authors'
# recipe (recipe='authors': the public code's confusion counts, Motion
# Families, prototypes, intra contrast set and refresh schedule), the intra
# margin in its units (0.01 in cosine terms) and a memory queue (80 = 8 per
# class, the public code's NTU ratio). Schedule, data and method settings
# (K = 3, n_a = 1, families from epoch 8 of 40) are those of the small
# ST-GCN++ config one folder up, so the arms compare with its tables. The
# configs beside it differ only in the losses:
#   baseline_...          cross-entropy alone (stock GCNHead, no hook)
#   aclnet-equations_...  the same model in the equations recipe
#   aclnet-pooled_...     the equations recipe fed by the pooled feature
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ACLNetGCN',
        graph_cfg=dict(layout='nw-ucla'),
        base_channels=16,
        out_topology=True),
    cls_head=dict(
        contrast_input='topology',
        num_joints=20,
        recipe='authors',
        loss_intra=dict(
            type='MarginalContrastLoss',
            margin=0.01,
            temperature=0.1,
            loss_weight=0.1),
        memory_size=80))
# Logs alpha, beta and the size of the last block's topology every epoch
# (in all three arms), to see how the learned graph grows.
custom_hooks = [
    dict(
        type='MotionFamilyHook',
        start_epoch={{_base_.family_start_epoch}},
        class_names={{_base_.class_names}}),
    dict(type='TopologyMonitorHook')
]
