# Ablation of ACLNet on F-PHAB (small ST-GCN++, joint stream), the paper's
# "+intra" row: the intra-class marginal contrastive loss alone. The inter
# loss has weight 0 and no Motion Families are computed (no hook).
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

model = dict(
    cls_head=dict(
        loss_inter=dict(type='AffinityContrastLoss', loss_weight=0.)))
custom_hooks = []
