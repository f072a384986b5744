"""The two recipes' pure functions (aclnet_plugin/models/recipes.py) against
hand-worked examples and loop references written from their description."""
import random

import pytest
import torch

from aclnet_plugin.models.recipes import (RECIPES, affinity_families,
                                          ema_prototypes,
                                          error_and_pair_counts,
                                          error_counts, get_recipe,
                                          newest_entries_when_full,
                                          top_count_families, whole_queue)


def test_error_and_pair_counts_hand_example():
    """labels 0 0 1 2, predictions 0 1 0 0.
    errors: sample 1 (0 -> 1), sample 2 (1 -> 0), sample 3 (2 -> 0).
    pairs: the two class-0 samples each see samples 2 (class 1) and 3
    (class 2) predicted as 0: +2 at (0, 1) and (0, 2); the class-1 sample
    sees sample 1 (class 0) predicted as 1: +1 at (1, 0); nothing is
    predicted as 2."""
    labels = torch.tensor([0, 0, 1, 2])
    preds = torch.tensor([0, 1, 0, 0])
    valid = torch.ones(4, dtype=torch.bool)
    errors = torch.zeros(3, 3)
    errors[0, 1] = errors[1, 0] = errors[2, 0] = 1
    torch.testing.assert_close(error_counts(labels, preds, valid, 3), errors)
    expected = errors + torch.tensor([[0., 2, 2], [1, 0, 0], [0, 0, 0]])
    torch.testing.assert_close(
        error_and_pair_counts(labels, preds, valid, 3), expected)
    # an invalid row counts nowhere
    valid[3] = False
    expected[2, 0] = 0
    expected[0, 2] = 0
    expected[0, 1] = 1 + 2
    torch.testing.assert_close(
        error_and_pair_counts(labels, preds, valid, 3), expected)


def loop_counts(labels, preds, num_classes):
    """The public code's counting, one sample at a time."""
    counts = torch.zeros(num_classes, num_classes)
    for i in range(len(labels)):
        if preds[i] != labels[i]:
            counts[labels[i], preds[i]] += 1
        for j in range(len(labels)):
            if preds[j] == labels[i] and labels[j] != labels[i]:
                counts[labels[i], labels[j]] += 1
    return counts


@pytest.mark.parametrize('seed', range(4))
def test_error_and_pair_counts_against_a_loop(seed):
    rng = random.Random(seed)
    C = rng.choice([3, 7, 20])
    n = rng.choice([1, 8, 33])
    labels = torch.tensor([rng.randrange(C) for _ in range(n)])
    preds = torch.tensor([rng.randrange(C) for _ in range(n)])
    got = error_and_pair_counts(labels, preds, torch.ones(n, dtype=bool), C)
    torch.testing.assert_close(got, loop_counts(labels.tolist(),
                                                preds.tolist(), C))


def test_top_count_families_hand_example():
    """K = 2, n_a = 1 (more than 1 shared: both). The lists:
    0: counts 0 3 3 1 0 -> {1, 2} (the tie at 3 to the lower indices);
    1: never confused -> {0, 1}, its own class included;
    2: 5 0 0 0 1 -> {0, 4};
    3: never confused -> {0, 1};
    4: 0 0 2 2 0 -> {2, 3}.
    Classes 1 and 3 share both list members, so each joins the other's
    family (1 was in 3's list already)."""
    confusion = torch.tensor([[0., 3, 3, 1, 0], [0, 0, 0, 0, 0],
                              [5, 0, 0, 0, 1], [0, 0, 0, 0, 0],
                              [0, 0, 2, 2, 0]])
    families = top_count_families(confusion, 2, 1)
    assert [row.nonzero().flatten().tolist() for row in families] == [
        [1, 2], [0, 1, 3], [0, 4], [0, 1], [2, 3]]
    # n_a = 0: one shared member is enough: class 0's list {1, 2} shares 1
    # with those of 1 and 3, and 2 with that of 4
    families = top_count_families(confusion, 2, 0)
    assert families[0].nonzero().flatten().tolist() == [1, 2, 3, 4]
    # fewer classes than K: every class is listed, itself included
    small = top_count_families(torch.zeros(2, 2), 10, 4)
    assert small.all()


def loop_families(confusion, k, overlap):
    """The public code's families, one class at a time."""
    C = len(confusion)
    lists = []
    for i in range(C):
        ranked = sorted(range(C), key=lambda j: -confusion[i][j])  # stable
        lists.append(set(ranked[:k]))
    return [sorted(lists[i] | {j for j in range(C) if j != i and
                               len(lists[i] & lists[j]) > overlap})
            for i in range(C)]


@pytest.mark.parametrize('seed', range(4))
def test_top_count_families_against_a_loop(seed):
    rng = random.Random(seed)
    C = rng.choice([5, 12, 40])
    # sparse small counts: many ties and zeros, as early in training
    confusion = [[0 if i == j or rng.random() < 0.7 else rng.randrange(1, 4)
                  for j in range(C)] for i in range(C)]
    got = top_count_families(torch.tensor(confusion, dtype=torch.float32),
                             4, 2)
    assert [row.nonzero().flatten().tolist() for row in got] == \
        loop_families(confusion, 4, 2)


def test_affinity_families_are_the_equations():
    confusion = torch.tensor([[0., 3, 1], [2, 0, 0], [0, 0, 0]])
    # K = 1: 0 -> {1}, 1 -> {0}, 2 -> {} (never confused: no neighbour)
    families = affinity_families(confusion, 1, 0)
    assert families.tolist() == [[False, True, False], [True, False, False],
                                 [False, False, False]]


def test_newest_entries_when_full():
    """Q = 5 slots, the next write at slot 2 (so slot 1 is the newest,
    then 0, 4, 3, 2). A batch of 2: the newest 3 join the contrast set."""
    labels = torch.tensor([10., 11, 12, 13, 14])
    kept, full = newest_entries_when_full(labels, torch.tensor([2.]),
                                          torch.tensor(2))
    assert kept.tolist() == [10, 11, -1, -1, 14] and bool(full)
    # 2 entries so far (slots 0, 1): 2 + 2 < 5, not full yet
    labels = torch.tensor([10., 11, -1, -1, -1])
    kept, full = newest_entries_when_full(labels, torch.tensor([2.]),
                                          torch.tensor(2))
    assert kept.tolist() == [10, 11, -1, -1, -1] and not bool(full)
    # 3 entries and a batch of 2: full (the public code's memory holds 5)
    labels = torch.tensor([10., 11, 12, -1, -1])
    kept, full = newest_entries_when_full(labels, torch.tensor([3.]),
                                          torch.tensor(2))
    assert kept.tolist() == [10, 11, 12, -1, -1] and bool(full)
    # the equations recipe: the whole queue, no switch
    assert whole_queue(labels, torch.tensor([3.]), torch.tensor(2)) == (
        labels, None)


def test_ema_prototypes():
    prototypes = torch.tensor([[1., 0], [0, 1], [2, 2]])
    seen = torch.tensor([True, False, True])
    sums = torch.tensor([[3., 3], [4, 0], [0, 0]])
    counts = torch.tensor([3., 2, 0])
    new, new_seen = ema_prototypes(prototypes, seen, sums, counts, 0.9)
    # class 0: .9 (1, 0) + .1 (1, 1); class 1 first seen: its mean (2, 0);
    # class 2 absent: unchanged
    torch.testing.assert_close(new, torch.tensor([[1., 0.1], [2, 0], [2, 2]]))
    assert new_seen.tolist() == [True, True, True]


def test_recipes_by_name():
    assert set(RECIPES) == {'equations', 'authors'}
    assert get_recipe('authors').refresh == 'pass_start'
    with pytest.raises(ValueError, match="'equations'"):
        get_recipe('paper')
