# ACLNet (affinity contrastive learning) on PKU-MMD phase 1 (51 actions),
# cross-subject, with an ST-GCN++ backbone, joint stream: the config of NTU
# RGB+D 60, cross-subject (same skeletons, model and recipe) with this data
# file, classes, splits and queue, which the other streams and the baselines
# beside it inherit. Written by tools/misc/generate_configs.py.
#
# Data: pku_mmd_3d.pkl (PySKL format) in data/skeleton/.
# Your own PySKL-format pickle of the segmented actions of PKU-MMD phase 1: 25
# Kinect v2 joints (the NTU RGB+D layout), splits xsub_train, xsub_val,
# xview_train, xview_val, labels 0-50.
# Elsewhere:
#   mim train mmaction configs/aclnet/pku_mmd/<this file> \
#     --cfg-options train_dataloader.dataset.dataset.ann_file=PKL \
#     val_dataloader.dataset.ann_file=PKL \
#     test_dataloader.dataset.ann_file=PKL
# Train on 8 GPUs x 16 clips:
#   mim train mmaction configs/aclnet/pku_mmd/<this file> \
#     --launcher pytorch --gpus 8
_base_ = '../ntu60/aclnet_stgcnpp_8xb16-joint-u100-150e_ntu60-xsub-keypoint-3d.py'

ann_file = 'data/skeleton/pku_mmd_3d.pkl'
num_classes = 51

model = dict(
    cls_head=dict(
        num_classes=num_classes,
        # A queue of recent embeddings joins the intra-class contrast. PKU-MMD:
        # 512, our choice: 51 classes, close to NTU-60's 60, so NTU-60's queue;
        # ~10 per class.
        memory_size=512))

train_dataloader = dict(dataset=dict(dataset=dict(
    ann_file=ann_file, split='xsub_train')))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val'))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val'))
