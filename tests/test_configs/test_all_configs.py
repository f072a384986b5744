"""Every benchmark config under configs/aclnet/ loads, builds and runs.

Each action-recognition benchmark config (configs/aclnet/ but the demo
config and the real-data and identity folders nw_ucla/, fpha/, kgbd/ and
casia_b/, which have their own tests: the five hand-written complete configs
and the leaves tools/misc/generate_configs.py writes) is loaded with
``Config.fromfile`` and checked against its file name (head, hook, backbone,
stream, schedule, classes, splits) and the augmentation recipe of the ACLNet
authors' public configs, then shrunk
(ST-GCN++ / CTR-GCN with 8 base channels, clips of 8 frames, a 16-entry
memory queue) and run on a tiny generated pickle of its kind (3D, 25 joints;
2D COCO with scores; Kinetics' compressed per-video keypoint files):

- one training iteration: a batch from the real training pipeline through
  the model's data preprocessor, the forward in 'loss' mode and a backward;
- one test iteration: a batch from the real 10-clip test pipeline through
  ``test_step`` ('predict' mode), plus one sample of the validation pipeline.

All configs are run fully (no sampling). Besides, the committed leaves must
be exactly what the generator writes, and ``mim train`` of the alias
``configs/aclnet/ntu120_xset.py`` must run from the repository root.
"""
import glob
import json
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
from helpers.tiny_skeletons import write_2d, write_3d, write_kinetics

CONFIG_ROOT = osp.join(REPO, 'configs', 'aclnet')
GENERATOR = osp.join(REPO, 'tools', 'misc', 'generate_configs.py')
SPLITTER = osp.join(REPO, 'tools', 'misc', 'split_k400_kpfiles.py')
NAME = re.compile(r'^(?P<arm>aclnet|baseline)_'
                  r'(?P<backbone>stgcnpp|ctrgcn|aclnetgcn)_'
                  r'8xb16-(?P<stream>[a-z-]+?)-u(?P<clip_len>100|50)-150e_'
                  r'(?P<key>[a-z0-9-]+)-keypoint-(?P<dim>2d|3d)\.py$')
# The folders of the action-recognition benchmarks ('' holds the aliases);
# the real-data folders (nw_ucla, fpha, kgbd, casia_b) have their own tests.
BENCHMARK_FOLDERS = ('', 'ntu60', 'ntu120', 'pku_mmd', 'k400', 'gym')
# The complete configs, one per dataset, written by hand.
HAND_WRITTEN = [
    'ntu60/aclnet_stgcnpp_8xb16-joint-u100-150e_ntu60-xsub-keypoint-3d.py',
    'ntu120/aclnet_stgcnpp_8xb16-joint-u100-150e_ntu120-xsub-keypoint-3d.py',
    'pku_mmd/aclnet_stgcnpp_8xb16-joint-u50-150e_pku-mmd-xsub-keypoint-3d.py',
    'k400/aclnet_stgcnpp_8xb16-joint-u100-150e_k400-keypoint-2d.py',
    'gym/aclnet_stgcnpp_8xb16-joint-u100-150e_gym-keypoint-2d.py',
]
# The augmentation of the authors' public configs, per split and stream:
# 'flip' = left/right joint swap (p 0.5, no mirroring), 'drop' = limb drop
# (p 0.2); absent = neither (written out from the table).
RECIPE = {
    'ntu60-xsub': dict(b='flip', k='flip', bm='flip', km='flip'),
    'ntu60-xview': dict(k='drop', km='drop'),
    'ntu120-xsub': dict(j='flip', b='flip', k='drop', jm='flip', bm='flip',
                        km='drop'),
    'ntu120-xset': dict(b='flip', k='flip', bm='flip', km='flip'),
    'pku-mmd-xsub': dict(j='drop', b='drop', k='drop', jm='drop', bm='drop',
                         km='drop'),
    'pku-mmd-xview': dict(j='drop', b='drop', k='drop', jm='drop',
                          bm='drop', km='drop'),
}
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
        folder = osp.dirname(rel)
        if folder not in BENCHMARK_FOLDERS or '_demo-' in rel:
            continue
        files.append(rel)
    return sorted(files)


CONFIGS = config_files()


def describe(rel):
    """What the file name promises: arm, backbone, stream, benchmark."""
    stem = osp.basename(rel)[:-3]
    if stem in ALIASES:
        key = ALIASES[stem]
        return dict(arm='aclnet', backbone='aclnetgcn', stream='joint',
                    key=key, alias=True,
                    clip_len='50' if key.startswith('pku') else '100')
    match = NAME.match(osp.basename(rel))
    assert match, f'{rel} does not follow the naming scheme'
    info = match.groupdict()
    info['alias'] = False
    return info


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
            if step.type == 'FastUniformSampleFrames':
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
    paper = info['backbone'] == 'aclnetgcn'  # the paper's own model
    assert head.num_classes == num_classes
    assert head.in_channels == (384 if paper else 256)
    if info['arm'] == 'aclnet':
        assert head.type == 'AffinityContrastHead'
        assert (head.embed_dim, head.num_neighbors, head.overlap_threshold,
                head.prototype_momentum) == (256, 10, 4, 0.9)
        assert head.loss_inter.loss_weight == 0.1
        # the public code's margin (0.1 in logits at tau 0.1) on the paper's
        # model, the paper's (0.1 in cosine terms) on the others
        assert (head.loss_intra.loss_weight, head.loss_intra.margin,
                head.loss_intra.temperature) == (
                    0.1, 0.01 if paper else 0.1, 0.1)
        assert head.memory_size == memory
        assert head.get('contrast_input', 'feature') == (
            'topology' if paper else 'feature')
        # the paper's model trains as its authors' code does (whose recipe
        # takes prototypes from correctly classified samples), the drop-in
        # head as the paper's equations read
        assert head.get('recipe', 'equations') == (
            'authors' if paper else 'equations')
        assert 'prototype_samples' not in head
        if paper:
            assert head.num_joints == joints
        [hook] = cfg.custom_hooks
        assert hook.type == 'MotionFamilyHook' and hook.start_epoch == 6
    else:
        assert head.type == 'GCNHead'
        assert cfg.custom_hooks == []
    if info['backbone'] == 'stgcnpp':
        assert backbone.type == 'STGCN'
        assert (backbone.gcn_adaptive, backbone.gcn_with_res,
                backbone.tcn_type) == ('init', True, 'mstcn')
    elif paper:
        assert backbone.type == 'ACLNetGCN'
        assert (backbone.in_channels, backbone.base_channels) == (3, 96)
        assert backbone.out_topology == (info['arm'] == 'aclnet')
    else:
        assert backbone.type == 'CTRGCN'
    layout = backbone.graph_cfg.layout
    if paper:
        assert layout == ('nturgb+d' if joints == 25 else 'coco20')
    else:
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
        [sample] = [s for s in pipeline
                    if s.type == 'FastUniformSampleFrames']
        assert sample.clip_len == int(info['clip_len'])
        assert sample.get('num_clips', 1) == (clips or 1)
        assert bool(sample.get('test_mode')) == (clips is not None)
        assert ('RandomRot' in types) == (joints == 25 and clips is None)
        assert types[-1] == 'PackActionInputs'
        assert 'PreNormalize2D' not in types  # 2D: raw pixels, as published
        assert ('FastPreNormalize3D' in types) == (joints == 25)
        aug = RECIPE.get(info['key'], {}).get(feat) if clips is None else None
        flips = [s for s in pipeline if s.type == 'SkeletonFlip']
        drops = [s for s in pipeline if s.type == 'LimbDrop']
        assert len(flips) == (aug == 'flip') and len(drops) == (aug == 'drop')
        for flip in flips:  # joints swapped, coordinates not mirrored
            assert (flip.p, flip.axis) == (0.5, None)
            assert types.index('SkeletonFlip') < types.index('SkeletonFeat')
        for drop in drops:  # one arm or leg, in the stream's features
            assert drop.p == 0.2 and sorted(drop.limbs) == [
                'left_arm', 'left_leg', 'right_arm', 'right_leg']
            assert types.index('LimbDrop') > types.index('SkeletonFeat')
    assert cfg.default_hooks.data_check.type == 'DataCheckHook'
    assert cfg.default_hooks.finite_loss.type == 'FiniteLossHook'


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
def test_committed_configs_are_what_the_generator_writes():
    generator = _load_generator()
    assert generator.write(CONFIG_ROOT, check=True) == []
    # nothing stray: every benchmark config here is hand-written or a leaf
    assert sorted(list(generator.all_configs()) + HAND_WRITTEN) == CONFIGS
    # per split: 6 streams and the baseline of ST-GCN++ and of the paper's
    # model, and on NTU the CTR-GCN pair; the 8 aliases
    assert len(CONFIGS) == 8 * 7 * 2 + 4 * 2 + 8 == 128


def test_generator_is_idempotent(tmp_path):
    generator = _load_generator()
    first = generator.write(str(tmp_path))
    assert len(first) == 128 - len(HAND_WRITTEN)
    assert generator.write(str(tmp_path)) == []


@pytest.mark.parametrize('rel', [r for r in HAND_WRITTEN if '2d' in r])
def test_coco20_graph_matches_the_layout(rel):
    from aclnet_plugin.datasets.layouts import get_layout
    layout = get_layout('coco20').graph_cfg()['layout']
    written = load(rel).model.backbone.graph_cfg.layout
    assert written.num_node == layout['num_node']
    assert written.center == layout['center']
    assert [list(e) for e in written.inward] == layout['inward']


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
    joints = EXPECTED[info['key']][3]
    persons = 1 if info['key'] == 'gym' else 2
    # every config's pipelines run; the model only in the joint stream's
    # config: the other streams take it and replace only the pipelines
    # (the generator writes them so, test_committed_configs_are_what_the_
    # generator_writes)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate([train_set[i] for i in range(4)])
    assert batch['inputs'][0].shape == (1, persons, 8, joints, 3)
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    assert val_set[0]['inputs'].shape == (1, persons, 8, joints, 3)
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    test_batch = pseudo_collate([test_set[i] for i in range(2)])
    assert test_batch['inputs'][0].shape == (10, persons, 8, joints, 3)
    if info['stream'] != 'joint':
        return

    # one training iteration
    model = MODELS.build(cfg.model)
    model.init_weights()
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

    # one test iteration (10 clips)
    model.eval()
    with torch.no_grad():
        outputs = model.test_step(test_batch)
    num_classes = EXPECTED[info['key']][0]
    assert len(outputs) == 2
    for output in outputs:
        score = output.pred_score
        assert score.shape == (num_classes, )
        assert torch.allclose(score.sum(), torch.tensor(1.), atol=1e-4)


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
    # what the run logged, not the config it printed: the training step's
    # contrastive losses and the validation accuracy
    [scalars] = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    rows = [json.loads(line) for line in open(scalars)]
    assert any('loss_intra' in r and 'loss_inter' in r for r in rows)
    assert any('acc/top1' in r for r in rows)
