# Ablation of ACLNet on NW-UCLA (small ST-GCN++, joint stream): a memory
# queue of the 256 most recent embeddings (about 25 per class, a quarter of an
# epoch) joins the intra-class loss's contrast set as extra positives and
# negatives. A batch of 16 over 10 classes already holds a positive for most
# anchors, so this asks whether more negatives help. Everything else as the
# ACLNet config.
_base_ = '../aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

model = dict(cls_head=dict(memory_size=256))
