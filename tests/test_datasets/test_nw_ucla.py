"""NW-UCLA: the converter on real clips from ../shared, and the small config.

Skipped cleanly when the dataset is not there (set NW_UCLA_ROOT to use
another copy).
"""
import json
import os.path as osp
import pickle
import tarfile

import numpy as np
import pytest

from aclnet_plugin.datasets import get_layout
from aclnet_plugin.datasets.nw_ucla import (NWUCLAFormatError,
                                            convert_nw_ucla, find_nw_ucla)
from conftest import REPO

SOURCE = find_nw_ucla()
needs_data = pytest.mark.skipif(
    SOURCE is None, reason='NW-UCLA not found (../shared or NW_UCLA_ROOT)')
NW_UCLA_CONFIGS = osp.join(REPO, 'configs', 'aclnet', 'nw_ucla')
SMALL_NAME = 'stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'
SMALL = osp.join(NW_UCLA_CONFIGS, f'aclnet_{SMALL_NAME}')
# two views of four classes, and the release's two 1-frame clips
CLIPS = [f'a{a:02d}_s01_e00_v0{v}' for a in (1, 2, 3, 4) for v in (1, 2, 3)]
CLIPS += ['a02_s09_e04_v02', 'a02_s09_e04_v03']


@pytest.fixture(scope='module')
def real_clips(tmp_path_factory):
    """A folder holding a handful of real NW-UCLA clips."""
    folder = tmp_path_factory.mktemp('nw_ucla') / 'all_sqe'
    folder.mkdir()
    wanted = {f'{name}.json' for name in CLIPS}
    if osp.isdir(SOURCE):
        for name in wanted:
            with open(osp.join(SOURCE, name), 'rb') as f:
                (folder / name).write_bytes(f.read())
    else:
        with tarfile.open(SOURCE) as tar:
            for member in tar:
                if osp.basename(member.name) in wanted:
                    (folder / osp.basename(member.name)).write_bytes(
                        tar.extractfile(member).read())
    assert len(list(folder.iterdir())) == len(CLIPS)
    return folder


@needs_data
def test_convert_real_clips(real_clips, tmp_path):
    out = tmp_path / 'ucla.pkl'
    report = convert_nw_ucla(str(real_clips), str(out), progress=False)
    assert report['num_clips'] == len(CLIPS)
    assert sorted(report['short_clips']) == [('a02_s09_e04_v02', 1),
                                            ('a02_s09_e04_v03', 1)]
    assert report['dropped'] == []
    data = pickle.load(open(out, 'rb'))
    by_name = {a['frame_dir']: a for a in data['annotations']}
    clip = by_name['a03_s01_e00_v02']
    assert clip['label'] == 2 and clip['action'] == 3
    assert clip['subject'] == 1 and clip['view'] == 2
    assert clip['keypoint'].dtype == np.float32
    assert clip['keypoint'].shape == (1, clip['total_frames'], 20, 3)
    one = by_name['a02_s09_e04_v02']
    assert one['total_frames'] == 1 and one['keypoint'].shape == (1, 1, 20, 3)
    # cross-view: views 1-2 train, view 3 test
    assert all(by_name[n]['view'] in (1, 2)
               for n in data['split']['xview_train'])
    assert all(by_name[n]['view'] == 3 for n in data['split']['xview_val'])
    assert len(data['split']['xview_val']) == 5
    # the raw coordinates are kept
    raw = json.load(open(real_clips / 'a03_s01_e00_v02.json'))
    np.testing.assert_allclose(clip['keypoint'][0],
                               np.array(raw['skeletons'], np.float32))


@needs_data
def test_min_frames_drops_and_reports(real_clips, tmp_path):
    report = convert_nw_ucla(str(real_clips), str(tmp_path / 'u.pkl'),
                             min_frames=2, progress=False)
    assert sorted(report['dropped']) == ['a02_s09_e04_v02', 'a02_s09_e04_v03']
    assert report['num_clips'] == len(CLIPS) - 2


@needs_data
def test_converter_reads_the_archive(tmp_path):
    if osp.isdir(SOURCE):
        pytest.skip('the dataset here is a folder')
    # the CLI on the whole release: 1484 clips, 1020 / 464
    import subprocess
    import sys
    out = tmp_path / 'all.pkl'
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'data', 'nw_ucla_to_pyskl.py'),
         SOURCE, '--out', str(out), '--no-progress'],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "1484 clips, {'xview_train': 1020, 'xview_val': 464}" in proc.stdout
    assert 'degenerate clip a02_s09_e04_v02: 1 frame(s), kept' in proc.stdout


def write_clip(folder, name='a01_s01_e00_v01', **fields):
    record = dict(file_name=name, label=1,
                  skeletons=np.zeros((3, 20, 3)).tolist())
    record.update(fields)
    record = {k: v for k, v in record.items() if v is not None}
    (folder / f'{name}.json').write_text(json.dumps(record))


@pytest.mark.parametrize('fields, message', [
    (dict(label=3), 'field "label" = 3 does not match its action a01'),
    (dict(skeletons=None), "has no field 'skeletons'"),
    (dict(skeletons=np.zeros((3, 25, 3)).tolist()),
     'field "skeletons" has shape (3, 25, 3)'),
    (dict(skeletons=[[[1, 2]]]), 'field "skeletons" has shape'),
    (dict(file_name='clip7'), 'field "file_name" = \'clip7\''),
    (dict(skeletons=[[[float('nan')] * 3] * 20]), 'NaN'),
])
def test_bad_input_names_file_sample_and_field(tmp_path, fields, message):
    folder = tmp_path / 'raw'
    folder.mkdir()
    write_clip(folder, **fields)
    with pytest.raises(NWUCLAFormatError) as info:
        convert_nw_ucla(str(folder), str(tmp_path / 'o.pkl'), progress=False)
    assert message in str(info.value)
    assert 'a01_s01_e00_v01.json' in str(info.value)
    assert not (tmp_path / 'o.pkl').exists()


def test_existing_output_is_never_overwritten(tmp_path):
    folder = tmp_path / 'raw'
    folder.mkdir()
    write_clip(folder)
    out = tmp_path / 'o.pkl'
    out.write_bytes(b'users data')
    with pytest.raises(FileExistsError):
        convert_nw_ucla(str(folder), str(out), progress=False)
    assert out.read_bytes() == b'users data'
    convert_nw_ucla(str(folder), str(out), overwrite=True, progress=False)
    assert pickle.load(open(out, 'rb'))['annotations'][0]['label'] == 0


def test_config_graph_is_the_registered_layout():
    from mmengine.config import Config
    cfg = Config.fromfile(SMALL)
    layout = cfg.model.backbone.graph_cfg.layout
    expected = get_layout('nw-ucla').graph_cfg()['layout']
    assert layout.num_node == expected['num_node']
    assert layout.center == expected['center']
    assert sorted(map(tuple, layout.inward)) == sorted(
        map(tuple, expected['inward']))


@needs_data
def test_small_config_trains_one_iteration(real_clips, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    ann_file = str(tmp_path / 'ucla.pkl')
    convert_nw_ucla(str(real_clips), ann_file, progress=False)
    cfg = Config.fromfile(SMALL)
    cfg.work_dir = str(tmp_path / 'work')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.ann_file = ann_file
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_cfg.max_epochs = 1
    cfg.custom_hooks[0].start_epoch = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    head = runner.model.cls_head
    assert runner.iter == 1
    assert head.prototype_seen.sum() == 4  # classes 0-3 in views 1-2
    assert osp.exists(osp.join(cfg.work_dir, 'motion_families',
                               'latest.json'))


def _real_dataset(dataset):
    """The dataset config under wrappers such as RepeatDataset."""
    while 'ann_file' not in dataset:
        dataset = dataset['dataset']
    return dataset


@needs_data
@pytest.mark.parametrize('name', sorted(
    osp.relpath(p, NW_UCLA_CONFIGS) for p in __import__('glob').glob(
        osp.join(NW_UCLA_CONFIGS, '**', '*.py'), recursive=True)))
def test_every_config_trains_and_tests(name, real_clips, tmp_path):
    """Small and full-size, ACLNet, its ablations and baseline: one epoch,
    then the test protocol (10 clips per video) on real clips."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    ann_file = str(tmp_path / 'ucla.pkl')
    convert_nw_ucla(str(real_clips), ann_file, progress=False)
    cfg = Config.fromfile(osp.join(NW_UCLA_CONFIGS, name))
    cfg.work_dir = str(tmp_path / 'work')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _real_dataset(cfg[loader].dataset).ann_file = ann_file
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    for hook in cfg.custom_hooks:
        hook.start_epoch = 1
    baseline = osp.basename(name).startswith('baseline_')
    assert (cfg.model.cls_head.type == 'AffinityContrastHead') != baseline
    has_hook = any(h.type == 'MotionFamilyHook' for h in cfg.custom_hooks)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 1
    metrics = runner.test()
    assert 0 <= metrics['acc/top1'] <= 1
    assert osp.exists(osp.join(cfg.work_dir, 'motion_families',
                               'epoch_1.json')) == has_hook


def _differences(a, b, path=''):
    """{dotted key: (a's value, b's value)} where two config dicts differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = {}
        for key in set(a) | set(b):
            out.update(_differences(a.get(key), b.get(key),
                                    f'{path}.{key}'.lstrip('.')))
        return out
    return {} if a == b else {path: (a, b)}


def _ablation_config(arm):
    """The small config's ablation ``arm`` (e.g. 'aclnet-inter')."""
    from mmengine.config import Config
    return Config.fromfile(
        osp.join(NW_UCLA_CONFIGS, 'ablation', f'{arm}_{SMALL_NAME}'))


def test_ablations_change_only_what_they_name():
    """Each ablation config is the small ACLNet config but for one part."""
    from mmengine.config import Config
    full = Config.fromfile(SMALL).to_dict()

    def ablation(arm):
        return _differences(full, _ablation_config(arm).to_dict())

    no_intra = dict(type='MarginalContrastLoss', margin=0.1, temperature=0.1,
                    loss_weight=0.)
    assert ablation('aclnet-inter') == {
        'model.cls_head.loss_intra': (None, no_intra)}
    assert ablation('aclnet-inter-fixedtau') == {
        'model.cls_head.loss_intra': (None, no_intra),
        'model.cls_head.family_temperature': (None, dict(
            type='FamilyAwareTemperature', temperatures=(0.1, )))}
    intra = ablation('aclnet-intra')
    assert intra['model.cls_head.loss_inter'] == (
        None, dict(type='AffinityContrastLoss', loss_weight=0.))
    assert intra['custom_hooks'][1] == []
    assert intra['custom_hooks'][0][0]['type'] == 'MotionFamilyHook'
    assert len(intra) == 2
    start = ablation('aclnet-start20')
    assert list(start) == ['custom_hooks']
    (before, ), (after, ) = start['custom_hooks']
    assert (before['start_epoch'], after['start_epoch']) == (8, 20)
    assert {**before, 'start_epoch': 20} == after
    assert ablation('aclnet-queue256') == {
        'model.cls_head.memory_size': (None, 256)}
    assert ablation('aclnet-k1') == {
        'model.cls_head.num_neighbors': (3, 1),
        'model.cls_head.overlap_threshold': (1, 0)}
    assert ablation('aclnet-k5') == {
        'model.cls_head.num_neighbors': (3, 5),
        'model.cls_head.overlap_threshold': (1, 2)}
    assert ablation('aclnet-margin2x') == {
        'model.cls_head.loss_intra': (None, dict(
            type='MarginalContrastLoss', margin=0.2, temperature=0.1,
            loss_weight=0.1))}


def test_ablation_heads_build_as_named():
    """The fixed temperature is 0.1 for every family size, the zero-weight
    losses contribute exactly nothing."""
    import torch
    from mmaction.registry import MODELS

    def head(arm):
        return MODELS.build(_ablation_config(arm).model.cls_head)

    fixed = head('aclnet-inter-fixedtau')
    assert fixed.family_temperature(torch.tensor([0, 3, 4, 7, 9])).tolist() \
        == pytest.approx([0.1] * 5)
    assert fixed.loss_intra.loss_weight == 0
    fat = head('aclnet-inter')  # K = 3: bands <= 3, <= 6, > 6
    assert fat.family_temperature(torch.tensor([3, 4, 7])).tolist() == \
        pytest.approx([0.1, 0.5, 1.0])
    assert head('aclnet-intra').loss_inter.loss_weight == 0
    assert head('aclnet-margin2x').loss_intra.margin == pytest.approx(0.2)


def test_ablation_family_breadth_hand_worked():
    """aclnet-k1 and aclnet-k5 on hand-worked confusion counts (eq. 3-6, 9).

    K = 1, n_a = 0 (w > 0): a family is the class's top confusion plus every
    class with the same top confusion. K = 5, n_a = 2 (w > 0.4): the class's
    neighbours plus classes sharing 3 of its 5 (2 of 5 is w = 0.4 exactly,
    not a member).
    """
    import torch
    from mmaction.registry import MODELS

    def head(arm, rows):
        h = MODELS.build(_ablation_config(arm).model.cls_head)
        confusion = torch.zeros(10, 10)
        for i, counts in rows.items():
            for j, n in counts.items():
                confusion[i, j] = n
        h.confusion.copy_(confusion)
        h.update_families()
        return h.families(), h.temperatures.tolist()

    # Tops: 0 -> 1, 1 -> 0, 2 -> 1, 3 -> 4; nobody else confused.
    families, taus = head('aclnet-k1', {0: {1: 5, 2: 3}, 1: {0: 2},
                                        2: {1: 4}, 3: {4: 1}})
    assert families == [[1, 2], [0], [0, 1], [4], [], [], [], [], [], []]
    # Bands <= 1, <= 2, > 2.
    assert taus == pytest.approx([0.5, 0.1, 0.5, 0.1] + [0.1] * 6)

    # 0 -> 1..5, 6 -> 1..3, 7 -> 1..2.
    families, taus = head('aclnet-k5', {
        0: {1: 6, 2: 5, 3: 4, 4: 3, 5: 2}, 6: {1: 3, 2: 2, 3: 1},
        7: {1: 2, 2: 1}})
    # w[0, 6] = 3/5 joins, w[0, 7] = 2/5 does not; w[6, 0] = 3/3,
    # w[6, 7] = 2/3, w[7, 0] = w[7, 6] = 2/2.
    assert families == [[1, 2, 3, 4, 5, 6], [], [], [], [], [],
                        [0, 1, 2, 3, 7], [0, 1, 2, 6], [], []]
    # Bands <= 5, <= 10, > 10.
    assert taus[0] == pytest.approx(0.5)
    assert taus[6] == taus[7] == pytest.approx(0.1)
