# ACLNet for open-set identification on KGBD: trained on 100 people, tested
# on the walks of 64 people it has never seen (for each, one probe walk
# against their other walks and everybody else's; the split of
# tools/data/kgbd_to_pyskl.py, seeded). Everything else is the closed-set
# config; 100 identities: a queue of 640 (about 6 each).
_base_ = './aclnet_stgcnpp-small_1xb16-joint-u40-160e_kgbd-reid-keypoint-3d.py'

ann_file = 'data/skeleton/kgbd_open.pkl'
num_classes = 100
model = dict(cls_head=dict(num_classes=num_classes, memory_size=640))
train_dataloader = dict(dataset=dict(dataset=dict(ann_file=ann_file)))
test_dataloader = dict(dataset=dict(ann_file=ann_file))
val_dataloader = test_dataloader
# the closed-set metric, reading the open-set pickle's splits
test_evaluator = [dict(_base_.test_evaluator[0], ann_file=ann_file)]
val_evaluator = test_evaluator
