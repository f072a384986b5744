# Ablation of ACLNet on F-PHAB (small ST-GCN++, joint stream), the paper's
# "+inter +FAT" row: the inter-class affinity loss with family-aware
# temperatures, and no intra-class marginal loss (its weight 0).
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

model = dict(
    cls_head=dict(
        loss_intra=dict(
            type='MarginalContrastLoss',
            margin=0.1,
            temperature=0.1,
            loss_weight=0.)))
