"""The authors' recipe replays a recorded run of the public code's losses.

``authors_head.pt`` (``$ACLNET_ORACLE``, else ``../shared/oracle/``; see its
README) holds 120 training steps of the authors' two loss modules: inputs,
losses, gradients, prototypes, families and confusion counts. The head, with
``recipe='authors'`` and driven by :class:`MotionFamilyHook` as a runner
would drive it, must give every step within the README's tolerances. Each
rule of the recipe, switched back to the equations recipe's, must fail the
replay, at the step named beside it.
"""
import dataclasses
import logging
import os
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from aclnet_plugin.engine.hooks import MotionFamilyHook
from aclnet_plugin.models import AffinityContrastHead
from aclnet_plugin.models.recipes import (affinity_families, error_counts,
                                          whole_queue)
from mmaction.structures import ActionDataSample

ORACLE = os.environ.get('ACLNET_ORACLE') or osp.join(
    osp.dirname(__file__), '..', '..', '..', 'shared', 'oracle',
    'authors_head.pt')
pytestmark = pytest.mark.skipif(
    not osp.exists(ORACLE),
    reason=f'no recorded run of the authors\' code ({ORACLE}; set '
    'ACLNET_ORACLE to its path)')

FEATURE_CHANNELS = 4  # the classifier's scores are the record's


@pytest.fixture(scope='module')
def record():
    return torch.load(ORACLE, weights_only=True)


class Model(torch.nn.Module):

    def __init__(self, head):
        super().__init__()
        self.cls_head = head


class Loader:
    """What the hook reads of a runner's train dataloader."""

    def __init__(self, length):
        self.length = length
        self.dataset = SimpleNamespace(metainfo={})

    def __len__(self):
        return self.length


def make_head(record):
    head = AffinityContrastHead(
        record['num_classes'], FEATURE_CHANNELS, recipe='authors',
        embed_dim=record['embed_dim'], contrast_input='topology',
        num_joints=record['num_joints'], memory_size=record['memory_size'])
    init = record['init']
    with torch.no_grad():
        for name in ('inter', 'intra'):
            projector = getattr(head, f'{name}_projector')
            projector.weight.copy_(init[f'{name}_weight'])
            projector.bias.copy_(init[f'{name}_bias'])
        head.prototypes.copy_(init['prototypes'])
    assert head.loss_inter.loss_weight == record['loss_weights'][1]
    assert head.loss_intra.loss_weight == record['loss_weights'][2]
    return head


def replay(record, tmp_path, change=None, monkeypatch=None):
    """Run the record's steps through the head and the hook; for every step
    the largest error of each quantity (families and counts: 1 if they
    differ at all)."""
    head = make_head(record)
    if change is not None:
        change(head, monkeypatch)
    steps = record['steps']
    per_epoch = sum(step['epoch'] == 1 for step in steps)
    runner = SimpleNamespace(
        model=Model(head), epoch=0, iter=0, work_dir=str(tmp_path),
        logger=logging.getLogger('test_authors_oracle'),
        message_hub=MessageHub.get_instance('test_authors_oracle'),
        train_dataloader=Loader(per_epoch))
    hook = MotionFamilyHook(start_epoch=record['start_epoch'])
    hook.before_train(runner)
    head.train()
    errors = []
    for step in steps:
        batch_idx = runner.iter - (step['epoch'] - 1) * per_epoch
        if batch_idx == 0:
            runner.epoch = step['epoch'] - 1
            hook.before_train_epoch(runner)
        hook.before_train_iter(runner, batch_idx)
        logits = step['logits'].clone().requires_grad_(True)
        topology = step['topology'].clone().requires_grad_(True)
        head._classify = lambda feat, scores=logits: scores
        feat = torch.zeros(len(logits), 1, FEATURE_CHANNELS, 1, 1)
        data = [ActionDataSample().set_gt_label(int(y))
                for y in step['label']]
        losses = head.loss((feat, topology), data)
        total = sum(losses[f'loss_{k}'] for k in ('cls', 'inter', 'intra'))
        total.backward()
        runner.iter += 1
        hook.after_train_iter(runner, batch_idx)
        if runner.iter % per_epoch == 0:
            hook.after_train_epoch(runner)
        weights = record['loss_weights']
        errors.append(dict(
            loss_cls=float(abs(losses['loss_cls'] - step['loss_cls'])),
            loss_inter=float(abs(losses['loss_inter'] / weights[1] -
                                 step['loss_inter'])),
            loss_intra=float(abs(losses['loss_intra'] / weights[2] -
                                 step['loss_intra'])),
            loss_total=float(abs(total - step['loss_total'])),
            grad_logits=gradient_error(logits.grad, step['grad_logits']),
            grad_topology=gradient_error(topology.grad,
                                         step['grad_topology']),
            prototypes=float((head.prototypes -
                              step['prototypes']).abs().max()),
            families=float(head.families() != [sorted(f) for f in
                                                step['families']]
                           if step['families'] else head.family_mask.any()),
            confusion=float(not torch.equal(head.confusion,
                                            step['confusion'].float()))))
    return errors


def gradient_error(got, expected):
    """0 where within 1e-5 absolute or 1e-4 relative, else the excess."""
    excess = (got - expected).abs() - torch.maximum(
        torch.full_like(expected, 1e-5), 1e-4 * expected.abs())
    return float(excess.clamp(min=0).max())


# losses, prototypes: 1e-5 absolute; gradients: already the excess over
# their tolerance; families and confusion: exactly
TOLERANCE = dict(loss_cls=1e-5, loss_inter=1e-5, loss_intra=1e-5,
                 loss_total=1e-5, grad_logits=0, grad_topology=0,
                 prototypes=1e-5, families=0, confusion=0)


def failures(errors):
    """(step, quantity) of every value beyond its tolerance, in order."""
    return [(i, key) for i, step in enumerate(errors)
            for key, value in step.items() if value > TOLERANCE[key]]


def test_every_step_of_the_public_code_replays(record, tmp_path):
    errors = replay(record, tmp_path)
    assert len(errors) == 120
    assert failures(errors) == []
    # the sequence exercises what it should: both losses switch on, the
    # families exist from epoch 4 and some class is in its own family
    steps = record['steps']
    assert steps[4]['loss_intra'] == 0 < steps[5]['loss_intra']
    assert steps[59]['loss_inter'] == 0 < steps[60]['loss_inter']
    assert sum(i in f for i, f in enumerate(steps[-1]['families'])) == 3
    json_files = sorted(os.listdir(tmp_path / 'motion_families'))
    assert json_files == ['epoch_3.json', 'epoch_4.json', 'epoch_5.json',
                          'latest.json']


def use_recipe_rule(**rule):
    def change(head, monkeypatch):
        head.recipe = dataclasses.replace(head.recipe, **rule)
    return change


def first_sight(head, monkeypatch):
    head.prototypes.zero_()
    head.prototype_seen.zero_()


def detached_share(head, monkeypatch):
    """This step's prototype update in the loss, but without its gradient."""
    from aclnet_plugin.models.heads import affinity_contrast_head as module
    update = module.ema_prototypes
    monkeypatch.setattr(module, 'ema_prototypes', lambda *args: tuple(
        t.detach() for t in update(*args)))


def set_intra(**options):
    def change(head, monkeypatch):
        for key, value in options.items():
            setattr(head.loss_intra, key, value)
    return change


# Each rule of the authors' recipe switched back to the equations recipe's,
# and the first step (0-based; epoch 1 is steps 0-19, the counts start at
# step 40, the first families at step 60, the queue is full at step 5) and
# quantity where the replay then fails.
BREAKS = {
    'counts: errors only': (use_recipe_rule(batch_counts=error_counts),
                            (40, 'confusion')),
    'families: the affinity threshold, zero counts left out':
    (use_recipe_rule(families=affinity_families), (60, 'loss_inter')),
    'prototypes: of the normalised embeddings':
    (use_recipe_rule(prototype_input='normalised'), (0, 'prototypes')),
    'prototypes: updated after the loss, without a gradient':
    (use_recipe_rule(prototypes_in_loss='previous'), (60, 'loss_inter')),
    'prototypes: this step\'s share without its gradient':
    (detached_share, (60, 'grad_topology')),
    'prototypes: set by a class\'s first batch, not N(0, 1)':
    (first_sight, (0, 'prototypes')),
    'schedule: families at the end of an epoch, before the next batch':
    (use_recipe_rule(refresh='epoch_end'), (59, 'families')),
    'intra: the whole queue from the first step':
    (use_recipe_rule(contrast_queue=whole_queue), (0, 'loss_intra')),
    'intra: the mean over anchors with a positive':
    (set_intra(anchors='with_positives'), (5, 'loss_intra')),
}
# Not separable by this record: the public code's 1e-6 in the intra loss's
# log (log_epsilon). Without it the replay's intra loss is off by at most
# 2.6e-6 (with it 9.5e-7), inside the 1e-5 tolerance; test_losses.py checks
# it against a hand-worked example instead.


@pytest.mark.parametrize('rule', list(BREAKS))
def test_the_equations_rule_in_its_place_fails_the_replay(
        record, tmp_path, rule, monkeypatch):
    change, first = BREAKS[rule]
    found = failures(replay(record, tmp_path, change, monkeypatch))
    assert found, f'{rule}: the replay still passes'
    assert found[0] == first, found[:5]
