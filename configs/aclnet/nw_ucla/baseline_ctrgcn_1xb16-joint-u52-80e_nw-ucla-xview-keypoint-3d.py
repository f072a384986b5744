# The baseline of the CPU-schedule full-size ACLNet config beside this file:
# identical but for the stock GCNHead and no MotionFamilyHook.
_base_ = './aclnet_ctrgcn_1xb16-joint-u52-80e_nw-ucla-xview-keypoint-3d.py'

model = dict(
    cls_head=dict(
        _delete_=True, type='GCNHead', num_classes=10, in_channels=256))
custom_hooks = []
