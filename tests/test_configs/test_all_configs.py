"""Every benchmark config under configs/aclnet/ loads, builds and runs.

Each config written by tools/misc/generate_configs.py (all of
configs/aclnet/ but the demo config and nw_ucla/, which have their own
tests) is loaded with ``Config.fromfile`` and checked against its file name
(head, hook, backbone, stream, schedule, classes, splits), then shrunk
(ST-GCN++ / CTR-GCN with 8 base channels, clips of 8 frames, a 16-entry
memory queue) and run on a tiny generated pickle of its kind (3D, 25 joints;
2D COCO with scores; Kinetics' compressed per-video keypoint files):

- one training iteration: a batch from the real training pipeline through
  the model's data preprocessor, the forward in 'loss' mode and a backward;
- one test iteration: a batch from the real 10-clip test pipeline through
  ``test_step`` ('predict' mode), plus one sample of the validation pipeline.

All configs are run fully (no sampling). Besides, the committed files must
be exactly what the generator writes, and ``mim train`` of the alias
``configs/aclnet/ntu120_xset.py`` must run from the repository root.
"""
import glob
import importlib.util
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO, bin_path, run

CONFIG_ROOT = osp.join(REPO, 'configs', 'aclnet')
GENERATOR = osp.join(REPO, 'tools', 'misc', 'generate_configs.py')
SPLITTER = osp.join(REPO, 'tools', 'misc', 'split_k400_kpfiles.py')
SPLITS = ('xsub_train', 'xsub_val', 'xview_train', 'xview_val', 'xset_train',
          'xset_val', 'train', 'val')
NAME = re.compile(r'^(?P<arm>aclnet|baseline)_(?P<backbone>stgcnpp|ctrgcn)_'
                  r'8xb16-(?P<stream>[a-z-]+?)-u100-150e_(?P<key>[a-z0-9-]+)'
                  r'-keypoint-(?P<dim>2d|3d)\.py$')
FEATS = {'joint': 'j', 'bone': 'b', 'kbone': 'k', 'joint-motion': 'jm',
         'bone-motion': 'bm', 'kbone-motion': 'km'}
# per benchmark key: classes, train split, memory size, graph joints
EXPECTED = {
    'ntu60-xsub': (60, 'xsub_train', 512, 25),
    'ntu60-xview': (60, 'xview_train', 512, 25),
    'ntu120-xsub': (120, 'xsub_train', 1024, 25),
    'ntu120-xset': (120, 'xset_train', 1024, 25),
    'k400': (400, 'train', 2048, 20),
    'gym': (99, 'train', 1024, 20),
    'pku-mmd-xsub': (51, 'xsub_train', 512, 25),
    'pku-mmd-xview': (51, 'xview_train', 512, 25),
}
ALIASES = {
    'ntu60_xsub': 'ntu60-xsub', 'ntu60_xview': 'ntu60-xview',
    'ntu120_xsub': 'ntu120-xsub', 'ntu120_xset': 'ntu120-xset',
    'kinetics': 'k400', 'finegym': 'gym', 'pku_mmd_xsub': 'pku-mmd-xsub',
    'pku_mmd_xview': 'pku-mmd-xview',
}
NUM_LABELS = 51  # labels of the tiny data: valid for every benchmark


def _load_generator():
    spec = importlib.util.spec_from_file_location('generate_configs',
                                                  GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config_files():
    """The benchmark configs and aliases, relative to configs/aclnet/."""
    files = []
    for path in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'),
                          recursive=True):
        rel = osp.relpath(path, CONFIG_ROOT)
        if rel.startswith(('nw_ucla' + os.sep, '_base_' + os.sep)) \
                or '_demo-' in rel:
            continue
        files.append(rel)
    return sorted(files)


CONFIGS = config_files()


def describe(rel):
    """What the file name promises: arm, backbone, stream, benchmark."""
    stem = osp.basename(rel)[:-3]
    if stem in ALIASES:
        return dict(arm='aclnet', backbone='stgcnpp', stream='joint',
                    key=ALIASES[stem], alias=True)
    match = NAME.match(osp.basename(rel))
    assert match, f'{rel} does not follow the naming scheme'
    info = match.groupdict()
    info['alias'] = False
    return info


# ---------------------------------------------------------------------------
# Tiny data
# ---------------------------------------------------------------------------
def _skeleton_3d(rng, frames):
    """A wobbling 25-joint body, joints spread around a spine."""
    base = rng.normal(0, 0.3, size=(25, 3)).astype(np.float32)
    base[0] = [0, 0, 0]
    base[1] = [0, 0, 0.3]  # spine up the z axis
    base[4], base[8] = [-0.2, 0, 0.5], [0.2, 0, 0.5]  # shoulders
    drift = rng.normal(0, 0.01, size=(frames, 25, 3)).cumsum(0)
    return base[None] + drift.astype(np.float32) + np.float32([0, 0, 2.5])


def _names(count, prefix):
    return [f'{prefix}{i:03d}' for i in range(count)]


def _split(names):
    names = list(names)
    return {split: list(names) for split in SPLITS}


def write_3d(path, count=6, seed=0):
    rng = np.random.default_rng(seed)
    annotations = []
    for i, name in enumerate(_names(count, 'S001C001P001R001A')):
        frames = int(rng.integers(12, 20))
        persons = 1 + i % 2
        keypoint = np.stack(
            [_skeleton_3d(rng, frames) for _ in range(persons)])
        annotations.append(
            dict(frame_dir=name, label=int(i * 7 % NUM_LABELS),
                 total_frames=frames, keypoint=keypoint))
    with open(path, 'wb') as f:
        pickle.dump(dict(split=_split(a['frame_dir'] for a in annotations),
                         annotations=annotations), f)


def _coco_pixels(rng, frames, persons):
    centre = rng.uniform([400, 300], [1500, 800], size=(persons, 1, 1, 2))
    offsets = rng.normal(0, 60, size=(persons, 1, 17, 2))
    drift = rng.normal(0, 3, size=(persons, frames, 17, 2)).cumsum(1)
    return (centre + offsets + drift).astype(np.float32)


def write_2d(path, count=6, seed=1):
    """FineGYM-like: keypoints and scores in the annotations, one person."""
    rng = np.random.default_rng(seed)
    annotations = []
    for i, name in enumerate(_names(count, 'gym_')):
        frames = int(rng.integers(12, 20))
        annotations.append(
            dict(frame_dir=name, label=int(i * 5 % NUM_LABELS),
                 total_frames=frames, img_shape=(1080, 1920),
                 original_shape=(1080, 1920),
                 keypoint=_coco_pixels(rng, frames, 1),
                 keypoint_score=rng.uniform(
                     0.2, 1, size=(1, frames, 17)).astype(np.float32)))
    with open(path, 'wb') as f:
        pickle.dump(dict(split=_split(a['frame_dir'] for a in annotations),
                         annotations=annotations), f)


def write_kinetics(path, kpfile, count=6, seed=2):
    """Kinetics-like: a table of contents and one PySKL-style kpfile.

    Frames hold 0 to 3 persons (some none, squeezed out by DecompressPose;
    some three, of which it keeps two).
    """
    rng = np.random.default_rng(seed)
    annotations, videos = [], {}
    for i, name in enumerate(_names(count, 'k400_')):
        frames = int(rng.integers(14, 22))
        rows, inds = [], []
        for t in range(frames):
            persons = [1, 2, 3, 0][(t + i) % 4] if t else 1
            for _ in range(persons):
                xy = _coco_pixels(rng, 1, 1)[0, 0]
                score = rng.uniform(0.1, 1, size=(17, 1))
                rows.append(np.concatenate([xy, score], axis=1))
                inds.append(t)
        videos[name] = dict(keypoint=np.stack(rows).astype(np.float16))
        annotations.append(
            dict(frame_dir=name, label=int(i * 3 % NUM_LABELS),
                 total_frames=frames, img_shape=(720, 1280),
                 original_shape=(720, 1280),
                 frame_inds=np.array(inds, dtype=np.int16),
                 box_score=rng.uniform(0.3, 1, len(inds)).astype(np.float16),
                 raw_file=osp.basename(kpfile)))
    with open(path, 'wb') as f:
        pickle.dump(dict(split=_split(videos), annotations=annotations), f)
    with open(kpfile, 'wb') as f:
        pickle.dump(videos, f)


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_skeletons')
    data = dict(ann_3d=str(root / 'tiny_3d.pkl'),
                ann_2d=str(root / 'tiny_gym.pkl'),
                ann_k400=str(root / 'tiny_k400.pkl'),
                kpfile=str(root / 'raw' / 'k400_kpfile_0.pkl'),
                kpfile_dir=str(root / 'kpfiles'))
    os.makedirs(osp.dirname(data['kpfile']))
    write_3d(data['ann_3d'])
    write_2d(data['ann_2d'])
    write_kinetics(data['ann_k400'], data['kpfile'])
    run([sys.executable, SPLITTER, osp.dirname(data['kpfile']),
         data['kpfile_dir'], '--ann-file', data['ann_k400']], cwd=str(root))
    return data


# ---------------------------------------------------------------------------
# Config loading and shrinking
# ---------------------------------------------------------------------------
def load(rel):
    from mmengine.config import Config
    return Config.fromfile(osp.join(CONFIG_ROOT, rel))


def _inner(dataset_cfg):
    return dataset_cfg.dataset if dataset_cfg.type == 'RepeatDataset' \
        else dataset_cfg


def shrink(cfg, data, key):
    """Point the config at the tiny data and make everything small."""
    if key == 'k400':
        ann_file, prefix = data['ann_k400'], data['kpfile_dir']
    elif key == 'gym':
        ann_file, prefix = data['ann_2d'], None
    else:
        ann_file, prefix = data['ann_3d'], None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        dataset = _inner(cfg[loader].dataset)
        dataset.ann_file = ann_file
        # mmengine's serialisation runs gc.collect(): 0.2 s a dataset
        dataset.serialize_data = False
        if prefix:
            dataset.data_prefix.skeleton = prefix
        for step in dataset.pipeline:
            if step.type == 'UniformSampleFrames':
                step.clip_len = 8
    cfg.model.backbone.base_channels = 8
    cfg.model.cls_head.in_channels = 32
    if cfg.model.cls_head.type == 'AffinityContrastHead':
        cfg.model.cls_head.memory_size = 16
    return cfg


def check_against_name(cfg, info):
    """The config is what its name says."""
    num_classes, train_split, memory, joints = EXPECTED[info['key']]
    head = cfg.model.cls_head
    backbone = cfg.model.backbone
    assert head.num_classes == num_classes
    assert head.in_channels == 256
    if info['arm'] == 'aclnet':
        assert head.type == 'AffinityContrastHead'
        assert (head.embed_dim, head.num_neighbors, head.overlap_threshold,
                head.prototype_momentum) == (256, 10, 4, 0.9)
        assert head.loss_inter.loss_weight == 0.1
        assert (head.loss_intra.loss_weight, head.loss_intra.margin,
                head.loss_intra.temperature) == (0.1, 0.1, 0.1)
        assert head.memory_size == memory
        [hook] = cfg.custom_hooks
        assert hook.type == 'MotionFamilyHook' and hook.start_epoch == 6
    else:
        assert head.type == 'GCNHead'
        assert cfg.custom_hooks == []
    if info['backbone'] == 'stgcnpp':
        assert backbone.type == 'STGCN'
        assert (backbone.gcn_adaptive, backbone.gcn_with_res,
                backbone.tcn_type) == ('init', True, 'mstcn')
    else:
        assert backbone.type == 'CTRGCN'
    layout = backbone.graph_cfg.layout
    assert (layout == 'nturgb+d') if joints == 25 else \
        (layout.num_node == joints)

    train = cfg.train_dataloader
    assert train.dataset.type == 'RepeatDataset' and train.dataset.times == 5
    assert cfg.train_cfg.max_epochs == 30  # 5 x 30 = the 150e of the name
    assert train.batch_size == 16
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.momentum,
            optimizer.weight_decay, optimizer.nesterov) == (
                'SGD', 0.2, 0.9, 0.0005, True)
    assert cfg.auto_scale_lr.base_batch_size == 128
    assert cfg.param_scheduler[0].type == 'CosineAnnealingLR'
    assert cfg.custom_imports.imports == ['aclnet_plugin']
    assert not cfg.custom_imports.allow_failed_imports
    assert _inner(train.dataset).split == train_split
    assert cfg.test_dataloader.dataset.split == train_split.replace(
        'train', 'val')

    feat = FEATS[info['stream']]
    for loader, clips in (('train_dataloader', None), ('val_dataloader', 1),
                          ('test_dataloader', 10)):
        pipeline = _inner(cfg[loader].dataset).pipeline
        types = [step.type for step in pipeline]
        [feats] = [step for step in pipeline if step.type == 'SkeletonFeat']
        assert feats.feats == [feat]
        assert feats.layout == ('nturgb+d' if joints == 25 else 'coco20')
        [sample] = [s for s in pipeline if s.type == 'UniformSampleFrames']
        assert sample.clip_len == 100
        assert sample.get('num_clips', 1) == (clips or 1)
        assert bool(sample.get('test_mode')) == (clips is not None)
        assert ('RandomRot' in types) == (joints == 25 and clips is None)
        assert types[-1] == 'PackActionInputs'


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
def test_committed_configs_are_what_the_generator_writes():
    generator = _load_generator()
    assert generator.write(CONFIG_ROOT, check=True) == []
    # nothing stray: every benchmark config here comes from the generator
    assert sorted(rel for rel in generator.all_configs()
                  if not rel.startswith('_base_')) == CONFIGS
    assert len(CONFIGS) == 152


def test_generator_is_idempotent(tmp_path):
    generator = _load_generator()
    first = generator.write(str(tmp_path))
    assert len(first) == 152 + 1  # and the shared schedule base
    assert generator.write(str(tmp_path)) == []


def test_coco20_graph_matches_the_layout():
    from aclnet_plugin.datasets.layouts import get_layout
    generator = _load_generator()
    layout = get_layout('coco20').graph_cfg()['layout']
    assert generator.COCO20_GRAPH == layout


@pytest.mark.parametrize('rel', CONFIGS)
def test_config_trains_and_tests(rel, tiny_data):
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from mmaction.registry import DATASETS, HOOKS, MODELS
    init_default_scope('mmaction')

    info = describe(rel)
    cfg = load(rel)
    check_against_name(cfg, info)
    if info['alias']:
        target = cfg.filename
        assert osp.exists(target)
    hooks = [HOOKS.build(dict(h)) for h in cfg.custom_hooks]
    assert len(hooks) == (info['arm'] == 'aclnet')

    shrink(cfg, tiny_data, info['key'])
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    joints = EXPECTED[info['key']][3]
    persons = 1 if info['key'] == 'gym' else 2

    # one training iteration
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate([train_set[i] for i in range(4)])
    assert batch['inputs'][0].shape == (1, persons, 8, joints, 3)
    model.train()
    data = model.data_preprocessor(batch, training=True)
    losses = model(**data, mode='loss')
    if info['arm'] == 'aclnet':
        assert {'loss_cls', 'loss_inter', 'loss_intra'} <= set(losses)
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)

    # one validation sample and one test iteration (10 clips)
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    assert val_set[0]['inputs'].shape == (1, persons, 8, joints, 3)
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    batch = pseudo_collate([test_set[i] for i in range(2)])
    assert batch['inputs'][0].shape == (10, persons, 8, joints, 3)
    model.eval()
    with torch.no_grad():
        outputs = model.test_step(batch)
    num_classes = EXPECTED[info['key']][0]
    assert len(outputs) == 2
    for output in outputs:
        score = output.pred_score
        assert score.shape == (num_classes, )
        assert torch.allclose(score.sum(), torch.tensor(1.), atol=1e-4)


def test_split_k400_kpfiles(tiny_data, tmp_path):
    """Per-video files hold the kpfile's entries; reruns skip; gaps found."""
    with open(tiny_data['kpfile'], 'rb') as f:
        videos = pickle.load(f)
    for name, item in videos.items():
        with open(osp.join(tiny_data['kpfile_dir'], name + '.pkl'),
                  'rb') as f:
            assert np.array_equal(pickle.load(f)['keypoint'],
                                  item['keypoint'])
    proc = run([sys.executable, SPLITTER, tiny_data['kpfile'],
                tiny_data['kpfile_dir']], cwd=str(tmp_path))
    assert '0 videos written, 6 skipped' in proc.stdout
    empty = tmp_path / 'empty'
    empty.mkdir()
    proc = subprocess.run(
        [sys.executable, SPLITTER, str(empty / 'none.pkl'), str(empty)],
        capture_output=True, text=True)
    assert proc.returncode != 0
    (empty / 'one.pkl').write_bytes(
        pickle.dumps({'k400_000': videos['k400_000']}))
    proc = subprocess.run(
        [sys.executable, SPLITTER, str(empty / 'one.pkl'), str(empty / 'out'),
         '--ann-file', tiny_data['ann_k400']],
        capture_output=True, text=True)
    assert proc.returncode == 1
    assert '5 videos of' in proc.stdout


def test_mim_train_alias_from_repo_root(tiny_data, tmp_path):
    """`mim train mmaction configs/aclnet/ntu120_xset.py` runs as written.

    One iteration and one validation on the tiny 3D pickle, given with the
    --cfg-options the config's comment shows; the model is shrunk.
    """
    pkl = tiny_data['ann_3d']
    work_dir = tmp_path / 'work'
    options = [
        f'train_dataloader.dataset.dataset.ann_file={pkl}',
        f'val_dataloader.dataset.ann_file={pkl}',
        f'test_dataloader.dataset.ann_file={pkl}',
        'train_dataloader.dataset.times=1', 'train_cfg.max_epochs=1',
        'model.backbone.base_channels=8', 'model.cls_head.in_channels=32',
        'model.cls_head.memory_size=16',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    run([bin_path('mim'), 'train', 'mmaction', 'configs/aclnet/ntu120_xset.py',
         '--work-dir', str(work_dir), '--cfg-options'] + options,
        cwd=REPO)
    assert (work_dir / 'epoch_1.pth').exists()
    logs = glob.glob(str(work_dir / '*' / '*.log'))
    assert logs
    text = open(logs[0]).read()
    assert 'AffinityContrastHead' in text or 'loss_intra' in text
    assert 'acc/top1' in text
