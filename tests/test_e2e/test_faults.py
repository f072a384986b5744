"""Faults: a real kill mid-epoch and resume, checkpoints of the other head,
truncated, corrupt and malicious checkpoints."""
import os
import pickle
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import HELPERS, dump_config, tiny_config

STATE_KEYS = ('confusion', 'prototypes', 'prototype_seen', 'family_mask',
              'temperatures', 'queue_embeddings', 'queue_labels', 'queue_ptr')


def train_cmd(config, work_dir, resume=False):
    import mmaction
    train_py = os.path.join(os.path.dirname(mmaction.__file__), '.mim',
                            'tools', 'train.py')
    cmd = [sys.executable, train_py, config, '--work-dir', str(work_dir)]
    return cmd + (['--resume'] if resume else [])


def env():
    return dict(os.environ, OMP_NUM_THREADS='1',
                PYTHONPATH=os.pathsep.join(
                    [HELPERS, os.environ.get('PYTHONPATH', '')]))


def test_killed_mid_epoch_then_resumed_matches_an_unbroken_run(
        tiny_dataset, tmp_path):
    """SIGKILL in epoch 2 (after epoch_1.pth), then --resume: the final
    weights and method state equal those of a run never killed. (With a
    loader worker, whose random state mmengine seeds per epoch; with
    num_workers=0 the sampling draws from the main process's random state,
    which mmengine's checkpoints do not hold.)"""
    cfg = tiny_config(tiny_dataset, tmp_path / 'unused', max_epochs=2,
                      start_epoch=1, num_workers=1)
    cfg.train_dataloader.batch_size = 4  # many iterations an epoch
    config = dump_config(cfg, tmp_path / 'tiny.py')
    full, broken = tmp_path / 'full', tmp_path / 'broken'
    subprocess.run(train_cmd(config, full), env=env(), check=True,
                   capture_output=True, timeout=900)
    proc = subprocess.Popen(train_cmd(config, broken), env=env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 900

    pattern = re.compile(r'Epoch\(train\)\s+\[2\]\[\s*[1-9]')

    def in_epoch_2():  # its log shows an iteration of epoch 2
        return any(pattern.search(p.read_text())
                   for p in broken.glob('*/*.log'))

    while not in_epoch_2():
        assert proc.poll() is None, 'the run ended before it was killed'
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (broken / 'epoch_2.pth').exists(), 'killed too late'
    subprocess.run(train_cmd(config, broken, resume=True), env=env(),
                   check=True, capture_output=True, timeout=900)
    logs = sorted(broken.glob('*/*.log'))
    assert any('resumed epoch: 1' in p.read_text() for p in logs)
    a = torch.load(full / 'epoch_2.pth', map_location='cpu')['state_dict']
    b = torch.load(broken / 'epoch_2.pth', map_location='cpu')['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert a['cls_head.family_mask'].any()


@pytest.mark.parametrize('recipe', ['equations', 'authors'])
def test_gcn_head_checkpoint_starts_an_aclnet_head(caplog, recipe):
    """Classifier kept, projection and method state fresh (in the authors'
    recipe: its N(0, 1) prototypes, every class seen), one log line."""
    from aclnet_plugin.models import AffinityContrastHead
    from mmaction.models import GCNHead
    gcn = GCNHead(5, 8)
    gcn.init_weights()
    with torch.no_grad():
        gcn.fc.weight.normal_()
    head = AffinityContrastHead(5, 8, recipe=recipe)
    assert head.prototype_seen.all() == (recipe == 'authors')
    fresh = {k: v.clone() for k, v in head.state_dict().items()}
    messages = []
    from aclnet_plugin.models.heads import affinity_contrast_head as module
    original = module.print_log
    module.print_log = lambda msg, **kwargs: messages.append(msg)
    try:
        result = head.load_state_dict(gcn.state_dict(), strict=True)
    finally:
        module.print_log = original
    assert not result.missing_keys and not result.unexpected_keys
    assert len(messages) == 1 and 'GCNHead checkpoint' in messages[0]
    torch.testing.assert_close(head.fc.weight, gcn.fc.weight)
    for key in ('projector.weight', *STATE_KEYS):
        assert torch.equal(head.state_dict()[key], fresh[key]), key
    # an ACLNet checkpoint (with its own tensors) loads without the message
    messages.clear()
    module.print_log = lambda msg, **kwargs: messages.append(msg)
    try:
        AffinityContrastHead(5, 8, recipe=recipe).load_state_dict(
            head.state_dict())
    finally:
        module.print_log = original
    assert messages == []


def test_aclnet_checkpoint_serves_gcn_head_inference(tiny_dataset, tmp_path):
    """mmengine loads an ACLNet checkpoint into the stock head (the extra
    tensors are reported and ignored) with the same predictions."""
    from mmengine.runner import Runner
    cfg = tiny_config(tiny_dataset, tmp_path / 'aclnet', max_epochs=1,
                      num_workers=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    checkpoint = str(tmp_path / 'aclnet' / 'epoch_1.pth')
    scores = {}
    for head in ('AffinityContrastHead', 'GCNHead'):
        cfg = tiny_config(tiny_dataset, tmp_path / head, max_epochs=1,
                          num_workers=0)
        if head == 'GCNHead':
            cfg.model.cls_head = dict(type='GCNHead', num_classes=12,
                                      in_channels=32)
            cfg.custom_hooks = []
        cfg.load_from = checkpoint
        cfg.test_evaluator = [dict(type='DumpResults',
                                   out_file_path=str(tmp_path /
                                                     f'{head}.pkl'))]
        Runner.from_cfg(cfg).test()
        with open(tmp_path / f'{head}.pkl', 'rb') as f:
            scores[head] = torch.stack([s['pred_score']
                                        for s in pickle.load(f)])
    torch.testing.assert_close(scores['GCNHead'],
                               scores['AffinityContrastHead'])


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / 'good.pth'
    torch.save(dict(state_dict={'w': torch.ones(3)}, meta=dict(epoch=1)),
               path)
    return path


def test_truncated_and_corrupt_checkpoints_are_named(checkpoint, tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(checkpoint.read_bytes()[:200])
    corrupt = tmp_path / 'corrupt.pth'
    corrupt.write_bytes(b'not a checkpoint at all' * 10)
    for path in (truncated, corrupt):
        with pytest.raises(RuntimeError) as info:
            _load_checkpoint(str(path), map_location='cpu')
        assert str(path) in str(info.value)
        assert 'truncated or corrupt' in str(info.value)
    assert _load_checkpoint(str(checkpoint), map_location='cpu')['meta'] \
        == dict(epoch=1)


class RunsCode:
    """Pickles as a call to os.system: what a malicious checkpoint holds."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    marker = tmp_path / 'pwned'
    path = tmp_path / 'malicious.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)},
                    meta=dict(payload=RunsCode(marker))), path)
    with pytest.raises(pickle.UnpicklingError) as info:
        _load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(info.value)
    assert 'outside the allow-list' in str(info.value)
    assert not marker.exists(), 'the payload ran'
