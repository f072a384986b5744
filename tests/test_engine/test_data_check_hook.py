"""DataCheckHook: every dataset's file checked before the first iteration,
problems named by file, sample and field."""
import copy
import os
import pickle
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

from aclnet_plugin.datasets.check import DataCheckError
from aclnet_plugin.engine.hooks import DataCheckHook, check_dataset_labels
from aclnet_plugin.engine.hooks import data_check_hook
from aclnet_plugin.models import AffinityContrastHead
from conftest import tiny_config
from mmaction.models import GCNHead
from mmaction.registry import HOOKS, TRANSFORMS
from test_motion_family_hook import Dataset, confused_head, make_runner

# -- datasets that are not PySKL files: their labels, from memory ---------


def test_registered_and_checks_any_head(tmp_path):
    hook = HOOKS.build(dict(type='DataCheckHook'))
    assert isinstance(hook, DataCheckHook) and hook.priority == 'VERY_HIGH'
    for head in (GCNHead(4, 8), AffinityContrastHead(4, 8)):
        runner = make_runner(head, tmp_path, labels=(0, 1, 5))
        with pytest.raises(ValueError, match='"label" = 5'):
            hook.before_train(runner)


def test_bad_label_names_file_sample_and_field(tmp_path):
    runner = make_runner(confused_head(), tmp_path, labels=(0, 1, 4, 2))
    with pytest.raises(ValueError) as info:
        DataCheckHook().before_train(runner)
    message = str(info.value)
    assert 'train.pkl' in message and "frame_dir='clip2'" in message
    assert '"label" = 4' in message and 'num_classes=4' in message
    check_dataset_labels(Dataset([0, 1, 2, 3]), 4)  # fine
    with pytest.raises(ValueError, match='sample 0'):
        check_dataset_labels(Dataset([-1]), 4)


class SerializedDataset(Dataset):
    """As an mmengine dataset after serialisation: empty data_list."""

    def __init__(self, labels):
        super().__init__(labels)
        self._infos, self.data_list = self.data_list, []

    def __len__(self):
        return len(self._infos)

    def get_data_info(self, index):
        return self._infos[index]


def test_bad_label_of_a_serialized_dataset_caught_before_training(tmp_path):
    """Read sample by sample before the first iteration, not per batch."""
    runner = make_runner(confused_head(), tmp_path)
    runner.train_dataloader.dataset = SerializedDataset([0, 1, 7, 2])
    hook = DataCheckHook()
    with pytest.raises(ValueError) as info:
        hook.before_train(runner)
    message = str(info.value)
    assert "sample 2 (frame_dir='clip2')" in message
    assert '"label" = 7' in message
    # the file (or the samples in memory) checked up front: no batch check
    assert DataCheckHook.before_train_iter is Hook.before_train_iter


# -- PySKL datasets: their files -------------------------------------------

NTU_PIPELINE = [dict(type='PreNormalize3D'),
                dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j'])]


class PoseStub:
    """What the hook reads of an mmaction PoseDataset, serialised."""

    def __init__(self, ann_file, split, pipeline=NTU_PIPELINE,
                 data_prefix=None):
        self.ann_file = str(ann_file)
        self.split = split
        self.pipeline = SimpleNamespace(
            transforms=[TRANSFORMS.build(t) for t in pipeline])
        self.data_prefix = data_prefix or {}
        self.data_list = []  # serialised: the hook must read the file


def clip(name, label, frames=5, shape=None, fill=0.5):
    keypoint = np.full(shape or (1, frames, 25, 3), fill, np.float32)
    return dict(frame_dir=name, label=label, total_frames=keypoint.shape[1],
                keypoint=keypoint)


def write_pickle(path, train, val):
    data = dict(split=dict(train=[a['frame_dir'] for a in train],
                           val=[a['frame_dir'] for a in val]),
                annotations=train + val)
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return str(path)


def pose_runner(tmp_path, train, val=(), test=(), head=None):
    loader = {}
    for role, dataset in (('train', train), ('val', val), ('test', test)):
        if dataset:
            loader[f'{role}_dataloader'] = SimpleNamespace(dataset=dataset)
    runner = make_runner(head or GCNHead(4, 8), tmp_path)
    del runner.train_dataloader
    runner.__dict__.update(loader)
    return runner


def snapshot(path):
    with open(path, 'rb') as f:
        return f.read(), os.stat(path).st_mtime_ns


def test_train_and_val_checked_from_the_file_together(tmp_path):
    nan = clip('t2', 2)
    nan['keypoint'][0, 3, 4, 0] = np.nan
    path = write_pickle(
        tmp_path / 'ntu.pkl',
        [clip('t0', 0), clip('t1', 1), nan,
         clip('t3', 3, shape=(1, 5, 25, 2))],
        [clip('v0', -1), clip('v1', 7), clip('v2', 3, frames=0)])
    before = snapshot(path)
    runner = pose_runner(tmp_path, PoseStub(path, 'train'),
                         PoseStub(path, 'val'))
    with pytest.raises(DataCheckError) as info:
        DataCheckHook().before_train(runner)
    message = str(info.value)
    assert f"{path}, split 'train' (4 samples checked" in message
    assert "sample 2 (frame_dir='t2'): \"keypoint\" holds 1 NaN" in message
    assert "sample 3 (frame_dir='t3'): \"keypoint\" has shape (1, 5, 25, 2)" \
        in message and '2D data with a 3D config' in message
    assert f"{path}, split 'val' (3 samples checked" in message
    assert "sample 5 (frame_dir='v1'): \"label\" = 7" in message
    assert "sample 6 (frame_dir='v2'): \"keypoint\" has shape (1, 0, 25, 3)" \
        ': zero frames' in message
    assert "frame_dir='v0'" not in message  # -1 outside training: accepted
    assert 'default_hooks.data_check.enabled=False' in message
    assert {r.split: r.counts for r in info.value.reports} == {
        'train': dict(coordinates=1, non_finite=1),
        'val': dict(label_range=1, zero_frames=1)}
    assert snapshot(path) == before


def test_no_label_only_outside_training(tmp_path):
    path = write_pickle(tmp_path / 'ids.pkl', [clip('t0', 0), clip('t1', -1)],
                        [clip('v0', -1)])
    runner = pose_runner(tmp_path, PoseStub(path, 'train'),
                         test=PoseStub(path, 'val'))
    with pytest.raises(DataCheckError, match='"label" = -1'):
        DataCheckHook().before_train(runner)
    DataCheckHook().before_test(runner)  # the test split may hold -1


def test_each_file_read_once_each_dataset_checked_once(tmp_path, monkeypatch):
    path = write_pickle(tmp_path / 'a.pkl', [clip('t0', 0)], [clip('v0', 1)])
    reads = []
    real = data_check_hook.load_annotations
    monkeypatch.setattr(data_check_hook, 'load_annotations',
                        lambda f: reads.append(f) or real(f))
    train, val = PoseStub(path, 'train'), PoseStub(path, 'val')
    runner = pose_runner(tmp_path, train, val, PoseStub(path, 'val'))
    hook = DataCheckHook()
    hook.before_train(runner)
    assert reads == [path]  # train and val: one read
    hook.before_val(runner)  # every validation: nothing more
    assert reads == [path]
    hook.before_test(runner)  # another dataset
    assert reads == [path, path]


def test_through_dataset_wrappers(tmp_path):
    good = write_pickle(tmp_path / 'good.pkl', [clip('t0', 0)], [])
    bad = write_pickle(tmp_path / 'bad.pkl', [clip('t0', 9)], [])
    repeat = SimpleNamespace(dataset=SimpleNamespace(datasets=[
        PoseStub(good, 'train'), PoseStub(bad, 'train')]))
    runner = pose_runner(tmp_path, repeat)
    with pytest.raises(DataCheckError) as info:
        DataCheckHook().before_train(runner)
    assert f'problems in {bad} ' in str(info.value)
    assert 'good.pkl' not in str(info.value)


def test_joints_and_coordinates_from_the_pipeline(tmp_path):
    path = write_pickle(tmp_path / 'ntu.pkl', [clip('t0', 0, fill=3.0)], [])
    coco = [dict(type='GenSkeFeat', dataset='coco', feats=['j'])]
    runner = pose_runner(tmp_path, PoseStub(path, 'train', coco))
    with pytest.raises(DataCheckError) as info:
        DataCheckHook().before_train(runner)
    message = str(info.value)
    assert "25 joints, the config's layout has 17 (GenSkeFeat(dataset=" \
        "'coco'))" in message
    assert '3D data with a 2D config' in message
    nothing = [dict(type='UniformSampleFrames', clip_len=4)]
    DataCheckHook().before_train(
        pose_runner(tmp_path, PoseStub(path, 'train', nothing)))


def test_keypoints_in_skeleton_files_are_not_required(tmp_path):
    toc = clip('t0', 0)
    del toc['keypoint']
    path = write_pickle(tmp_path / 'k400.pkl', [toc], [])
    stub = PoseStub(path, 'train', data_prefix=dict(skeleton='kpfiles'))
    DataCheckHook().before_train(pose_runner(tmp_path, stub))
    with pytest.raises(DataCheckError, match='"keypoint" is missing'):
        DataCheckHook().before_train(
            pose_runner(tmp_path, PoseStub(path, 'train')))


# -- a real Runner on the demo config shrunk --------------------------------


def bad_files(ann_file, folder):
    """The issue's six bad files, and the clip each one spoils."""
    with open(ann_file, 'rb') as f:
        data = pickle.load(f)
    target = data['annotations'][3]
    name = target['frame_dir']
    files = {}

    def spoil(kind, change):
        spoiled = copy.deepcopy(data)
        change(spoiled, spoiled['annotations'][3])
        path = str(folder / f'{kind}.pkl')
        with open(path, 'wb') as f:
            pickle.dump(spoiled, f)
        files[kind] = path

    def nan(d, a):
        a['keypoint'][0, 5, 3, 1] = np.nan

    spoil('label_999', lambda d, a: a.update(label=999))
    spoil('no_split', lambda d, a: d.pop('split'))
    spoil('nan', nan)
    spoil('2d_clip', lambda d, a: a.update(
        keypoint=np.ascontiguousarray(a['keypoint'][..., :2])))
    spoil('zero_frames', lambda d, a: a.update(
        keypoint=a['keypoint'][:, :0], total_frames=0))
    files['not_a_pickle'] = str(folder / 'not_a_pickle.pkl')
    with open(files['not_a_pickle'], 'w') as f:
        f.write('frame_dir,label\nS001C001P001R001A001,0\n')
    return files, name


def demo_runner(tiny_dataset, ann_file, work_dir, **options):
    cfg = tiny_config(dict(tiny_dataset, ann_file=ann_file), work_dir,
                      max_epochs=1, num_workers=0, **options)
    cfg.log_level = 'WARNING'
    return Runner.from_cfg(cfg)


def assert_not_trained(runner, work_dir):
    """Not one iteration: no loss logged, no checkpoint."""
    assert 'train/loss' not in runner.message_hub.log_scalars
    assert not list(work_dir.glob('*.pth'))


SIX = [
    ('label_999', ['"label" = 999', 'num_classes=12']),
    ('no_split', ['"split" is missing']),
    ('nan', ['"keypoint" holds 1 NaN or inf value']),
    ('2d_clip', ['2D data with a 3D config']),
    ('zero_frames', ['zero frames']),
    ('not_a_pickle', ['cannot be loaded as a pickle']),
]


@pytest.mark.parametrize('kind, words', SIX)
def test_the_issues_six_bad_files_fail_before_the_first_iteration(
        kind, words, tiny_dataset, tmp_path):
    files, frame_dir = bad_files(tiny_dataset['ann_file'], tmp_path)
    path = files[kind]
    before = snapshot(path)
    runner = demo_runner(tiny_dataset, path, tmp_path / 'work')
    with pytest.raises(DataCheckError) as info:
        runner.train()
    message = str(info.value)
    assert path in message
    if kind not in ('no_split', 'not_a_pickle'):
        assert f"sample 3 (frame_dir='{frame_dir}')" in message
    for word in words:
        assert word in message
    assert_not_trained(runner, tmp_path / 'work')
    assert snapshot(path) == before


@pytest.mark.parametrize('serialize', [True, False])
def test_serialised_or_not_a_bad_val_clip_stops_training(
        serialize, tiny_dataset, tmp_path):
    with open(tiny_dataset['ann_file'], 'rb') as f:
        data = pickle.load(f)
    val = set(data['split']['xsub_val'])
    index = next(i for i, a in enumerate(data['annotations'])
                 if a['frame_dir'] in val)
    data['annotations'][index]['keypoint'][0, 0, 0, 0] = np.inf
    path = str(tmp_path / 'bad_val.pkl')
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    options = {f'{loader}.dataset.serialize_data': serialize
               for loader in ('train_dataloader', 'val_dataloader',
                              'test_dataloader')}
    runner = demo_runner(tiny_dataset, path, tmp_path / 'work', **options)
    with pytest.raises(DataCheckError) as info:
        runner.train()
    dataset = runner.train_dataloader.dataset
    assert (len(dataset.data_list) == 0) == serialize
    assert "split 'xsub_val'" in str(info.value)
    assert f'sample {index} ' in str(info.value)
    assert_not_trained(runner, tmp_path / 'work')
    test_runner = demo_runner(tiny_dataset, path, tmp_path / 'test')
    with pytest.raises(DataCheckError, match=f'sample {index} '):
        test_runner.test()


def test_the_switch_turns_the_check_off(tiny_dataset, tmp_path):
    """A clip twice: training runs, but the file is wrong."""
    with open(tiny_dataset['ann_file'], 'rb') as f:
        data = pickle.load(f)
    data['annotations'].append(copy.deepcopy(data['annotations'][0]))
    path = str(tmp_path / 'twice.pkl')
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    with pytest.raises(DataCheckError, match='"frame_dir" is also that of '
                       'sample 0'):
        demo_runner(tiny_dataset, path, tmp_path / 'on').train()
    runner = demo_runner(tiny_dataset, path, tmp_path / 'off',
                         **{'default_hooks.data_check.enabled': False})
    runner.train()
    assert runner.iter > 0 and 'train/loss' in runner.message_hub.log_scalars
    # mmengine 0.10 only drops its own default hooks when set to None
    with pytest.raises(AssertionError):
        demo_runner(tiny_dataset, path, tmp_path / 'none',
                    **{'default_hooks.data_check': None})


# -- splits: empty, or naming clips no annotation has (issue 27) -----------


def test_clips_without_annotation_named_with_count_and_first_names(
        tmp_path, caplog):
    path = write_pickle(tmp_path / 'ntu.pkl', [clip('t0', 0), clip('t1', 1)],
                        [clip('v0', 2)])
    with open(path, 'rb') as f:
        data = pickle.load(f)
    data['split']['train'] += [f'gone{i}' for i in range(7)]
    data['split']['val'].append('lost')
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    runner = pose_runner(tmp_path, PoseStub(path, 'train'),
                         PoseStub(path, 'val'))
    with pytest.raises(DataCheckError) as info:
        DataCheckHook(max_examples=3).before_train(runner)
    message = str(info.value)
    assert f"{path}, split 'train' (2 samples checked" in message
    assert 'clips the split names but no annotation has: 7 clips; ' \
        '"split"[\'train\'] names 9' in message
    assert "frame_dir='gone0'\n" in message and "frame_dir='gone2'\n" in \
        message and '... and 4 more' in message
    assert f"{path}, split 'val'" in message and "frame_dir='lost'" in message
    assert 'default_hooks.data_check.missing_clips=warn' in message
    assert {r.split: r.counts for r in info.value.reports} == {
        'train': dict(missing_clip=7), 'val': dict(missing_clip=1)}
    # the switch: on with a warning naming them
    with caplog.at_level('WARNING', logger=runner.logger.name):
        DataCheckHook(missing_clips='warn').before_train(runner)
    warned = [r.getMessage() for r in caplog.records
              if r.levelname == 'WARNING']
    assert any(f"{path}, split 'train': 7 of the 9 clips of split 'train' "
               "have no annotation and are left out: 'gone0'" in w
               for w in warned), warned
    with pytest.raises(ValueError, match='missing_clips must be one of'):
        DataCheckHook(missing_clips='skip')


def with_split(ann_file, folder, name, change):
    """A copy of the tiny demo file with its splits changed."""
    with open(ann_file, 'rb') as f:
        data = pickle.load(f)
    change(data['split'])
    path = str(folder / name)
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return path


@pytest.mark.parametrize('enabled', [True, False])
def test_an_empty_training_split_is_named_not_a_concatenate_error(
        enabled, tiny_dataset, tmp_path):
    """It fails when the dataset is built, before any hook: that path
    names it, whether the hook is on or not."""
    path = with_split(tiny_dataset['ann_file'], tmp_path, 'empty.pkl',
                      lambda split: split.update(xsub_train=[]))
    runner = demo_runner(tiny_dataset, path, tmp_path / 'work', **{
        'default_hooks.data_check.enabled': enabled})
    with pytest.raises(DataCheckError) as info:
        runner.train()
    message = str(info.value)
    assert f"{path}, split 'xsub_train'" in message
    assert '"split"[\'xsub_train\'] is empty: it names no clip' in message
    assert_not_trained(runner, tmp_path / 'work')


def test_clips_without_annotation_stop_training_and_testing(
        tiny_dataset, tmp_path):
    path = with_split(
        tiny_dataset['ann_file'], tmp_path, 'missing.pkl',
        lambda split: [names.append(f'gone_{name}')
                       for name, names in split.items()])
    runner = demo_runner(tiny_dataset, path, tmp_path / 'work')
    with pytest.raises(DataCheckError) as info:
        runner.train()
    message = str(info.value)
    for split in ('xsub_train', 'xsub_val'):
        assert f"{path}, split '{split}'" in message
        assert f"1 clip; \"split\"['{split}'] names" in message
        assert f"frame_dir='gone_{split}'" in message
    assert_not_trained(runner, tmp_path / 'work')
    # the test split: what the accuracy is measured on would change
    with pytest.raises(DataCheckError, match="(?s)split 'xsub_val'.*"
                       "frame_dir='gone_xsub_val'"):
        demo_runner(tiny_dataset, path, tmp_path / 'test').test()


def test_missing_clips_warn_tests_the_rest_and_a_correct_file_trains(
        tiny_dataset, tmp_path):
    path = with_split(tiny_dataset['ann_file'], tmp_path, 'missing.pkl',
                      lambda split: split['xsub_val'].append('gone'))
    runner = demo_runner(tiny_dataset, path, tmp_path / 'test', **{
        'default_hooks.data_check.missing_clips': 'warn'})
    metrics = runner.test()
    assert 'acc/top1' in metrics
    assert len(runner.test_dataloader.dataset) == 24  # the clips there are
    log = next((tmp_path / 'test').glob('*/*.log')).read_text()
    assert "split 'xsub_val': 1 of the 25 clips of split 'xsub_val' have " \
        "no annotation and are left out: 'gone'" in log
    # the check does not refuse what is fine
    runner = demo_runner(tiny_dataset, tiny_dataset['ann_file'],
                         tmp_path / 'train')
    runner.train()
    assert runner.iter > 0 and 'train/loss' in runner.message_hub.log_scalars
