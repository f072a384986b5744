"""MotionFamilyHook: schedule, errors, logging, JSON output."""
import json
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from aclnet_plugin.engine.hooks import MotionFamilyHook
from aclnet_plugin.models import AffinityContrastHead
from aclnet_plugin.models.recipes import top_count_families
from mmaction.models import GCNHead
from mmaction.registry import HOOKS
from mmaction.structures import ActionDataSample


class Model(torch.nn.Module):

    def __init__(self, head):
        super().__init__()
        self.cls_head = head


class Dataset:

    def __init__(self, labels, classes=None):
        self.data_list = [dict(frame_dir=f'clip{i}', label=y)
                          for i, y in enumerate(labels)]
        self.ann_file = 'train.pkl'
        self.metainfo = {} if classes is None else dict(classes=classes)


def make_runner(head, tmp_path, labels=(0, 1, 2, 3), classes=None):
    dataset = Dataset(labels, classes)
    return SimpleNamespace(
        model=Model(head), epoch=0, work_dir=str(tmp_path),
        logger=logging.getLogger('test_motion_family_hook'),
        message_hub=MessageHub.get_instance('test_motion_family_hook'),
        train_dataloader=SimpleNamespace(dataset=dataset))


def confused_head():
    head = AffinityContrastHead(4, 8, num_neighbors=1, overlap_threshold=0)
    head.confusion[0, 1] = 3
    head.confusion[1, 0] = 1
    return head


def test_schedule_start_and_interval(tmp_path):
    hook = MotionFamilyHook(start_epoch=3, interval=2)
    collect = [hook.is_collecting(e) for e in range(7)]  # 0-based epochs
    update = [hook.is_update_epoch(e) for e in range(7)]
    assert collect == [False, False, True, True, True, True, True]
    assert update == [False, False, True, False, True, False, True]


def test_hook_drives_the_head(tmp_path):
    head = confused_head()
    runner = make_runner(head, tmp_path)
    hook = MotionFamilyHook(start_epoch=2)
    hook.before_train(runner)
    assert head.has_family_schedule
    for epoch in range(3):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert head.collecting_confusion == (epoch >= 1)
        hook.after_train_epoch(runner)
        if epoch == 0:  # before the start epoch: no families, no file
            assert not head.family_mask.any()
            assert not (tmp_path / 'motion_families').exists()
    assert head.families() == [[1], [0], [], []]
    files = sorted(p.name for p in (tmp_path / 'motion_families').iterdir())
    assert files == ['epoch_2.json', 'epoch_3.json', 'latest.json']
    record = json.load(open(tmp_path / 'motion_families' / 'latest.json'))
    assert record['epoch'] == 3
    assert record['classes'][0]['members'] == [1]
    assert record['classes'][0]['temperature'] == pytest.approx(0.1)
    assert 'name' not in record['classes'][0]
    assert record['statistics'] == dict(
        classes_with_family=2, mean_family_size=0.5, max_family_size=1,
        classes_in_own_family=0)
    hub = runner.message_hub
    assert hub.get_scalar('train/max_family_size').current() == 1


def test_logs_family_statistics(tmp_path, caplog):
    runner = make_runner(confused_head(), tmp_path)
    hook = MotionFamilyHook(start_epoch=1)
    hook.before_train(runner)
    with caplog.at_level(logging.INFO, logger='test_motion_family_hook'):
        hook.after_train_epoch(runner)
    [message] = [r.getMessage() for r in caplog.records]
    assert '2/4 classes have a family' in message
    assert 'mean size 0.5' in message and 'max size 1' in message
    assert "{'0.1': 4, '0.5': 0, '1': 0}" in message


def test_class_names_from_metainfo_file_and_list(tmp_path):
    names = ['walk', 'run', 'jump', 'sit']
    for source in ('metainfo', 'file', 'list'):
        runner = make_runner(confused_head(), tmp_path,
                             classes=names if source == 'metainfo' else None)
        if source == 'file':
            path = tmp_path / 'names.txt'
            path.write_text('\n'.join(names) + '\n')
            hook = MotionFamilyHook(start_epoch=1, class_names=str(path))
        elif source == 'list':
            hook = MotionFamilyHook(start_epoch=1, class_names=names)
        else:
            hook = MotionFamilyHook(start_epoch=1)
        hook.before_train(runner)
        hook.after_train_epoch(runner)
        record = json.load(
            open(tmp_path / 'motion_families' / 'latest.json'))
        assert record['classes'][0]['name'] == 'walk'
        assert record['classes'][0]['member_names'] == ['run']
    with pytest.raises(ValueError, match='3 class names for 4 classes'):
        MotionFamilyHook(class_names=names[:3]).before_train(
            make_runner(confused_head(), tmp_path))


def test_clear_error_without_affinity_head(tmp_path):
    runner = make_runner(GCNHead(4, 8), tmp_path)
    with pytest.raises(TypeError, match='AffinityContrastHead.*GCNHead'):
        MotionFamilyHook().before_train(runner)


@pytest.mark.parametrize('kwargs', [
    dict(start_epoch=0), dict(start_epoch=-1), dict(interval=0),
    dict(start_epoch=1.5)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match='MotionFamilyHook'):
        MotionFamilyHook(**kwargs)


def test_registered_in_mmaction_hooks():
    hook = HOOKS.build(dict(type='MotionFamilyHook', start_epoch=6))
    assert isinstance(hook, MotionFamilyHook) and hook.start_epoch == 6
    assert hook.priority == 'ABOVE_NORMAL'  # before SyncBuffersHook


def test_out_dir_and_missing_class_name_file(tmp_path):
    """Families go to out_dir when given; a class-name file that is not there
    is a warning, and the classes are named by index."""
    runner = make_runner(confused_head(), tmp_path)
    out_dir = tmp_path / 'elsewhere'
    hook = MotionFamilyHook(start_epoch=1, out_dir=str(out_dir),
                            class_names=str(tmp_path / 'no_such_file.txt'))
    hook.before_train(runner)
    hook.after_train_epoch(runner)
    assert not (tmp_path / 'motion_families').exists()
    record = json.load(open(out_dir / 'epoch_1.json'))
    assert record['classes'][0]['members'] == [1]
    assert 'name' not in record['classes'][0]


def test_inter_warmup_and_freeze(tmp_path):
    """inter_warmup ramps the inter loss in over the first epochs with
    families; freeze_epoch stops recomputing (and counting) after it."""
    hook = MotionFamilyHook(start_epoch=3, inter_warmup=4, freeze_epoch=5)
    # 0-based epochs; families exist from epoch 3 (1-based 4) on
    assert [hook.inter_scale(e) for e in range(9)] == [
        1, 1, 1, 0.25, 0.5, 0.75, 1, 1, 1]
    assert [hook.is_update_epoch(e) for e in range(7)] == [
        False, False, True, True, True, False, False]
    assert [hook.is_collecting(e) for e in range(7)] == [
        False, False, True, True, True, False, False]
    head = confused_head()
    runner = make_runner(head, tmp_path)
    hook.before_train(runner)
    runner.epoch = 4
    hook.before_train_epoch(runner)
    assert head._inter_scale == 0.5
    with pytest.raises(ValueError, match='freeze_epoch'):
        MotionFamilyHook(start_epoch=5, freeze_epoch=3)


def authors_runner(head, tmp_path, times, length):
    runner = make_runner(head, tmp_path)
    runner.train_dataloader = SimpleNamespace(
        dataset=SimpleNamespace(times=times, metainfo={}),
        __len__=lambda: length)

    class Loader:  # len() looks the method up on the class
        dataset = runner.train_dataloader.dataset

        def __len__(self):
            return length

    runner.train_dataloader = Loader()
    runner.iter = 0
    return runner


@pytest.mark.parametrize('interval,freeze', [(1, None), (2, None), (1, 3)])
def test_authors_recipe_counts_and_refreshes_by_pass(tmp_path, interval,
                                                     freeze):
    """RepeatDataset(times=2), 10 steps a runner epoch: passes start at
    steps 0 and 5. start_epoch=2: counting from the last pass of runner
    epoch 2 (pass 4, the public code's epoch 4), the families recomputed at
    the first step of every pass after it, in the step (after its batch is
    counted), logged and written after it."""
    head = AffinityContrastHead(4, 8, num_neighbors=1, overlap_threshold=0,
                                recipe='authors')
    runner = authors_runner(head, tmp_path, times=2, length=10)
    hook = MotionFamilyHook(start_epoch=2, interval=interval,
                            freeze_epoch=freeze)
    hook.before_train(runner)
    collecting, refreshed = [], []
    head.schedule_family_update = lambda: refreshed.append(
        (runner.epoch, step))
    for epoch in range(4):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        for step in range(10):
            hook.before_train_iter(runner, step)
            collecting.append(head.collecting_confusion)
    first = 3 * 5  # pass 4 (1-based) starts at step 15 of the run
    last = 40 if freeze is None else 30  # freeze: runner epoch 3 = pass 6
    assert collecting == [first <= i < last for i in range(40)]
    passes = {None: [5, 6, 7, 8], 3: [5, 6, 7]}[freeze][::interval]
    # pass p starts at runner epoch (p - 1) // 2, step 5 * ((p - 1) % 2)
    assert refreshed == [((p - 1) // 2, 5 * ((p - 1) % 2)) for p in passes]


def test_authors_recipe_publishes_what_the_step_computed(tmp_path):
    head = AffinityContrastHead(4, 8, num_neighbors=1, overlap_threshold=0,
                                recipe='authors')
    head.confusion[0, 1] = 3
    runner = authors_runner(head, tmp_path, times=1, length=3)
    hook = MotionFamilyHook(start_epoch=1)
    hook.before_train(runner)
    runner.epoch = 1
    hook.before_train_epoch(runner)
    hook.before_train_iter(runner, 0)
    assert head._refresh_pending
    hook.after_train_iter(runner, 0)  # no step ran: nothing to publish
    assert not (tmp_path / 'motion_families').exists()
    head.loss(torch.randn(2, 1, 8, 3, 5), [
        ActionDataSample().set_gt_label(y) for y in (0, 1)])
    hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)  # the equations' schedule: nothing
    record = json.load(open(tmp_path / 'motion_families' / 'epoch_1.json'))
    assert record['recipe'] == 'authors' and record['runner_epoch'] == 2
    # the families the step computed after counting its batch
    expected = top_count_families(head.confusion, 1, 0)
    assert expected[0].tolist() == [False, True, False, False]
    assert [c['members'] for c in record['classes']] == [
        row.nonzero().flatten().tolist() for row in expected]
    assert head.take_family_update() is None
