"""The F-PHAB configs: the hand graph, what each ablation changes, and every
config trained for one epoch and tested on real sequences from ../shared
(skipped without them)."""
import glob
import os.path as osp

import pytest

from aclnet_plugin.datasets import get_layout
from conftest import FPHA, REPO, config_differences

needs_data = pytest.mark.skipif(
    FPHA is None, reason='F-PHAB not found (../shared or FPHA_ROOT)')
FPHA_CONFIGS = osp.join(REPO, 'configs', 'aclnet', 'fpha')
NAME = 'stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py'
ACLNET = osp.join(FPHA_CONFIGS, f'aclnet_{NAME}')
CONFIGS = sorted(
    osp.relpath(p, FPHA_CONFIGS)
    for p in glob.glob(osp.join(FPHA_CONFIGS, '**', '*.py'), recursive=True))


def load(path):
    from mmengine.config import Config
    return Config.fromfile(path)


def test_graph_and_streams_are_the_hand_layout():
    cfg = load(ACLNET)
    layout = cfg.model.backbone.graph_cfg.layout
    expected = get_layout('fpha-hand').graph_cfg()['layout']
    assert layout.num_node == expected['num_node'] == 21
    assert layout.center == expected['center']
    assert sorted(map(list, layout.inward)) == sorted(expected['inward'])
    for key in ('train_pipeline', 'val_pipeline', 'test_pipeline'):
        [feat] = [s for s in cfg[key] if s.type == 'SkeletonFeat']
        assert feat.layout == 'fpha-hand'
    assert len(cfg.class_names) == cfg.num_classes == 45
    head = cfg.model.cls_head
    assert (head.num_neighbors, head.overlap_threshold) == (5, 2)


@pytest.mark.parametrize('stream,feats', [('bone', 'b'),
                                          ('joint-motion', 'jm'),
                                          ('bone-motion', 'bm')])
def test_streams_change_only_the_skeleton_feature(stream, feats):
    """Each stream config is the joint config with SkeletonFeat computing
    its stream, in all three pipelines and in the dataloaders that use them."""
    joint = load(ACLNET).to_dict()
    cfg = load(osp.join(FPHA_CONFIGS,
                        f'aclnet_{NAME.replace("joint", stream)}')).to_dict()
    differences = config_differences(joint, cfg)
    assert sorted(differences) == sorted(
        [f'{split}_pipeline' for split in ('train', 'val', 'test')] +
        [f'{split}_dataloader.dataset.pipeline'
         for split in ('train', 'val', 'test')])
    for before, after in differences.values():
        assert len(before) == len(after)
        changed = [config_differences(a, b) for a, b in zip(before, after)]
        assert [c for c in changed if c] == [{'feats': (['j'], [feats])}]


def test_arms_change_only_what_they_name():
    full = load(ACLNET).to_dict()

    def arm(rel):
        return config_differences(full, load(osp.join(FPHA_CONFIGS, rel)).to_dict())

    baseline = load(osp.join(FPHA_CONFIGS, f'baseline_{NAME}'))
    assert baseline.model.cls_head == dict(
        type='GCNHead', num_classes=45, in_channels=64)
    assert baseline.custom_hooks == []
    baseline.model.cls_head = full['model']['cls_head']
    baseline.custom_hooks = full['custom_hooks']
    assert config_differences(full, baseline.to_dict()) == {}
    assert arm(f'ablation/aclnet-intra_{NAME}') == {
        'model.cls_head.loss_inter': (None, dict(
            type='AffinityContrastLoss', loss_weight=0.)),
        'custom_hooks': (full['custom_hooks'], [])}
    assert arm(f'ablation/aclnet-inter_{NAME}') == {
        'model.cls_head.loss_intra': (None, dict(
            type='MarginalContrastLoss', margin=0.1, temperature=0.1,
            loss_weight=0.))}
    assert arm(f'ablation/aclnet-public_{NAME}') == {
        'model.cls_head.prototype_samples': (None, 'correct'),
        'model.cls_head.loss_intra': (None, dict(
            type='MarginalContrastLoss', margin=0.01, temperature=0.1,
            loss_weight=0.1)),
        'model.cls_head.memory_size': (None, 360)}
    assert arm(f'ablation/aclnet-decay_{NAME}') == {
        'model.cls_head.confusion_decay': (None, 0.5)}
    ramp = arm(f'ablation/aclnet-ramp_{NAME}')
    [(before, ), (after, )] = ramp['custom_hooks']
    assert list(ramp) == ['custom_hooks']
    assert after == {**before, 'inter_warmup': 8}
    freeze = arm(f'ablation/aclnet-freeze_{NAME}')
    [(before, ), (after, )] = freeze['custom_hooks']
    assert list(freeze) == ['custom_hooks']
    assert after == {**before, 'freeze_epoch': 20}


def test_paper_model_arms_differ_only_in_the_losses():
    """paper_model/: the authors' backbone; ACLNet fed by its topology in
    the authors' recipe and in the equations recipe, the latter fed by the
    pooled feature, and cross-entropy alone."""
    rel = ('paper_model/{}_aclnetgcn-small_1xb16-joint-u64-40e_'
           'fpha-keypoint-3d.py')
    aclnet = load(osp.join(FPHA_CONFIGS, rel.format('aclnet'))).to_dict()
    assert aclnet['model']['backbone'] == dict(
        type='ACLNetGCN', graph_cfg=dict(layout='fpha-hand'),
        base_channels=16, out_topology=True)
    # against the small ST-GCN++ ACLNet: the backbone and the public
    # code's knobs, nothing else
    stgcnpp = load(ACLNET).to_dict()
    stgcnpp['model']['backbone'] = aclnet['model']['backbone']
    stgcnpp['custom_hooks'] = aclnet['custom_hooks']
    assert aclnet['custom_hooks'][0] == load(ACLNET).custom_hooks[0]
    assert config_differences(stgcnpp, aclnet) == {
        'model.cls_head.contrast_input': (None, 'topology'),
        'model.cls_head.num_joints': (None, 21),
        'model.cls_head.recipe': (None, 'authors'),
        'model.cls_head.loss_intra': (None, dict(
            type='MarginalContrastLoss', margin=0.01, temperature=0.1,
            loss_weight=0.1)),
        'model.cls_head.memory_size': (None, 360)}
    equations = load(osp.join(FPHA_CONFIGS,
                              rel.format('aclnet-equations'))).to_dict()
    assert config_differences(aclnet, equations) == {
        'model.cls_head.recipe': ('authors', 'equations'),
        'model.cls_head.prototype_samples': (None, 'correct')}
    pooled = load(osp.join(FPHA_CONFIGS, rel.format('aclnet-pooled')))
    assert config_differences(equations, pooled.to_dict()) == {
        'model.backbone.out_topology': (True, False),
        'model.cls_head.contrast_input': ('topology', 'feature'),
        'model.cls_head.num_joints': (21, None)}
    # every arm logs how the topology grows
    assert aclnet['custom_hooks'][1] == dict(type='TopologyMonitorHook')
    baseline = load(osp.join(FPHA_CONFIGS, rel.format('baseline')))
    assert baseline.model.cls_head == dict(
        type='GCNHead', num_classes=45, in_channels=64)
    assert baseline.custom_hooks == [dict(type='TopologyMonitorHook')]
    assert baseline.model.backbone.out_topology is False
    baseline.model.cls_head = aclnet['model']['cls_head']
    baseline.custom_hooks = aclnet['custom_hooks']
    baseline.model.backbone.out_topology = True
    assert config_differences(aclnet, baseline.to_dict()) == {}


@needs_data
@pytest.mark.parametrize('name', [c for c in CONFIGS
                                  if not c.startswith('ablation/')])
def test_every_config_trains_and_tests(name, fpha_pickle, tmp_path):
    """One epoch, then the 10-clip test, on a few real sequences."""
    from mmengine.runner import Runner
    cfg = load(osp.join(FPHA_CONFIGS, name))
    cfg.work_dir = str(tmp_path / 'work')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.ann_file = fpha_pickle
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    # the authors' recipe recomputes the families at the first step of the
    # epoch after the start: a second epoch
    authors = cfg.model.cls_head.get('recipe') == 'authors'
    cfg.train_cfg.max_epochs = 2 if authors else 1
    cfg.param_scheduler = []
    families = [h for h in cfg.custom_hooks if h.type == 'MotionFamilyHook']
    for hook in families:
        hook.start_epoch = 1
    cfg.default_hooks.checkpoint = None  # tested elsewhere; 0.2 s a run
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == cfg.train_cfg.max_epochs
    metrics = runner.test()
    assert 0 <= metrics['acc/top1'] <= 1
    assert osp.exists(osp.join(cfg.work_dir, 'motion_families',
                               'epoch_1.json')) == bool(families)


@pytest.mark.parametrize('name', [c for c in CONFIGS
                                  if c.startswith('ablation/')])
def test_every_ablation_builds_and_steps(name):
    """The ablations change only head or hook arguments of the ACLNet config
    (test_*_change_only_what_they_name), which trains on real clips above:
    each builds and takes a training step."""
    from conftest import ablation_builds_and_steps
    ablation_builds_and_steps(osp.join(FPHA_CONFIGS, name), 21)
