# Ablation of ACLNet on NW-UCLA (small ST-GCN++, joint stream), the paper's
# "+inter +FAT" row: the inter-class affinity loss with family-aware
# temperatures, and no intra-class marginal loss (its weight 0). Everything
# else is the ACLNet config it inherits; compare with the baseline beside it:
#   python tools/benchmark_accuracy.py <baseline> <aclnet> <the ablations>
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

model = dict(
    cls_head=dict(
        loss_intra=dict(
            type='MarginalContrastLoss',
            margin=0.1,
            temperature=0.1,
            loss_weight=0.)))
