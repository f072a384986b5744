# ACLNet on PKU-MMD phase 1 (51 actions), cross-view, ST-GCN++, joint stream:
# the config of PKU-MMD phase 1 (51 actions), cross-subject with the
# xview_train / xview_val splits. The other streams and variants of this split
# inherit it. Written by tools/misc/generate_configs.py.
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_pku-mmd-xsub-keypoint-3d.py'

train_dataloader = dict(dataset=dict(dataset=dict(split='xview_train')))
val_dataloader = dict(dataset=dict(split='xview_val'))
test_dataloader = dict(dataset=dict(split='xview_val'))
