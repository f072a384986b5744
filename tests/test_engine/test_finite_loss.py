"""FiniteLossHook stops at a NaN loss and keeps the last good checkpoint;
SkipNonFiniteOptimWrapper skips such batches instead."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook

from aclnet_plugin.engine import FiniteLossHook, SkipNonFiniteOptimWrapper
from conftest import tiny_config


def stub_runner(skipped=False):
    return SimpleNamespace(epoch=2, iter=41, work_dir='wd',
                           optim_wrapper=SimpleNamespace(
                               skipped_last=skipped))


def test_names_epoch_iteration_and_term():
    hook = FiniteLossHook()
    good = dict(loss=torch.tensor(1.), loss_cls=torch.tensor(.5),
                top1_acc=torch.tensor(float('nan')))  # not a loss: ignored
    hook.after_train_iter(stub_runner(), 5, outputs=good)
    bad = dict(loss=torch.tensor(float('nan')), loss_cls=torch.tensor(.5),
               loss_inter=torch.tensor(float('inf')),
               loss_intra=torch.tensor(float('nan')))
    with pytest.raises(FloatingPointError) as info:
        hook.after_train_iter(stub_runner(), 5, outputs=bad)
    message = str(info.value)
    assert 'epoch 3, iteration 6 of the epoch (iteration 42' in message
    assert 'loss_inter = inf' in message and 'loss_intra = nan' in message
    assert 'loss_cls' not in message
    # a batch the optimiser wrapper skipped passes, and so does every batch
    # with the hook switched off
    hook.after_train_iter(stub_runner(skipped=True), 5, outputs=bad)
    FiniteLossHook(enabled=False).after_train_iter(stub_runner(), 5,
                                                   outputs=bad)


class PoisonBatch(Hook):
    """Turns the inputs of one training batch into NaN."""

    priority = 'LOWEST'

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if (runner.epoch, batch_idx) == self.at:
            for inputs in data_batch['inputs']:
                inputs.fill_(float('nan'))


def build(tiny_dataset, work_dir, **options):
    from mmengine.runner import Runner
    cfg = tiny_config(tiny_dataset, work_dir, max_epochs=3, start_epoch=1,
                      num_workers=0, **options)
    cfg.default_hooks.finite_loss = dict(type='FiniteLossHook')
    return cfg, Runner


def test_training_stops_and_the_last_checkpoint_stays_good(tiny_dataset,
                                                           tmp_path):
    cfg, Runner = build(tiny_dataset, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.register_hook(PoisonBatch(epoch=1, batch=1))  # epoch 2, batch 2
    with pytest.raises(FloatingPointError, match='epoch 2, iteration 2 '):
        runner.train()
    assert (tmp_path / 'work' / 'epoch_1.pth').exists()
    assert not (tmp_path / 'work' / 'epoch_2.pth').exists()
    state = torch.load(tmp_path / 'work' / 'epoch_1.pth',
                       map_location='cpu')['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values()
               if v.is_floating_point())


class PoisonLoss(Hook):
    """Makes the classification loss of one training batch NaN (the
    activations stay finite, as when a loss overflows)."""

    priority = 'LOWEST'

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        loss_cls = runner.model.cls_head.loss_cls
        loss_cls.__dict__.pop('forward', None)  # the class's forward again
        if (runner.epoch, batch_idx) == self.at:
            forward = loss_cls.forward
            loss_cls.forward = lambda *a, **k: forward(*a, **k) * float('nan')


def test_skip_wrapper_trains_through(tiny_dataset, tmp_path):
    cfg, Runner = build(tiny_dataset, tmp_path / 'work')
    cfg.optim_wrapper.type = 'SkipNonFiniteOptimWrapper'
    runner = Runner.from_cfg(cfg)
    runner.register_hook(PoisonLoss(epoch=1, batch=1))
    runner.train()
    assert isinstance(runner.optim_wrapper, SkipNonFiniteOptimWrapper)
    assert runner.optim_wrapper.num_skipped == 1
    state = runner.model.state_dict()
    assert all(torch.isfinite(v).all() for v in state.values()
               if v.is_floating_point())
    assert math.isfinite(float(runner.model.cls_head.fc.weight.detach().sum()))
