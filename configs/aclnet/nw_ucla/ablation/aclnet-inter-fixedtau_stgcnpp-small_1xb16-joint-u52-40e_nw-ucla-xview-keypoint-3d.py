# Ablation of ACLNet on NW-UCLA (small ST-GCN++, joint stream), the paper's
# "+inter" row: the inter-class affinity loss at one temperature for every
# family (0.1, the paper's contrastive temperature and the smallest band of
# the family-aware one; with K = 3 most NW-UCLA families have 4-6 members and
# would get 0.5), and no intra-class loss.
_base_ = './aclnet-inter_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

model = dict(
    cls_head=dict(
        family_temperature=dict(
            type='FamilyAwareTemperature', temperatures=(0.1, ))))
