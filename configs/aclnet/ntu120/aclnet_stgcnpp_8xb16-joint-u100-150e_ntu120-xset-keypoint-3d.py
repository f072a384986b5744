# ACLNet on NTU RGB+D 120, cross-setup, ST-GCN++, joint stream: the config of
# NTU RGB+D 120, cross-subject with the xset_train / xset_val splits. The other
# streams and variants of this split inherit it. Written by
# tools/misc/generate_configs.py.
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_ntu120-xsub-keypoint-3d.py'

train_dataloader = dict(dataset=dict(dataset=dict(split='xset_train')))
val_dataloader = dict(dataset=dict(split='xset_val'))
test_dataloader = dict(dataset=dict(split='xset_val'))
