"""End-to-end: mim train, resume and 2-process distributed training on CPU."""
import json
import os.path as osp

import torch
from mmengine.hooks import Hook

import pytest

from conftest import (bin_path, dump_config, run, tiny_config,
                      use_topology_input)

STATE_KEYS = ('confusion', 'prototypes', 'prototype_seen', 'family_mask',
              'temperatures', 'queue_embeddings', 'queue_labels', 'queue_ptr')


def head_state(checkpoint):
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    return {k: state[f'cls_head.{k}'] for k in STATE_KEYS}


def scalars(work_dir):
    """Rows of the training scalars mmengine logged as JSON lines."""
    [path] = [p for p in _glob(work_dir, '*/vis_data/scalars.json')]
    with open(path) as f:
        return [json.loads(line) for line in f]


def _glob(root, pattern):
    import glob
    return sorted(glob.glob(osp.join(str(root), pattern)))


def test_mim_train_demo_config(tiny_dataset, tmp_path):
    """`mim train` of the demo config, 2 epochs, families from epoch 1."""
    work_dir = tmp_path / 'work'
    cfg = tiny_config(tiny_dataset, work_dir, max_epochs=2, start_epoch=1)
    config = dump_config(cfg, tmp_path / 'demo_tiny.py')
    run([bin_path('mim'), 'train', 'mmaction', config, '--work-dir',
         str(work_dir)], cwd=str(tmp_path))

    rows = [r for r in scalars(work_dir) if 'loss_inter' in r]
    epoch1 = [r['loss_inter'] for r in rows if r['epoch'] == 1]
    epoch2 = [r['loss_inter'] for r in rows if r['epoch'] == 2]
    assert epoch1 and epoch2
    assert all(v == 0 for v in epoch1), 'inter loss before any families'
    assert all(v > 0 for v in epoch2), 'inter loss after the first update'
    assert all(r['loss_intra'] != 0 for r in rows)

    latest = json.load(open(work_dir / 'motion_families' / 'latest.json'))
    assert latest['epoch'] == 2
    assert (work_dir / 'motion_families' / 'epoch_1.json').exists()
    first = latest['classes'][0]
    assert first['name'] == 'raise both arms'
    assert len(first['member_names']) == len(first['members'])
    assert any(c['members'] for c in latest['classes'])

    state = head_state(work_dir / 'epoch_2.pth')
    assert state['confusion'].sum() > 0
    assert state['prototype_seen'].all()
    assert torch.equal(state['family_mask'].sum(1) > 0, torch.tensor(
        [bool(c['members']) for c in latest['classes']]))


class StartEpoch(Hook):
    """Records the epoch training starts from (a resumed run's is > 0)."""

    priority = 'LOWEST'
    epoch = None

    def before_train(self, runner):
        self.epoch = runner.epoch


def _train(cfg, resume=False):
    from mmengine.runner import Runner
    cfg.resume = resume
    runner = Runner.from_cfg(cfg)
    start = StartEpoch()
    runner.register_hook(start)
    runner.train()
    runner.start_epoch = start.epoch
    return runner


@pytest.mark.parametrize('contrast_input,recipe', [
    ('feature', 'equations'), ('topology', 'equations'),
    ('topology', 'authors')])
def test_resume_is_bitwise_identical(tiny_dataset, tmp_path, contrast_input,
                                     recipe):
    """Stop after epoch 2, resume: the head state matches the full run (in
    the authors' recipe the resumed run recomputes the families in its
    first step, as the full run does)."""
    full_dir, part_dir = tmp_path / 'full', tmp_path / 'part'

    def config(work_dir):
        cfg = tiny_config(tiny_dataset, work_dir, max_epochs=3, start_epoch=1)
        if contrast_input == 'topology':
            use_topology_input(cfg)
        cfg.model.cls_head.recipe = recipe
        return cfg

    _train(config(full_dir))
    cfg = config(part_dir)
    cfg.train_cfg.max_epochs = 2  # stop early; the schedule stays 3 epochs
    _train(cfg)
    stopped = head_state(part_dir / 'epoch_2.pth')
    for key, value in head_state(full_dir / 'epoch_2.pth').items():
        assert torch.equal(value, stopped[key]), key
    resumed_run = _train(config(part_dir), resume=True)
    # it did resume (mmengine trains from scratch when it finds no
    # checkpoint, which would also end identical: training is deterministic)
    assert resumed_run.start_epoch == 2

    full = torch.load(full_dir / 'epoch_3.pth', map_location='cpu')
    resumed = torch.load(part_dir / 'epoch_3.pth', map_location='cpu')
    assert full['state_dict'].keys() == resumed['state_dict'].keys()
    for key, value in full['state_dict'].items():
        assert torch.equal(value, resumed['state_dict'][key]), key
    assert full['state_dict']['cls_head.family_mask'].any()
    assert full['state_dict']['cls_head.queue_labels'].min() >= 0
    if recipe == 'authors':  # recomputed at the first steps of epochs 2, 3
        assert sorted(p.name for p in (part_dir / 'motion_families').iterdir(
        )) == ['epoch_1.json', 'epoch_2.json', 'latest.json']
    if contrast_input == 'topology':  # the topology did move
        assert full['state_dict']['backbone.gcn.3.gcn.alpha'].item() != 0


def test_distributed_two_processes_gloo(tiny_dataset, tmp_path):
    """2 ranks on gloo hold identical method state after every epoch,
    compared before mmengine's SyncBuffersHook averages the buffers."""
    import mmaction
    work_dir = tmp_path / 'dist'
    cfg = tiny_config(
        tiny_dataset, work_dir, max_epochs=2, start_epoch=1, num_workers=0)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.custom_imports.imports = ['aclnet_plugin', 'aclnet_test_hooks']
    cfg.custom_hooks.append(dict(type='DumpHeadStateHook'))
    config = dump_config(cfg, tmp_path / 'dist.py')
    train_py = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools',
                        'train.py')
    run([bin_path('torchrun'), '--nproc_per_node', '2', '--master_port',
         '29731', train_py, config, '--launcher', 'pytorch'],
        cwd=str(tmp_path), env={'OMP_NUM_THREADS': '1'})

    for epoch in (1, 2):
        states = [
            torch.load(work_dir / 'head_states' / f'rank{r}_epoch{epoch}.pt')
            for r in (0, 1)
        ]
        assert set(states[0]) == set(STATE_KEYS)
        for key in STATE_KEYS:
            assert torch.equal(states[0][key], states[1][key]), (epoch, key)
    final = states[0]
    assert final['family_mask'].any()
    assert final['queue_labels'].min() >= 0
    # every training sample of both ranks was counted: 2 epochs x 48 clips,
    # minus those predicted correctly (the diagonal stays 0)
    assert 0 < final['confusion'].sum() <= 2 * 48
    assert final['confusion'].diagonal().sum() == 0
