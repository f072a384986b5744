# ACLNet (affinity contrastive learning) on NTU RGB+D 120, cross-subject, with
# an ST-GCN++ backbone, joint stream: the config of NTU RGB+D 60, cross-subject
# (same skeletons, model and recipe) with this data file, classes, splits and
# queue, which the other streams, the CTR-GCN variants and the baselines beside
# it inherit. Written by tools/misc/generate_configs.py.
#
# Data: ntu120_3danno.pkl (PySKL format) in data/skeleton/.
# Elsewhere:
#   mim train mmaction configs/aclnet/ntu120/<this file> \
#     --cfg-options train_dataloader.dataset.dataset.ann_file=PKL \
#     val_dataloader.dataset.ann_file=PKL \
#     test_dataloader.dataset.ann_file=PKL
# Train on 8 GPUs x 16 clips:
#   mim train mmaction configs/aclnet/ntu120/<this file> \
#     --launcher pytorch --gpus 8
_base_ = '../ntu60/aclnet_stgcnpp_8xb16-joint-u100-150e_ntu60-xsub-keypoint-3d.py'

ann_file = 'data/skeleton/ntu120_3danno.pkl'
num_classes = 120

model = dict(
    cls_head=dict(
        num_classes=num_classes,
        # A queue of recent embeddings joins the intra-class contrast. NTU-120:
        # 1024, as the public code; ~8 per class.
        memory_size=1024))

train_dataloader = dict(dataset=dict(dataset=dict(
    ann_file=ann_file, split='xsub_train')))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val'))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val'))
