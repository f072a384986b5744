# ACLNet on F-PHAB set as the authors' public code sets what this head has
# knobs for: prototypes from correctly classified samples only, the intra
# margin in the public code's units (0.01 in cosine terms, against the
# paper's 0.1) and a memory queue of recent embeddings (360 = 8 per class,
# the public code's ratio for NTU). Differences that remain: the public code
# embeds the last block's learned adjacency, not the pooled feature; it has
# two separate projections for the two losses; and it also counts
# false-positive confusions. Everything else is the ACLNet config.
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

model = dict(
    cls_head=dict(
        prototype_samples='correct',
        loss_intra=dict(
            type='MarginalContrastLoss',
            margin=0.01,
            temperature=0.1,
            loss_weight=0.1),
        memory_size=360))
