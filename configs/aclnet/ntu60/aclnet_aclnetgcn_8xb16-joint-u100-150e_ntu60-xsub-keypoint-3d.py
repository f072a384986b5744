# ACLNet as the paper builds it, on NTU RGB+D 60, cross-subject, joint stream:
# the ST-GCN++ config of this split and stream with the authors' backbone
# (ACLNetGCN) and the head fed by its last block's learned topology, trained as
# the authors' public code trains it (recipe='authors'; both in
# ../_base_/models/aclnetgcn.py). Data, augmentation and schedule (150 epochs,
# cosine by iteration, no warm-up, families from epoch 30) are those of the
# ST-GCN++ config.
_base_ = [
    './aclnet_stgcnpp_8xb16-joint-u100-150e_ntu60-xsub-keypoint-3d.py',
    '../_base_/models/aclnetgcn.py'
]

model = dict(
    backbone={{_base_.aclnetgcn_3d}},
    cls_head={{_base_.topology_head_3d}})
