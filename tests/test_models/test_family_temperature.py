"""Tests of the family-aware temperature (METHOD.md section 4, paper eq. 9).

tau_w(i) = 0.1 if |W(i)| <= K; 0.5 if K < |W(i)| <= 2K; 1.0 if |W(i)| > 2K.
"""
import random

import pytest
import torch

import aclnet_plugin  # noqa: F401  (compatibility fixes before mmaction)
from aclnet_plugin.models import (FamilyAwareTemperature, affinity_similarity,
                                  motion_families)


def ref_temperature(size, num_neighbors=10, temperatures=(0.1, 0.5, 1.0),
                    boundaries=None):
    """Plain-Python eq. 9: the first band whose upper bound holds the size."""
    if boundaries is None:
        boundaries = [num_neighbors * (b + 1) for b in range(len(temperatures) - 1)]
    for upper, temperature in zip(boundaries, temperatures):
        if size <= upper:
            return temperature
    return temperatures[-1]


def test_default_bands_boundaries():
    # K = 10: sizes 0, 1, 10 -> <= K -> 0.1; 11, 20 -> (K, 2K] -> 0.5;
    # 21, 100 -> > 2K -> 1.0
    module = FamilyAwareTemperature()
    sizes = torch.tensor([0, 1, 10, 11, 20, 21, 100])
    temps = module(sizes)
    assert temps.shape == (7, )
    assert temps.dtype == torch.float32
    assert temps.tolist() == pytest.approx(
        [0.1, 0.1, 0.1, 0.5, 0.5, 1.0, 1.0], abs=1e-7)


def test_bands_scale_with_topk():
    # K = 3: boundaries 3 and 6. sizes 3 -> 0.1, 4 -> 0.5, 6 -> 0.5,
    # 7 -> 1.0
    temps = FamilyAwareTemperature(num_neighbors=3)(torch.tensor([3, 4, 6, 7]))
    assert temps.tolist() == pytest.approx([0.1, 0.5, 0.5, 1.0], abs=1e-7)


def test_custom_temperatures():
    # two bands with K = 3: boundary [3]; 3 -> 0.2, 4 -> 0.7
    module = FamilyAwareTemperature(num_neighbors=3, temperatures=(0.2, 0.7))
    assert module(torch.tensor([0, 3, 4, 50])).tolist() == pytest.approx(
        [0.2, 0.2, 0.7, 0.7], abs=1e-7)
    # one band: a constant temperature
    module = FamilyAwareTemperature(temperatures=(0.3, ))
    assert module(torch.tensor([0, 10, 1000])).tolist() == pytest.approx(
        [0.3] * 3, abs=1e-7)


def test_custom_boundaries():
    # boundaries (2, 5): [0, 2] -> 0.05, (2, 5] -> 0.3, > 5 -> 2.0
    module = FamilyAwareTemperature(temperatures=(0.05, 0.3, 2.0),
                                    boundaries=(2, 5))
    temps = module(torch.tensor([0, 2, 3, 5, 6]))
    assert temps.tolist() == pytest.approx([0.05, 0.05, 0.3, 0.3, 2.0],
                                           abs=1e-7)


def test_accepts_family_mask_sums_and_float_sizes():
    # family sizes as they come from a bool mask: (C, C).sum(1) -> int64
    mask = torch.zeros(4, 30, dtype=torch.bool)
    mask[1, :10] = True   # 10 -> 0.1
    mask[2, :11] = True   # 11 -> 0.5
    mask[3, :21] = True   # 21 -> 1.0
    module = FamilyAwareTemperature()
    expected = [0.1, 0.1, 0.5, 1.0]
    assert module(mask.sum(dim=1)).tolist() == pytest.approx(expected,
                                                             abs=1e-7)
    assert module(mask.sum(dim=1).float()).tolist() == pytest.approx(
        expected, abs=1e-7)


def test_families_to_temperatures_hand_example():
    # C = 13, K = 10 (K_eff = 10). Class 0 is confused with 3..12 (ten
    # neighbours, w = 1/2 each) and class 2 shares 5 of them (w[0, 2] =
    # 5/10 = .5 > .4): |W(0)| = 11 -> 0.5. Class 2 is confused with 3..7:
    # W(2) = {0 (w = 5/5), 3..7 (w = 1/2)} -> 6 members -> 0.1. Others have
    # empty families (size 0) -> 0.1.
    confusion = torch.zeros(13, 13)
    confusion[0, 3:] = 1
    confusion[2, 3:8] = 1
    families = motion_families(affinity_similarity(confusion))
    sizes = families.sum(dim=1)
    assert sizes[0].item() == 11 and sizes[2].item() == 6
    temps = FamilyAwareTemperature()(sizes)
    expected = [0.5] + [0.1] * 12
    assert temps.tolist() == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize('seed', range(5))
def test_random_against_reference(seed):
    rng = random.Random(seed)
    num_neighbors = rng.randint(1, 12)
    num_bands = rng.randint(1, 4)
    temperatures = tuple(rng.uniform(0.05, 2.0) for _ in range(num_bands))
    custom = seed % 2 == 1
    boundaries = None
    if custom:
        boundaries = sorted(rng.sample(range(0, 40), num_bands - 1))
    sizes = [rng.randint(0, 4 * num_neighbors + 5) for _ in range(50)]
    # include every boundary and its neighbours
    bounds = boundaries or [num_neighbors * (b + 1) for b in range(num_bands - 1)]
    for b in bounds:
        sizes += [max(b - 1, 0), b, b + 1]
    module = FamilyAwareTemperature(num_neighbors=num_neighbors, temperatures=temperatures,
                                    boundaries=boundaries)
    temps = module(torch.tensor(sizes))
    expected = [ref_temperature(s, num_neighbors, temperatures, boundaries)
                for s in sizes]
    assert temps.dtype == torch.float32
    assert temps.tolist() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('temperatures', [(0.1, 0.0, 1.0), (-0.5, ), (0.1,
                                                                      -1.0),
                                          ()])
def test_bad_temperatures(temperatures):
    with pytest.raises(ValueError, match='temperatures'):
        FamilyAwareTemperature(temperatures=temperatures)


@pytest.mark.parametrize('num_neighbors', [0, -3])
def test_bad_num_neighbors(num_neighbors):
    with pytest.raises(ValueError, match='num_neighbors'):
        FamilyAwareTemperature(num_neighbors=num_neighbors)


def test_bad_boundaries():
    with pytest.raises(ValueError, match='boundaries'):
        FamilyAwareTemperature(temperatures=(0.1, 0.5, 1.0), boundaries=(5, ))
    with pytest.raises(ValueError, match='boundaries'):
        FamilyAwareTemperature(temperatures=(0.1, 0.5, 1.0),
                               boundaries=(5, 5))
    with pytest.raises(ValueError, match='boundaries'):
        FamilyAwareTemperature(temperatures=(0.1, 0.5, 1.0),
                               boundaries=(8, 3))


def test_registered_in_mmaction_models():
    from mmaction.registry import MODELS
    module = MODELS.build(
        dict(type='FamilyAwareTemperature', num_neighbors=2, temperatures=(0.2, 0.4)))
    assert isinstance(module, FamilyAwareTemperature)
    assert module(torch.tensor([2, 3])).tolist() == pytest.approx([0.2, 0.4])
