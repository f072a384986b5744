# The baseline of the ACLNet config beside this file: the same backbone with
# cross-entropy alone (stock GCNHead, no MotionFamilyHook; the topology
# still logged).
_base_ = './aclnet_aclnetgcn-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'

model = dict(
    backbone=dict(out_topology=False),
    cls_head=dict(
        _delete_=True, type='GCNHead', num_classes=10, in_channels=64))
custom_hooks = [dict(type='TopologyMonitorHook')]
