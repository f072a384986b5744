# The baseline of the ACLNet config beside this file: identical but for the
# stock GCNHead and no MotionFamilyHook.
_base_ = './aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'

model = dict(
    cls_head=dict(
        _delete_=True, type='GCNHead', num_classes=45, in_channels=64))
custom_hooks = []
