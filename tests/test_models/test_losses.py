"""Tests of the two contrastive losses (METHOD.md sections 6 and 7).

Inter-class affinity contrast (eq. 8) and intra-class marginal contrast
(eq. 10-15). Hand-worked examples write the closed form of every term; a
brute-force reference (plain Python loops over the equations, independent of
the package code) is compared on random inputs.
"""
import math
import random

import pytest
import torch

import aclnet_plugin  # noqa: F401  (compatibility fixes before mmaction)
from aclnet_plugin.models import (AffinityContrastLoss, MarginalContrastLoss,
                                  affinity_contrast_loss,
                                  marginal_contrast_loss)


def nll(own, others):
    """-log(e^own / (e^own + sum e^others)) in plain math (float64)."""
    return -math.log(math.exp(own) / (math.exp(own) +
                                      sum(math.exp(o) for o in others)))


# ---------------------------------------------------------------------------
# Brute-force references, straight from METHOD.md.
# ---------------------------------------------------------------------------
def _unit(vector):
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else list(vector)


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def ref_inter_loss(embeddings, labels, prototypes, family, temperatures):
    """Eq. 8 with Python lists. family[i][a] truthy when a in W(i)."""
    protos = [_unit(p) for p in prototypes]
    losses = []
    for f, i in zip(embeddings, labels):
        members = [a for a in range(len(protos)) if family[i][a]]
        if not members:
            continue
        tau = temperatures[i]
        own = math.exp(_dot(f, protos[i]) / tau)
        rest = sum(math.exp(_dot(f, protos[a]) / tau) for a in members)
        losses.append(-math.log(own / (own + rest)))
    return sum(losses) / len(losses) if losses else 0.0


def ref_intra_loss(embeddings, labels, contrast=(), contrast_labels=(),
                   margin=0.1, temperature=0.1):
    """Eq. 10-15 with Python lists; contrast entries are keys, not anchors."""
    keys = [(f, y, n) for n, (f, y) in enumerate(zip(embeddings, labels))]
    keys += [(f, y, None) for f, y in zip(contrast, contrast_labels)
             if y >= 0]
    anchor_losses = []
    for a, (fa, ya) in enumerate(zip(embeddings, labels)):
        positives = [fk for fk, yk, n in keys if yk == ya and n != a]
        negatives = [fk for fk, yk, n in keys if yk != ya]
        if not positives:
            continue
        pair_losses = []
        for fu in positives:
            s_au = _dot(fa, fu)
            denominator = math.exp((s_au - margin) / temperature) + sum(
                math.exp(_dot(fa, fv) / temperature) for fv in negatives)
            pair_losses.append(-math.log(
                math.exp(s_au / temperature) / denominator))
        anchor_losses.append(sum(pair_losses) / len(pair_losses))
    return sum(anchor_losses) / len(anchor_losses) if anchor_losses else 0.0


def random_unit(rng, num, dim):
    return [_unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(num)]


def t32(rows):
    return torch.tensor(rows, dtype=torch.float32)


# ---------------------------------------------------------------------------
# Inter-class affinity contrastive loss (eq. 8)
# ---------------------------------------------------------------------------
# C = 3, D = 2. Prototypes NOT normalised on purpose:
#   m0 = (2, 0) -> (1, 0);  m1 = (0, 3) -> (0, 1);  m2 = (-5, 0) -> (-1, 0)
PROTOTYPES = [[2.0, 0.0], [0.0, 3.0], [-5.0, 0.0]]
# W(0) = {1}, W(1) = {}, W(2) = {0, 1}
FAMILY = [[False, True, False], [False, False, False], [True, True, False]]
# per-class temperatures tau(0) = .5, tau(1) = .1, tau(2) = 1
TEMPERATURES = [0.5, 0.1, 1.0]
# samples: f0 = (.6, .8) of class 0, f1 = (.8, -.6) of class 2,
#          f2 = (1, 0) of class 1 (empty family -> left out of the mean)
EMBEDDINGS = [[0.6, 0.8], [0.8, -0.6], [1.0, 0.0]]
LABELS = [0, 2, 1]


def hand_inter_loss():
    # sample 0, class 0, tau = .5: f0.m0 = .6 (own), f0.m1 = .8 (member);
    #   m2 is not in W(0) and does not appear.
    l0 = -math.log(math.exp(0.6 / 0.5) /
                   (math.exp(0.6 / 0.5) + math.exp(0.8 / 0.5)))
    # sample 1, class 2, tau = 1: f1.m2 = -.8 (own), f1.m0 = .8, f1.m1 = -.6
    l1 = -math.log(math.exp(-0.8) /
                   (math.exp(-0.8) + math.exp(0.8) + math.exp(-0.6)))
    # sample 2 has no family: mean over the two others
    return (l0 + l1) / 2


def test_inter_hand_example():
    expected = hand_inter_loss()
    # equivalently l0 = log(1 + e^{.4}) = .91302, l1 = log(1 + e^{1.6} +
    # e^{.2}) = 1.97052, mean 1.44177
    assert expected == pytest.approx(1.44177, abs=1e-5)
    loss = affinity_contrast_loss(t32(EMBEDDINGS), torch.tensor(LABELS),
                                  t32(PROTOTYPES), torch.tensor(FAMILY),
                                  t32(TEMPERATURES))
    assert loss.dim() == 0
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # the reference agrees with the hand-worked value
    assert ref_inter_loss(EMBEDDINGS, LABELS, PROTOTYPES, FAMILY,
                          TEMPERATURES) == pytest.approx(expected, rel=1e-12)


def test_inter_single_sample_closed_form():
    # one sample of class 0, W(0) = {1, 2}, tau(0) = .1, f = (1, 0),
    # m0 = (.6, .8), m1 = (0, 1), m2 = (1, 0) (already unit):
    #   l = -log(e^{.6/.1} / (e^{.6/.1} + e^{0/.1} + e^{1/.1}))
    expected = -math.log(math.exp(6.0) /
                         (math.exp(6.0) + math.exp(0.0) + math.exp(10.0)))
    loss = affinity_contrast_loss(
        t32([[1.0, 0.0]]), torch.tensor([0]),
        t32([[0.6, 0.8], [0.0, 1.0], [1.0, 0.0]]),
        torch.tensor([[0, 1, 1], [0, 0, 0], [0, 0, 0]]),  # 0/1 mask
        t32([0.1, 0.5, 1.0]))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_inter_uses_temperature_of_the_sample_class():
    args = (t32(EMBEDDINGS), torch.tensor(LABELS), t32(PROTOTYPES),
            torch.tensor(FAMILY))
    base = affinity_contrast_loss(*args, t32(TEMPERATURES))
    # class 1 has no sample with a family: its temperature is never used,
    # even though class 1 is a member of W(0) and W(2)
    same = affinity_contrast_loss(*args, t32([0.5, 7.0, 1.0]))
    assert same.item() == pytest.approx(base.item(), rel=1e-6)
    # changing tau(0) only changes sample 0's term: .5 -> .25
    l0 = -math.log(math.exp(0.6 / 0.25) /
                   (math.exp(0.6 / 0.25) + math.exp(0.8 / 0.25)))
    l1 = -math.log(math.exp(-0.8) /
                   (math.exp(-0.8) + math.exp(0.8) + math.exp(-0.6)))
    changed = affinity_contrast_loss(*args, t32([0.25, 0.1, 1.0]))
    assert changed.item() == pytest.approx((l0 + l1) / 2, rel=1e-6)


def test_inter_prototypes_normalised_and_their_gradient_kept():
    """The equations recipe passes its buffers (no gradient); the authors'
    passes this step's update, whose share keeps its gradient."""
    embeddings = t32(EMBEDDINGS).requires_grad_(True)
    prototypes = t32(PROTOTYPES).requires_grad_(True)
    loss = affinity_contrast_loss(embeddings, torch.tensor(LABELS),
                                  prototypes, torch.tensor(FAMILY),
                                  t32(TEMPERATURES))
    # prototypes (2,0), (0,3), (-5,0) scaled: same loss as unit prototypes
    assert loss.item() == pytest.approx(hand_inter_loss(), rel=1e-6)
    loss.backward()
    assert prototypes.grad is not None and prototypes.grad.abs().sum() > 0
    assert embeddings.grad is not None
    assert torch.isfinite(embeddings.grad).all()
    # the sample without a family gets no gradient
    assert torch.equal(embeddings.grad[2], torch.zeros(2))
    assert embeddings.grad[0].abs().sum() > 0
    # prototype scale does not matter
    scaled = affinity_contrast_loss(t32(EMBEDDINGS), torch.tensor(LABELS),
                                    t32(PROTOTYPES) * 0.01,
                                    torch.tensor(FAMILY), t32(TEMPERATURES))
    assert scaled.item() == pytest.approx(loss.item(), rel=1e-5)


def test_inter_zero_and_attached_without_families():
    embeddings = t32(EMBEDDINGS).requires_grad_(True)
    loss = affinity_contrast_loss(embeddings, torch.tensor(LABELS),
                                  t32(PROTOTYPES),
                                  torch.zeros(3, 3, dtype=torch.bool),
                                  t32(TEMPERATURES))
    assert loss.item() == 0.0
    assert loss.requires_grad
    loss.backward()
    assert torch.equal(embeddings.grad, torch.zeros(3, 2))
    # also when only the classes present in the batch have no family
    embeddings.grad = None
    loss = affinity_contrast_loss(embeddings, torch.tensor([1, 1, 1]),
                                  t32(PROTOTYPES), torch.tensor(FAMILY),
                                  t32(TEMPERATURES))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.equal(embeddings.grad, torch.zeros(3, 2))


def test_inter_module_weight_and_registry():
    args = (t32(EMBEDDINGS), torch.tensor(LABELS), t32(PROTOTYPES),
            torch.tensor(FAMILY), t32(TEMPERATURES))
    assert AffinityContrastLoss(loss_weight=0.3)(*args).item() == \
        pytest.approx(0.3 * hand_inter_loss(), rel=1e-6)
    assert AffinityContrastLoss(loss_weight=0.0)(*args).item() == 0.0
    from mmaction.registry import MODELS
    module = MODELS.build(dict(type='AffinityContrastLoss', loss_weight=2.0))
    assert module(*args).item() == pytest.approx(2 * hand_inter_loss(),
                                                 rel=1e-6)
    with pytest.raises(ValueError, match='loss_weight'):
        AffinityContrastLoss(loss_weight=-1.0)


def test_inter_half_precision_inputs_give_float32():
    for dtype in (torch.float16, torch.bfloat16):
        embeddings = t32(EMBEDDINGS).to(dtype)
        loss = affinity_contrast_loss(embeddings, torch.tensor(LABELS),
                                      t32(PROTOTYPES).to(dtype),
                                      torch.tensor(FAMILY),
                                      t32(TEMPERATURES).to(dtype))
        assert loss.dtype == torch.float32
        # these inputs are exact in both half formats up to 1e-2
        assert loss.item() == pytest.approx(hand_inter_loss(), abs=2e-2)


INTER_CASES = [
    # (seed, N, C, D)
    (0, 4, 3, 2),
    (1, 8, 5, 3),
    (2, 16, 6, 8),
    (3, 32, 12, 16),
    (4, 3, 4, 2),
    (5, 64, 20, 32),
]


@pytest.mark.parametrize('seed,num,num_classes,dim', INTER_CASES)
def test_inter_random_against_reference(seed, num, num_classes, dim):
    rng = random.Random(seed)
    embeddings = random_unit(rng, num, dim)
    labels = [rng.randrange(num_classes) for _ in range(num)]
    prototypes = [[rng.gauss(0, 2) for _ in range(dim)]
                  for _ in range(num_classes)]
    family = [[i != j and rng.random() < 0.4 for j in range(num_classes)]
              for i in range(num_classes)]
    family[labels[0]] = [False] * num_classes  # at least one empty family
    temperatures = [rng.choice([0.1, 0.5, 1.0]) for _ in range(num_classes)]
    expected = ref_inter_loss(embeddings, labels, prototypes, family,
                              temperatures)
    emb = t32(embeddings).requires_grad_(True)
    loss = affinity_contrast_loss(emb, torch.tensor(labels), t32(prototypes),
                                  torch.tensor(family), t32(temperatures))
    assert loss.item() == pytest.approx(expected, rel=1e-5, abs=1e-6)
    loss.backward()
    assert torch.isfinite(emb.grad).all()


# ---------------------------------------------------------------------------
# Intra-class marginal contrastive loss (eq. 10-15)
# ---------------------------------------------------------------------------
def test_intra_hand_example():
    # eps = .1, tau = .5. Samples (unit vectors):
    #   f0 = (1, 0) y=0;  f1 = (.6, .8) y=0;  f2 = (0, 1) y=1;  f3 = (-1, 0) y=2
    # anchor 0: P = {1}, Q = {2, 3}; s01 = .6, s02 = 0, s03 = -1
    #   l01 = -log(e^{.6/.5} / (e^{(.6-.1)/.5} + e^{0/.5} + e^{-1/.5}))
    # anchor 1: P = {0}, Q = {2, 3}; s10 = .6, s12 = .8, s13 = -.6
    #   l10 = -log(e^{.6/.5} / (e^{(.6-.1)/.5} + e^{.8/.5} + e^{-.6/.5}))
    # anchors 2 and 3 have no positive: left out of the mean
    tau = 0.5
    l01 = -math.log(math.exp(0.6 / tau) / (
        math.exp(0.5 / tau) + math.exp(0.0) + math.exp(-1.0 / tau)))
    l10 = -math.log(math.exp(0.6 / tau) / (
        math.exp(0.5 / tau) + math.exp(0.8 / tau) + math.exp(-0.6 / tau)))
    expected = (l01 + l10) / 2
    embeddings = t32([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 2])
    loss = marginal_contrast_loss(embeddings, labels, margin=0.1,
                                  temperature=tau)
    assert loss.dim() == 0 and loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    module = MarginalContrastLoss(margin=0.1, temperature=tau,
                                  loss_weight=1.0)
    assert module(embeddings, labels).item() == pytest.approx(expected,
                                                              rel=1e-6)


def test_intra_hand_example_default_parameters():
    # eps = .1, tau = .1 (defaults). f0 = (1, 0), f1 = (.8, .6) of class 0,
    # f2 = (.6, .8) of class 1. s01 = .8, s02 = .6, s12 = .96
    #   l01 = -log(e^{8} / (e^{7} + e^{6}))
    #   l10 = -log(e^{8} / (e^{7} + e^{9.6}))
    l01 = -math.log(math.exp(8.0) / (math.exp(7.0) + math.exp(6.0)))
    l10 = -math.log(math.exp(8.0) / (math.exp(7.0) + math.exp(9.6)))
    embeddings = t32([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]])
    loss = MarginalContrastLoss()(embeddings, torch.tensor([0, 0, 1]))
    assert loss.item() == pytest.approx((l01 + l10) / 2, rel=1e-5)
    # l01 < 0: an easy positive beats its negatives by more than the margin
    assert l01 < 0


def test_intra_contrast_set_mean_of_means_and_ignored_labels():
    # batch: f0 = (1, 0) y=0, f1 = (0, 1) y=1; eps = .1, tau = .5
    # contrast: c0 = (.6, .8) y=0, c1 = (.8, .6) y=0, c2 = (1, 0) y=-1
    #           (empty slot, ignored), c3 = (.6, -.8) y=1
    # anchor f0: P = {c0, c1}, Q = {f1, c3}; s: c0 .6, c1 .8, f1 0, c3 .6
    #   l_{0,c0} = -log(e^{.6/.5} / (e^{.5/.5} + e^{0} + e^{.6/.5}))
    #   l_{0,c1} = -log(e^{.8/.5} / (e^{.7/.5} + e^{0} + e^{.6/.5}))
    # anchor f1: P = {c3} (s = -.8), Q = {f0 (0), c0 (.8), c1 (.6)}
    #   l_{1,c3} = -log(e^{-.8/.5} /
    #                   (e^{-.9/.5} + e^{0} + e^{.8/.5} + e^{.6/.5}))
    # contrast entries are not anchors; L = mean over the 2 anchors of the
    # mean over their positives (not the mean over the 3 pairs)
    tau = 0.5
    l0c0 = -math.log(math.exp(0.6 / tau) / (
        math.exp(0.5 / tau) + math.exp(0.0) + math.exp(0.6 / tau)))
    l0c1 = -math.log(math.exp(0.8 / tau) / (
        math.exp(0.7 / tau) + math.exp(0.0) + math.exp(0.6 / tau)))
    l1c3 = -math.log(math.exp(-0.8 / tau) / (
        math.exp(-0.9 / tau) + math.exp(0.0) + math.exp(0.8 / tau) +
        math.exp(0.6 / tau)))
    expected = ((l0c0 + l0c1) / 2 + l1c3) / 2
    assert expected != pytest.approx((l0c0 + l0c1 + l1c3) / 3, rel=1e-3)
    embeddings = t32([[1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1])
    contrast = t32([[0.6, 0.8], [0.8, 0.6], [1.0, 0.0], [0.6, -0.8]])
    contrast_labels = torch.tensor([0, 0, -1, 1])
    loss = marginal_contrast_loss(embeddings, labels, contrast,
                                  contrast_labels, margin=0.1,
                                  temperature=tau)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # the ignored slot changes nothing whatever it holds, e.g. dropping it
    keep = contrast_labels >= 0
    loss_without = marginal_contrast_loss(embeddings, labels,
                                          contrast[keep],
                                          contrast_labels[keep], margin=0.1,
                                          temperature=tau)
    assert loss_without.item() == pytest.approx(loss.item(), rel=1e-6)


def test_intra_anchors_without_positive_excluded_and_contrast_only_keys():
    # batch of two different labels: no in-batch positive; contrast gives
    # anchor f0 one positive c0 and anchor f1 none. Contrast samples are not
    # anchors (c0 and c1 would be each other's positives if they were).
    # eps = .1, tau = .1; f0 = (1, 0) y=0, f1 = (0, 1) y=5,
    # c0 = (.8, .6) y=0, c1 = (.6, .8) y=0
    # anchor f0: P = {c0} (s=.8), Q = {f1} (s=0)
    #   l = -log(e^{8} / (e^{7} + e^{0}))
    expected = -math.log(math.exp(8.0) / (math.exp(7.0) + math.exp(0.0)))
    loss = marginal_contrast_loss(t32([[1.0, 0.0], [0.0, 1.0]]),
                                  torch.tensor([0, 5]),
                                  t32([[0.8, 0.6], [0.6, 0.8]]),
                                  torch.tensor([0, 0]))
    # c1 (y=0, s=.6) is also a positive of f0:
    #   l' = -log(e^{6} / (e^{5} + e^{0})); mean of the two for anchor f0
    expected = (expected + -math.log(
        math.exp(6.0) / (math.exp(5.0) + math.exp(0.0)))) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_intra_zero_and_attached_without_positive():
    embeddings = t32([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]).requires_grad_(
        True)
    loss = marginal_contrast_loss(embeddings, torch.tensor([0, 1, 2]))
    assert loss.item() == 0.0
    assert loss.requires_grad
    loss.backward()
    assert torch.equal(embeddings.grad, torch.zeros(3, 2))
    # contrast samples with only other or ignored labels do not help
    embeddings.grad = None
    loss = marginal_contrast_loss(embeddings, torch.tensor([0, 1, 2]),
                                  t32([[1.0, 0.0], [0.0, 1.0]]),
                                  torch.tensor([-1, 7]))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.equal(embeddings.grad, torch.zeros(3, 2))


def test_intra_lower_bound_without_negatives():
    # all samples of one class: l_au = -log(e^{s/t} / e^{(s-eps)/t})
    #                                = -eps / t, for every pair
    for margin, tau in [(0.1, 0.1), (0.2, 0.5), (0.0, 0.3)]:
        embeddings = t32([[1.0, 0.0], [0.6, 0.8], [-0.8, 0.6]])
        embeddings.requires_grad_(True)
        loss = marginal_contrast_loss(embeddings, torch.tensor([3, 3, 3]),
                                      margin=margin, temperature=tau)
        assert loss.item() == pytest.approx(-margin / tau, abs=1e-6)
        loss.backward()
        assert torch.isfinite(embeddings.grad).all()
    # the bound holds (approached from above) with negatives
    rng = random.Random(0)
    emb = random_unit(rng, 12, 4)
    labels = [rng.randrange(3) for _ in range(12)]
    loss = marginal_contrast_loss(t32(emb), torch.tensor(labels))
    assert loss.item() > -1.0


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_intra_float32_result_for_half_inputs(dtype):
    rng = random.Random(1)
    emb = t32(random_unit(rng, 8, 4)).to(dtype)
    contrast = t32(random_unit(rng, 6, 4)).to(dtype)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 0])
    contrast_labels = torch.tensor([0, 1, -1, 3, 2, 4])
    loss = marginal_contrast_loss(emb, labels, contrast, contrast_labels)
    assert loss.dtype == torch.float32
    # the same as computing on the (exactly representable) float32 values
    expected = ref_intra_loss(emb.float().tolist(), labels.tolist(),
                              contrast.float().tolist(),
                              contrast_labels.tolist())
    assert loss.item() == pytest.approx(expected, rel=1e-5, abs=1e-6)
    module_loss = MarginalContrastLoss()(emb, labels, contrast,
                                         contrast_labels)
    assert module_loss.dtype == torch.float32
    assert module_loss.item() == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_intra_loss_weight_scales_and_registry():
    embeddings = t32([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 2])
    base = marginal_contrast_loss(embeddings, labels)
    assert MarginalContrastLoss(loss_weight=0.1)(
        embeddings, labels).item() == pytest.approx(0.1 * base.item(),
                                                    rel=1e-6)
    from mmaction.registry import MODELS
    module = MODELS.build(
        dict(type='MarginalContrastLoss', margin=0.2, temperature=0.3,
             loss_weight=3.0))
    expected = 3.0 * marginal_contrast_loss(embeddings, labels, margin=0.2,
                                            temperature=0.3).item()
    assert module(embeddings, labels).item() == pytest.approx(expected,
                                                              rel=1e-6)


def test_intra_bad_arguments():
    with pytest.raises(ValueError, match='margin'):
        MarginalContrastLoss(margin=-0.1)
    for temperature in (0.0, -0.1):
        with pytest.raises(ValueError, match='temperature'):
            MarginalContrastLoss(temperature=temperature)
    with pytest.raises(ValueError, match='loss_weight'):
        MarginalContrastLoss(loss_weight=-1.0)
    # contrast embeddings and labels go together
    with pytest.raises(ValueError):
        marginal_contrast_loss(t32([[1.0, 0.0]]), torch.tensor([0]),
                               contrast_embeddings=t32([[1.0, 0.0]]))
    with pytest.raises(ValueError):
        marginal_contrast_loss(t32([[1.0, 0.0]]), torch.tensor([0]),
                               contrast_labels=torch.tensor([0]))


INTRA_CASES = [
    # (seed, N, M (contrast), D, classes, margin, tau)
    (0, 2, 0, 2, 1, 0.1, 0.1),
    (1, 4, 0, 3, 2, 0.1, 0.1),
    (2, 6, 3, 2, 3, 0.1, 0.1),
    (3, 16, 0, 8, 10, 0.1, 0.1),
    (4, 16, 32, 8, 10, 0.2, 0.5),
    (5, 8, 20, 4, 30, 0.1, 0.07),
    (6, 12, 12, 6, 4, 0.0, 1.0),
    (7, 32, 64, 16, 60, 0.1, 0.1),
]


@pytest.mark.parametrize('seed,num,num_contrast,dim,num_classes,margin,tau',
                         INTRA_CASES)
def test_intra_random_against_reference(seed, num, num_contrast, dim,
                                        num_classes, margin, tau):
    rng = random.Random(seed)
    embeddings = random_unit(rng, num, dim)
    labels = [rng.randrange(num_classes) for _ in range(num)]
    contrast = random_unit(rng, num_contrast, dim)
    # about a fifth of the contrast slots empty (label -1)
    contrast_labels = [
        -1 if rng.random() < 0.2 else rng.randrange(num_classes)
        for _ in range(num_contrast)
    ]
    expected = ref_intra_loss(embeddings, labels, contrast, contrast_labels,
                              margin, tau)
    emb = t32(embeddings).requires_grad_(True)
    if num_contrast:
        loss = marginal_contrast_loss(emb, torch.tensor(labels),
                                      t32(contrast),
                                      torch.tensor(contrast_labels),
                                      margin=margin, temperature=tau)
    else:
        loss = marginal_contrast_loss(emb, torch.tensor(labels),
                                      margin=margin, temperature=tau)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-5, abs=1e-5)
    module = MarginalContrastLoss(margin, tau, loss_weight=0.1)
    args = (t32(contrast), torch.tensor(contrast_labels)) \
        if num_contrast else ()
    assert module(t32(embeddings), torch.tensor(labels),
                  *args).item() == pytest.approx(0.1 * expected, rel=1e-5,
                                                 abs=1e-6)
    loss.backward()
    assert torch.isfinite(emb.grad).all()


def test_inter_class_in_its_own_family_counts_twice():
    """The authors' recipe can put a class in its own family: its prototype
    is then in the denominator twice (as the target and as a member)."""
    family = [[True, True, False], [False, False, False],
              [True, True, False]]
    # sample 0, class 0, tau = .5: own .6 twice, member m1 .8
    l0 = -math.log(math.exp(1.2) / (2 * math.exp(1.2) + math.exp(1.6)))
    # sample 1 as in the hand example (class 2 is not in its own family)
    l1 = -math.log(math.exp(-0.8) /
                   (math.exp(-0.8) + math.exp(0.8) + math.exp(-0.6)))
    embeddings = t32(EMBEDDINGS).requires_grad_(True)
    loss = affinity_contrast_loss(embeddings, torch.tensor(LABELS),
                                  t32(PROTOTYPES), torch.tensor(family),
                                  t32(TEMPERATURES))
    assert loss.item() == pytest.approx((l0 + l1) / 2, rel=1e-6)
    loss.backward()
    assert torch.isfinite(embeddings.grad).all()


def test_intra_public_code_form_hand_example():
    """anchors='all' (a mean over every anchor, one without a positive
    counting 0) and log_epsilon (logits shifted by each anchor's largest,
    its own similarity here, then eps added inside the log): the hand
    example of test_intra_hand_example, eps = 0.05 to be seen."""
    tau, eps = 0.5, 0.05
    e = math.exp
    # anchor 0: shift s00 / tau = 2; l01 = 1.2 - 2
    l01 = math.log(e(1.0 - 2) + e(0.0 - 2) + e(-2.0 - 2) + eps) - (1.2 - 2)
    # anchor 1: shift s11 / tau = 2; s10 = .6, s12 = .8, s13 = -.6
    l10 = math.log(e(1.0 - 2) + e(1.6 - 2) + e(-1.2 - 2) + eps) - (1.2 - 2)
    embeddings = t32([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 2])
    loss = marginal_contrast_loss(embeddings, labels, margin=0.1,
                                  temperature=tau, anchors='all',
                                  log_epsilon=eps)
    assert loss.item() == pytest.approx((l01 + l10) / 4, rel=1e-6)
    # without eps the shift changes nothing: half the paper's mean of two
    exact = marginal_contrast_loss(embeddings, labels, margin=0.1,
                                   temperature=tau)
    assert marginal_contrast_loss(
        embeddings, labels, margin=0.1, temperature=tau,
        anchors='all').item() == pytest.approx(exact.item() / 2, rel=1e-6)
    module = MarginalContrastLoss(0.1, tau, anchors='all', log_epsilon=eps)
    assert module(embeddings, labels).item() == pytest.approx(
        (l01 + l10) / 4, rel=1e-6)
    for kwargs in (dict(anchors='every'), dict(log_epsilon=-1e-6)):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            MarginalContrastLoss(**kwargs)
