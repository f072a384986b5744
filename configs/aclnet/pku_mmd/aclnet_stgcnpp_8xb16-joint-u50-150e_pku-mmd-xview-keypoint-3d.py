# ACLNet on PKU-MMD, cross-view, ST-GCN++, joint stream: the config of PKU-MMD,
# cross-subject with the xview_train / xview_val splits. The other streams,
# variants and the baseline of this split inherit it.
_base_ = './aclnet_stgcnpp_8xb16-joint-u50-150e_pku-mmd-xsub-keypoint-3d.py'

train_dataloader = dict(dataset=dict(dataset=dict(split='xview_train')))
val_dataloader = dict(dataset=dict(split='xview_val'))
test_dataloader = dict(dataset=dict(split='xview_val'))
