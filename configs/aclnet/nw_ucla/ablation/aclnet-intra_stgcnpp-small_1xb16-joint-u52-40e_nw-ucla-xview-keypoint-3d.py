# Ablation of ACLNet on NW-UCLA (small ST-GCN++, joint stream), the paper's
# "+intra" row: the intra-class marginal contrastive loss alone. The inter
# loss has weight 0 and no Motion Families are computed (no hook).
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

model = dict(
    cls_head=dict(
        loss_inter=dict(type='AffinityContrastLoss', loss_weight=0.)))
custom_hooks = []
