# The paper's model, as its authors' code trains it: the backbone and the
# head's contrastive input. A config takes the pieces for its skeleton into
# an ST-GCN++ config of the same data (the generated aclnet_aclnetgcn_*
# configs do):
#   model = dict(backbone={{_base_.aclnetgcn_3d}},
#                cls_head={{_base_.topology_head_3d}})
#
# ACLNetGCN: 10 blocks of 96, 192 and 384 channels (time strided by 2 at
# blocks 5 and 8), 8 learned V x V graphs a block (no physical skeleton)
# refined per sample by a channel-wise and an adaptive term scaled by alpha
# and beta (both 0 at the start), a 6-branch temporal unit with a
# global-joint column, a 'VC' input BN. out_topology=True also returns the
# last block's sample-dependent topology, averaged over persons and channels:
# V x V values a sample.
aclnetgcn_3d = dict(
    _delete_=True,
    type='ACLNetGCN',
    in_channels=3,
    base_channels=96,
    graph_cfg=dict(layout='nturgb+d'),  # 25 Kinect v2 joints
    out_topology=True)
aclnetgcn_2d = dict(
    _delete_=True,
    type='ACLNetGCN',
    in_channels=3,  # x, y, score
    base_channels=96,
    graph_cfg=dict(layout='coco20'),  # COCO-17 + 3 centre joints
    out_topology=True)

# The head fed by that topology, trained as the authors' public code trains
# it (recipe='authors': its confusion counts, Motion Families, prototypes,
# intra contrast set and refresh schedule, point by point; see
# aclnet_plugin/models/recipes.py): each contrastive loss through its own
# Linear(V * V, 256); the classifier sees the pooled 384-d feature. The intra
# margin in the code's units (0.1 in logits at tau 0.1 = 0.01 in cosine
# terms) is written out because the ST-GCN++ config it goes into sets the
# paper's 0.1. The rest (K = 10, n_a = 4, the losses' weights, the memory
# queue of the dataset) is the ACLNet config's.
topology_head_3d = dict(
    in_channels=384,
    contrast_input='topology',
    num_joints=25,
    recipe='authors',
    loss_intra=dict(
        type='MarginalContrastLoss',
        margin=0.01,
        temperature=0.1,
        loss_weight=0.1))
topology_head_2d = dict(topology_head_3d, num_joints=20)
