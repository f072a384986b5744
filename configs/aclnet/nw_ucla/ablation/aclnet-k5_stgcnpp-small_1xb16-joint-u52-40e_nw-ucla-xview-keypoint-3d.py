# Ablation of ACLNet on NW-UCLA (small ST-GCN++, joint stream): broader Motion
# Families from K = 5 instead of 3, with n_a = 2 (threshold 0.4, the paper's
# ratio n_a / K): the 5 classes a class is most often taken for, plus every
# class sharing at least 3 of those 5. The counterpart of aclnet-k1: it asks
# whether the family's breadth moves the result at all. Temperature bands
# from K (<= 5, <= 10, > 10). Everything else as the ACLNet config.
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

model = dict(cls_head=dict(num_neighbors=5, overlap_threshold=2))
