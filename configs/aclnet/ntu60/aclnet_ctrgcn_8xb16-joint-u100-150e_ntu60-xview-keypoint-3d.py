# ACLNet on NTU RGB+D 60, cross-view, joint stream, with the CTR-GCN backbone
# of aclnet_plugin: the ST-GCN++ config with the backbone swapped (its output
# has 256 channels too).
_base_ = './aclnet_stgcnpp_8xb16-joint-u100-150e_ntu60-xview-keypoint-3d.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='CTRGCN',
        in_channels=3,
        base_channels=64,
        graph_cfg=dict(layout='nturgb+d', mode='spatial')))
