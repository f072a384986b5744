"""The head on degenerate inputs: few classes, one class, one sample, unseen
classes, no families, everything wrong, huge counts."""
import pytest
import torch

from aclnet_plugin.models import AffinityContrastHead
from mmaction.structures import ActionDataSample


def samples(labels):
    return [ActionDataSample().set_gt_label(int(y)) for y in labels]


def step(head, labels, batch_feats=None, seed=0):
    """One training step; returns the losses after checking they and every
    gradient are finite."""
    torch.manual_seed(seed)
    x = batch_feats if batch_feats is not None else torch.randn(
        len(labels), 1, head.in_channels, 4, 5, requires_grad=True)
    head.zero_grad()
    losses = head.loss(x, samples(labels))
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    for key in ('loss_cls', 'loss_inter', 'loss_intra'):
        assert torch.isfinite(losses[key]), key
    for name, param in head.named_parameters():
        assert param.grad is None or torch.isfinite(param.grad).all(), name
    for name, buf in head.named_buffers():
        assert torch.isfinite(buf).all(), name
    return losses


def scheduled(*args, **kwargs):
    head = AffinityContrastHead(*args, **kwargs)
    head.init_weights()
    head.set_confusion_collection(True)
    return head


def test_fewer_classes_than_k():
    """C = 4 <= K = 10: K_eff = 3; with n_a scaled (1 of 3) families form."""
    head = scheduled(4, 8, num_neighbors=10, overlap_threshold=1)
    for seed in range(3):
        step(head, [0, 1, 2, 3, 0, 1], seed=seed)
    head.confusion.copy_(torch.tensor([[0, 3, 1, 0], [2, 0, 0, 0],
                                       [0, 0, 0, 1], [0, 0, 4, 0.]]))
    out = head.update_families()
    assert out['families'].any()
    assert step(head, [0, 1, 2, 3])['loss_inter'] > 0


def test_fewer_classes_than_k_with_paper_threshold_warns(monkeypatch):
    """With the paper's n_a = 4 and K_eff = 3 no affinity (at most 1.5) can
    pass 4 / 3: the head says so at construction."""
    from aclnet_plugin.models.heads import affinity_contrast_head as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    AffinityContrastHead(4, 8)  # K = 10, n_a = 4
    assert len(logged) == 1 and 'no class will ever have' in logged[0]
    AffinityContrastHead(60, 8)  # the paper's setting: silent
    AffinityContrastHead(4, 8, num_neighbors=3, overlap_threshold=1)
    assert len(logged) == 1


def test_a_batch_of_one_class():
    head = scheduled(5, 8, num_neighbors=2, overlap_threshold=1)
    losses = step(head, [2, 2, 2, 2])
    # every anchor has positives and no negative: each pair's loss is the
    # margin's floor -eps/tau, weighted by lambda2
    assert losses['loss_intra'].item() == pytest.approx(0.1 * -1.0, abs=1e-4)
    assert head.prototype_seen.tolist() == [0, 0, 1, 0, 0]


def test_a_batch_of_one_sample():
    head = scheduled(5, 8, memory_size=0)
    losses = step(head, [3])
    assert losses['loss_intra'] == 0 and losses['loss_inter'] == 0


def test_never_seen_class_and_no_family():
    head = scheduled(6, 8, num_neighbors=2, overlap_threshold=1)
    for seed in range(2):
        step(head, [0, 1, 2, 0, 1, 2], seed=seed)
    assert head.prototype_seen.tolist() == [1, 1, 1, 0, 0, 0]
    head.update_families()  # whatever was confused among 0-2
    head.family_mask.zero_()  # no family at all
    assert step(head, [0, 1, 4])['loss_inter'] == 0
    # a family whose only member was never seen counts as no family
    head.family_mask[0, 5] = 1
    assert step(head, [0, 0])['loss_inter'] == 0


def test_every_sample_misclassified():
    head = scheduled(3, 8, num_neighbors=1, overlap_threshold=0)
    with torch.no_grad():  # predict class 2 for everything
        head.fc.weight.zero_()
        head.fc.bias.copy_(torch.tensor([0., 0., 5.]))
    step(head, [0, 1, 0, 1])
    assert head.confusion.tolist() == [[0, 0, 2], [0, 0, 2], [0, 0, 0]]
    head.update_families()
    assert head.families() == [[1, 2], [0, 2], []]


def test_counts_stay_exact_below_two_to_the_24(monkeypatch):
    """float32 counting is exact to 2^24 per cell, far above any benchmark
    (a cell holds at most a class's samples times the passes, ~10^5); a
    count that reaches it is reported."""
    from aclnet_plugin.models.heads import affinity_contrast_head as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    head = scheduled(3, 8, num_neighbors=1, overlap_threshold=0)
    head.confusion[0, 1] = 2**24 - 3
    with torch.no_grad():
        head.fc.weight.zero_()
        head.fc.bias.copy_(torch.tensor([0., 5., 0.]))
    step(head, [0, 0, 0])
    assert head.confusion[0, 1].item() == 2**24  # exact
    head.update_families()
    assert len(logged) == 1 and '2^24' in logged[0]
