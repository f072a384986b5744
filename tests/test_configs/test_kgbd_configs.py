"""The KGBD identity configs: one epoch of training and the retrieval test
on real walks from ../shared (skipped without them), and what the baseline
changes."""
import glob
import os.path as osp

import pytest

from aclnet_plugin.datasets import get_layout
from conftest import KGBD, REPO

needs_data = pytest.mark.skipif(
    KGBD is None, reason='KGBD not found (../shared or KGBD_ROOT)')
KGBD_CONFIGS = osp.join(REPO, 'configs', 'aclnet', 'kgbd')
CONFIGS = sorted(osp.basename(p)
                 for p in glob.glob(osp.join(KGBD_CONFIGS, '*.py')))


def load(name):
    from mmengine.config import Config
    return Config.fromfile(osp.join(KGBD_CONFIGS, name))


@pytest.mark.parametrize('name', CONFIGS)
def test_layout_and_retrieval_settings(name):
    cfg = load(name)
    layout = cfg.model.backbone.graph_cfg.layout
    expected = get_layout('nw-ucla').graph_cfg()['layout']
    assert sorted(map(list, layout.inward)) == sorted(
        map(list, expected['inward']))
    head = cfg.model.cls_head
    assert head.type == 'AffinityContrastHead'
    baseline = name.startswith('baseline_')
    assert head.test_embedding == ('feature' if baseline else 'projection')
    if baseline:  # cross-entropy alone: both contrastive losses off
        assert head.loss_inter.loss_weight == head.loss_intra.loss_weight == 0
        assert cfg.custom_hooks == []
    [metric] = cfg.test_evaluator
    assert metric.type == 'EmbeddingRetrievalMetric'
    assert metric.ann_file == cfg.test_dataloader.dataset.ann_file
    assert head.num_classes == (164 if '-reid-' in name else 100)


@needs_data
@pytest.mark.parametrize('name', CONFIGS)
def test_trains_and_tests_on_real_walks(name, kgbd_pickles, tmp_path):
    from mmengine.runner import Runner
    protocol = 'reid' if '-reid-' in name else 'open'
    ann_file = kgbd_pickles['paths'][protocol]
    cfg = load(name)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.dataset.times = 1
    cfg.train_dataloader.dataset.dataset.ann_file = ann_file
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.ann_file = ann_file
        for step in cfg[loader].dataset.pipeline:
            if step.type == 'SampleFrames':
                step.num_clips = 3
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator][0].ann_file = ann_file
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    for hook in cfg.custom_hooks:
        hook.start_epoch = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    for key in ('clip/rank1', 'clip/mAP', 'sequence/rank1',
                'sequence/mAP'):
        assert 0 <= metrics[f'retrieval/{key}'] <= 100
    if cfg.custom_hooks:
        assert osp.exists(osp.join(cfg.work_dir, 'motion_families',
                                   'epoch_1.json'))
