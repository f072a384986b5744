"""The NW-UCLA configs: layout, streams, ablations, and every config trained
for one epoch and tested on real clips from ../shared (skipped without them).
"""
import glob
import os.path as osp

import numpy as np
import pytest

from aclnet_plugin.datasets import get_layout
from conftest import NW_UCLA, REPO, config_differences

needs_data = pytest.mark.skipif(
    NW_UCLA is None, reason='NW-UCLA not found (../shared or NW_UCLA_ROOT)')
NW_UCLA_CONFIGS = osp.join(REPO, 'configs', 'aclnet', 'nw_ucla')
SMALL_NAME = 'stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'
SMALL = osp.join(NW_UCLA_CONFIGS, f'aclnet_{SMALL_NAME}')
CONFIGS = sorted(
    osp.relpath(p, NW_UCLA_CONFIGS)
    for p in glob.glob(osp.join(NW_UCLA_CONFIGS, '**', '*.py'),
                       recursive=True))


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
def test_small_config_trains_one_iteration(nw_ucla_pickle, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    ann_file = nw_ucla_pickle
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
@pytest.mark.parametrize('name', [c for c in CONFIGS
                                  if not c.startswith('ablation/')])
def test_every_config_trains_and_tests(name, nw_ucla_pickle, tmp_path):
    """Small and full-size, ACLNet, its ablations and baseline: one epoch,
    then the test protocol (10 clips per video) on real clips (CTR-GCN at a
    quarter of its width: its full size is test_ctrgcn.py's)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    ann_file = nw_ucla_pickle
    cfg = Config.fromfile(osp.join(NW_UCLA_CONFIGS, name))
    cfg.work_dir = str(tmp_path / 'work')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _real_dataset(cfg[loader].dataset).ann_file = ann_file
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    # the authors' recipe recomputes the families at the first step of the
    # epoch after the start: a second epoch
    authors = cfg.model.cls_head.get('recipe') == 'authors'
    cfg.train_cfg.max_epochs = 2 if authors else 1
    cfg.param_scheduler = []
    for hook in cfg.custom_hooks:
        if hook.type == 'MotionFamilyHook':
            hook.start_epoch = 1
    if cfg.model.backbone.type == 'CTRGCN':  # a quarter of the width
        # what the full width would check: the head takes the backbone's
        # output (4 x base channels)
        import inspect

        from aclnet_plugin.models import CTRGCN
        default = inspect.signature(CTRGCN).parameters['base_channels']
        assert cfg.model.cls_head.in_channels == 4 * cfg.model.backbone.get(
            'base_channels', default.default)
        cfg.model.backbone.base_channels = 16
        cfg.model.cls_head.in_channels = 64
    baseline = osp.basename(name).startswith('baseline_')
    assert (cfg.model.cls_head.type == 'AffinityContrastHead') != baseline
    has_hook = any(h.type == 'MotionFamilyHook' for h in cfg.custom_hooks)
    cfg.default_hooks.checkpoint = None  # tested elsewhere; 0.2 s a run
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == cfg.train_cfg.max_epochs
    metrics = runner.test()
    assert 0 <= metrics['acc/top1'] <= 1
    assert osp.exists(osp.join(cfg.work_dir, 'motion_families',
                               'epoch_1.json')) == has_hook


def test_paper_model_arms_differ_only_in_the_losses():
    """paper_model/: the authors' backbone on the Kinect v1 layout; ACLNet
    fed by its topology in the authors' recipe and in the equations recipe,
    the latter fed by the pooled feature, and cross-entropy alone."""
    from mmengine.config import Config

    def load(arm):
        return Config.fromfile(osp.join(
            NW_UCLA_CONFIGS, 'paper_model',
            f'{arm}_aclnetgcn-small_1xb16-joint-u52-40e_nw-ucla-xview-'
            'keypoint-3d.py')).to_dict()

    aclnet = load('aclnet')
    assert aclnet['model']['backbone'] == dict(
        type='ACLNetGCN', graph_cfg=dict(layout='nw-ucla'),
        base_channels=16, out_topology=True)
    # against the small ST-GCN++ ACLNet: the backbone, the public code's
    # knobs and the topology log, nothing else
    stgcnpp = Config.fromfile(SMALL).to_dict()
    assert aclnet['custom_hooks'] == stgcnpp['custom_hooks'] + [
        dict(type='TopologyMonitorHook')]
    stgcnpp['model']['backbone'] = aclnet['model']['backbone']
    stgcnpp['custom_hooks'] = aclnet['custom_hooks']
    assert config_differences(stgcnpp, aclnet) == {
        'model.cls_head.contrast_input': (None, 'topology'),
        'model.cls_head.num_joints': (None, 20),
        'model.cls_head.recipe': (None, 'authors'),
        'model.cls_head.loss_intra': (None, dict(
            type='MarginalContrastLoss', margin=0.01, temperature=0.1,
            loss_weight=0.1)),
        'model.cls_head.memory_size': (None, 80)}
    equations = load('aclnet-equations')
    assert config_differences(aclnet, equations) == {
        'model.cls_head.recipe': ('authors', 'equations'),
        'model.cls_head.prototype_samples': (None, 'correct')}
    assert config_differences(equations, load('aclnet-pooled')) == {
        'model.backbone.out_topology': (True, False),
        'model.cls_head.contrast_input': ('topology', 'feature'),
        'model.cls_head.num_joints': (20, None)}
    baseline = load('baseline')
    assert baseline['model']['cls_head'] == dict(
        type='GCNHead', num_classes=10, in_channels=64)
    assert baseline['custom_hooks'] == [dict(type='TopologyMonitorHook')]
    assert baseline['model']['backbone']['out_topology'] is False
    baseline['model']['cls_head'] = aclnet['model']['cls_head']
    baseline['custom_hooks'] = aclnet['custom_hooks']
    baseline['model']['backbone']['out_topology'] = True
    assert config_differences(aclnet, baseline) == {}


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
        return config_differences(full, _ablation_config(arm).to_dict())

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


# NW-UCLA's bones (child, parent), 1-based, from the dataset's README.
NW_UCLA_BONES = [(1, 2), (2, 3), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7),
                 (9, 3), (10, 9), (11, 10), (12, 11), (13, 1), (14, 13),
                 (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19)]


@pytest.mark.parametrize('name', [
    n for n in CONFIGS if not n.startswith('ablation')])
def test_streams_use_the_nw_ucla_layout(name):
    """Every pipeline computes its stream on the NW-UCLA skeleton, so a bone
    stream is each joint minus its NW-UCLA parent (not NTU's)."""
    from mmengine.config import Config

    from mmaction.registry import TRANSFORMS
    cfg = Config.fromfile(osp.join(NW_UCLA_CONFIGS, name))
    for key in ('train_pipeline', 'val_pipeline', 'test_pipeline'):
        [feat] = [s for s in cfg[key] if 'Feat' in s.type]
        assert (feat.type, feat.layout) == ('SkeletonFeat', 'nw-ucla')
    [feat] = [s for s in cfg.val_pipeline if s.type == 'SkeletonFeat']
    bone = TRANSFORMS.build({**feat, 'feats': ['b']})
    rng = np.random.default_rng(0)
    joints = rng.normal(size=(1, 5, 20, 3)).astype(np.float32)
    out = bone(dict(keypoint=joints.copy()))['keypoint']
    expected = np.zeros_like(joints)  # the root, joint 3, stays zero
    for child, parent in NW_UCLA_BONES:
        expected[:, :, child - 1] = (joints[:, :, child - 1] -
                                     joints[:, :, parent - 1])
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6)


@needs_data
def test_bone_stream_of_a_real_clip(nw_ucla_pickle):
    """On a real clip: after the small config's normalisation, the bone
    stream is each joint minus its NW-UCLA parent."""
    import pickle

    from mmengine.config import Config

    from mmaction.registry import TRANSFORMS
    cfg = Config.fromfile(SMALL)
    steps = [dict(s) for s in cfg.val_pipeline]
    cut = next(i for i, s in enumerate(steps) if s['type'] == 'SkeletonFeat')
    normalize = [TRANSFORMS.build(s) for s in steps[:cut]]
    bone = TRANSFORMS.build({**steps[cut], 'feats': ['b']})
    with open(nw_ucla_pickle, 'rb') as f:
        clip = pickle.load(f)['annotations'][0]
    results = dict(clip, keypoint=clip['keypoint'].copy())
    for step in normalize:
        results = step(results)
    joints = results['keypoint'].copy()
    out = bone(results)['keypoint']
    for child, parent in NW_UCLA_BONES:
        np.testing.assert_allclose(
            out[:, :, child - 1],
            joints[:, :, child - 1] - joints[:, :, parent - 1], atol=1e-6)
    np.testing.assert_array_equal(out[:, :, 2], 0)  # the root: joint 3


@needs_data
@pytest.mark.parametrize('name', [
    f'aclnet_{SMALL_NAME}',
    'aclnet_ctrgcn_1xb16-joint-u52-325e_nw-ucla-xview-keypoint-3d.py'])
def test_normalisation_is_the_measured_chain(name, nw_ucla_pickle):
    """The configs' normalisation gives, on real clips, exactly what the
    README's figures were measured with: mmaction's PreNormalize3D, then
    CenterOnJoint(1), then the joint stream (GenSkeFeat), right foot of the
    first frame zeroed and all. (A model trained on it loses about 17
    points when its input differs in that one joint.)"""
    import pickle

    from mmengine.config import Config

    from mmaction.registry import TRANSFORMS
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(NW_UCLA_CONFIGS, name))
    steps = [dict(s) for s in cfg.train_dataloader.dataset.dataset.pipeline
             if s['type'] not in ('RandomRot', 'RandomScale')] \
        if 'dataset' in cfg.train_dataloader.dataset else None
    if steps is None:
        steps = [dict(s) for s in cfg.train_dataloader.dataset.pipeline]
    cut = next(i for i, s in enumerate(steps) if s['type'] == 'SkeletonFeat')
    ours = [TRANSFORMS.build(s) for s in steps[:cut + 1]]
    measured = [TRANSFORMS.build(s) for s in (
        dict(type='PreNormalize3D', zaxis=[0, 1], xaxis=[8, 4]),
        dict(type='CenterOnJoint', joint=1),
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']))]
    with open(nw_ucla_pickle, 'rb') as f:
        clips = pickle.load(f)['annotations']
    for clip in clips:
        outputs = []
        for chain in (ours, measured):
            results = dict(clip, keypoint=clip['keypoint'].copy())
            for step in chain:
                results = step(results)
            outputs.append(results['keypoint'])
        np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-5)
        assert (outputs[0][0, 0, -1] == 0).all()  # the lost right foot


@needs_data
def test_training_input_is_bitwise_the_measured_one(nw_ucla_pickle):
    """The small config's whole training pipeline gives, on real clips and
    from the same random state, the very bits of the chain its seven-seed
    table was measured with (mmaction's PreNormalize3D, GenSkeFeat and
    UniformSampleFrames): a rerun that differs from that table does not
    differ by its input."""
    import pickle

    from mmengine.config import Config

    from mmaction.registry import TRANSFORMS
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(NW_UCLA_CONFIGS, f'baseline_{SMALL_NAME}'))
    steps = [dict(s) for s in cfg.train_dataloader.dataset.pipeline]
    stock = {'FastPreNormalize3D': 'PreNormalize3D',
             'FastUniformSampleFrames': 'UniformSampleFrames'}
    measured = [dict(s, type=stock.get(s['type'], s['type']))
                for s in steps]
    feat = next(i for i, s in enumerate(steps) if s['type'] == 'SkeletonFeat')
    measured[feat] = dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j'])
    assert [s['type'] for s in measured][:4] == [
        'PreNormalize3D', 'CenterOnJoint', 'GenSkeFeat', 'UniformSampleFrames']
    chains = [[TRANSFORMS.build(s) for s in chain]
              for chain in (steps, measured)]
    with open(nw_ucla_pickle, 'rb') as f:
        clips = pickle.load(f)['annotations'][::10]
    for index, clip in enumerate(clips):
        inputs = []
        for chain in chains:
            np.random.seed(index)
            results = dict(clip, keypoint=clip['keypoint'].copy(),
                           start_index=0, modality='Pose')
            for step in chain:
                results = step(results)
            inputs.append(results['inputs'].numpy())
        assert np.array_equal(*inputs), clip['frame_dir']


@pytest.mark.parametrize('name', [c for c in CONFIGS
                                  if c.startswith('ablation/')])
def test_every_ablation_builds_and_steps(name):
    """The ablations change only head or hook arguments of the ACLNet config
    (test_*_change_only_what_they_name), which trains on real clips above:
    each builds and takes a training step."""
    from conftest import ablation_builds_and_steps
    ablation_builds_and_steps(osp.join(NW_UCLA_CONFIGS, name), 20)
