"""Tests of the affinity math (METHOD.md sections 2 and 3, paper eq. 3-6).

Hand-worked examples derive every expected number in comments; a brute-force
reference written from METHOD.md with plain Python loops and exact fractions
(independent of the package code) is compared on random confusion matrices.
"""
import random
from fractions import Fraction

import pytest
import torch

import aclnet_plugin  # noqa: F401  (compatibility fixes before mmaction)
from aclnet_plugin.models import (affinity_similarity, confusion_neighbors,
                                  motion_families)


# ---------------------------------------------------------------------------
# Brute-force reference, straight from METHOD.md sections 2 and 3.
# ---------------------------------------------------------------------------
def ref_neighbors(confusion, num_neighbors):
    """N_K(i) for every i, as Python sets (METHOD.md section 2).

    K_eff = min(K, C - 1); candidates are j != i with H[i][j] > 0; the K_eff
    largest counts win, ties to the lower class index.
    """
    num_classes = len(confusion)
    k_eff = min(num_neighbors, num_classes - 1)
    neighbors = []
    for i in range(num_classes):
        candidates = [j for j in range(num_classes)
                      if j != i and confusion[i][j] > 0]
        # sort by count descending, then by class index ascending
        candidates.sort(key=lambda j: (-confusion[i][j], j))
        neighbors.append(set(candidates[:k_eff]))
    return neighbors


def ref_affinity(confusion, num_neighbors):
    """w as a list of lists of exact Fractions (eq. 3-5)."""
    num_classes = len(confusion)
    neighbors = ref_neighbors(confusion, num_neighbors)
    indicator = [[1 if j in neighbors[i] else 0 for j in range(num_classes)]
                 for i in range(num_classes)]
    affinity = []
    for i in range(num_classes):
        degree = max(sum(indicator[i]), 1)
        row = []
        for j in range(num_classes):
            if i == j:
                row.append(Fraction(0))
                continue
            common = sum(indicator[i][p] * indicator[j][p]
                         for p in range(num_classes))
            row.append(Fraction(indicator[i][j], 2) + Fraction(common, degree))
        affinity.append(row)
    return affinity


def ref_families(affinity, overlap_threshold, num_neighbors):
    """W(i) = {j != i : w[i][j] > n_a / K_eff}, decided exactly (eq. 6).

    NOTE: METHOD.md section 3 writes the threshold as n_a / K; the brief and
    the implementation use K_eff = min(K, C - 1). The two agree whenever
    C > K (the paper's setting). Change the denominator here if the lead
    decides for the literal n_a / K.
    """
    num_classes = len(affinity)
    k_eff = min(num_neighbors, num_classes - 1)
    if k_eff == 0:
        return [[False] * num_classes for _ in range(num_classes)]
    threshold = Fraction(overlap_threshold, k_eff)
    return [[i != j and Fraction(affinity[i][j]) > threshold
             for j in range(num_classes)] for i in range(num_classes)]


def as_tensor(rows, dtype=torch.int64):
    return torch.tensor(rows, dtype=dtype)


def neighbor_sets(indicator):
    return [set(torch.nonzero(row).flatten().tolist()) for row in indicator]


# ---------------------------------------------------------------------------
# Hand-worked example, C = 5, K = 2 (so K_eff = min(2, 4) = 2).
# ---------------------------------------------------------------------------
# rows: true class i, columns: predicted class j; the diagonal (9, 7) must be
# ignored.
HAND_CONFUSION = [
    [9, 3, 1, 0, 0],  # N(0): 1 (3), 2 (1)                       -> {1, 2}
    [2, 0, 2, 5, 0],  # N(1): 3 (5), then tie 0/2 at 2 -> lower 0 -> {0, 3}
    [0, 0, 7, 0, 0],  # N(2): only zeros off the diagonal         -> {}
    [4, 4, 0, 0, 4],  # N(3): three-way tie 0/1/4 at 4 -> lowest  -> {0, 1}
    [0, 0, 0, 1, 0],  # N(4): a single non-zero count             -> {3}
]
# I (row i, 1 where j in N(i)):
HAND_INDICATOR = [
    [0, 1, 1, 0, 0],
    [1, 0, 0, 1, 0],
    [0, 0, 0, 0, 0],
    [1, 1, 0, 0, 0],
    [0, 0, 0, 1, 0],
]
# degrees d = sum_p I[i, p] = [2, 2, 0, 2, 1]; max(d, 1) = [2, 2, 1, 2, 1]
# Mc[i, j] = |N(i) & N(j)| for i != j:
#   0-1: {1,2}&{0,3} = {}  -> 0     0-3: {1,2}&{0,1} = {1} -> 1
#   0-4: {1,2}&{3}   = {}  -> 0     1-3: {0,3}&{0,1} = {0} -> 1
#   1-4: {0,3}&{3}   = {3} -> 1     3-4: {0,1}&{3}   = {}  -> 0
#   anything with 2: 0
# w[i, j] = I[i, j] / 2 + Mc[i, j] / max(d_i, 1), diagonal 0:
#   row 0 (d=2): w01 = 1/2 + 0 = .5, w02 = 1/2 + 0 = .5, w03 = 0 + 1/2 = .5,
#                w04 = 0
#   row 1 (d=2): w10 = 1/2 + 0 = .5, w12 = 0, w13 = 1/2 + 1/2 = 1,
#                w14 = 0 + 1/2 = .5
#   row 2 (d=0 -> 1): all 0
#   row 3 (d=2): w30 = 1/2 + 1/2 = 1, w31 = 1/2 + 1/2 = 1, w32 = w34 = 0
#   row 4 (d=1): w40 = 0, w41 = 0 + 1/1 = 1, w42 = 0, w43 = 1/2 + 0 = .5
HAND_AFFINITY = [
    [0.0, 0.5, 0.5, 0.5, 0.0],
    [0.5, 0.0, 0.0, 1.0, 0.5],
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0, 1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.5, 0.0],
]


def test_hand_example_neighbors():
    indicator = confusion_neighbors(as_tensor(HAND_CONFUSION), num_neighbors=2)
    assert indicator.shape == (5, 5)
    assert indicator.dtype == torch.float64
    assert indicator.tolist() == HAND_INDICATOR


def test_hand_example_affinity():
    affinity = affinity_similarity(as_tensor(HAND_CONFUSION), num_neighbors=2)
    assert affinity.shape == (5, 5)
    assert affinity.dtype == torch.float64
    assert affinity.tolist() == HAND_AFFINITY


def test_hand_example_families_strict_threshold():
    affinity = affinity_similarity(as_tensor(HAND_CONFUSION), num_neighbors=2)
    # n_a = 1, K_eff = 2: threshold 1/2, strict. Every w = .5 is a tie and
    # is NOT a member:
    #   W(0): w01 = w02 = w03 = .5 -> {}       W(1): w13 = 1 -> {3}
    #   W(2): {}                               W(3): w30 = w31 = 1 -> {0, 1}
    #   W(4): w41 = 1 -> {1}
    families = motion_families(affinity, overlap_threshold=1, num_neighbors=2)
    assert families.dtype == torch.bool
    assert families.shape == (5, 5)
    expected = [[False] * 5 for _ in range(5)]
    for i, members in {1: [3], 3: [0, 1], 4: [1]}.items():
        for j in members:
            expected[i][j] = True
    assert families.tolist() == expected

    # n_a = 0: threshold 0, every positive affinity is a member:
    #   W(0) = {1, 2, 3}, W(1) = {0, 3, 4}, W(2) = {}, W(3) = {0, 1},
    #   W(4) = {1, 3}
    families = motion_families(affinity, overlap_threshold=0, num_neighbors=2)
    assert neighbor_sets(families) == [{1, 2, 3}, {0, 3, 4}, set(), {0, 1},
                                       {1, 3}]


def k10_tie_confusion():
    """C = 13, K = 10 -> K_eff = min(10, 12) = 10.

    class 0: confused with classes 3..12 (count 1 each, ten-way tie, exactly
             K_eff candidates) -> N(0) = {3, ..., 12}; 1 and 2 have count 0.
    class 1: confused with 3, 4, 5, 6 only      -> N(1) = {3, 4, 5, 6}
    class 2: confused with 3, 4, 5, 6, 7 only   -> N(2) = {3, 4, 5, 6, 7}
    classes 3..12: never confused               -> N = {}
    """
    confusion = torch.zeros(13, 13, dtype=torch.int64)
    confusion[0, 3:] = 1
    confusion[1, 3:7] = 2
    confusion[2, 3:8] = 3
    confusion.fill_diagonal_(50)  # ignored
    return confusion


def test_exact_tie_at_threshold_k10():
    affinity = affinity_similarity(k10_tie_confusion(), num_neighbors=10)
    # w[0, 1] = I/2 + Mc/d_0 = 0 + |{3..6}| / 10 = 4/10 = 0.4 (tie)
    # w[0, 2] = 0 + |{3..7}| / 10 = 5/10 = 0.5
    # w[0, j], j in 3..12: 1/2 + Mc[0, j]/10 = 1/2 + 0 = 0.5
    # w[1, 0] = 0 + 4 / d_1 = 4/4 = 1;  w[1, 2] = 0 + 4/4 = 1
    # w[1, j], j in 3..6: 1/2 + 0 = .5; other j: 0
    # w[2, 0] = 5/5 = 1; w[2, 1] = 4/5 = .8; w[2, j], j in 3..7: .5
    # rows 3..12: I row empty, so Mc = 0 and w = 0
    assert affinity[0, 1].item() == pytest.approx(0.4, abs=1e-15)
    assert affinity[0, 2].item() == pytest.approx(0.5, abs=1e-15)
    assert affinity[0, 3:].tolist() == [0.5] * 10
    assert affinity[1, 0].item() == 1.0 and affinity[1, 2].item() == 1.0
    assert affinity[1, 3:7].tolist() == [0.5] * 4
    assert affinity[1, 7:].tolist() == [0.0] * 6
    assert affinity[2, 0].item() == 1.0
    assert affinity[2, 1].item() == pytest.approx(0.8, abs=1e-15)
    assert affinity[2, 3:8].tolist() == [0.5] * 5
    assert affinity[3:].abs().sum().item() == 0

    # threshold n_a / K = 4/10 = 0.4, strict:
    #   W(0) = {2} u {3..12} (w = .5) ; class 1 (w = .4, exactly 4 of 10
    #          shared neighbours) is NOT a member -> |W(0)| = 11
    #   W(1) = {0, 2, 3, 4, 5, 6}; W(2) = {0, 1, 3, 4, 5, 6, 7}; others {}
    expected = [set(range(2, 13)), {0, 2, 3, 4, 5, 6},
                {0, 1, 3, 4, 5, 6, 7}] + [set()] * 10
    families = motion_families(affinity, overlap_threshold=4, num_neighbors=10)
    assert neighbor_sets(families) == expected
    # float32 rounds 0.4 up (0.4000000059604645 > 0.4 in float64); the
    # decision must still be exact.
    families32 = motion_families(affinity.float(), overlap_threshold=4,
                                 num_neighbors=10)
    assert not families32[0, 1]
    assert neighbor_sets(families32) == expected


def test_five_of_ten_is_a_member_four_is_not():
    # C = 12, K = 10 -> K_eff = 10. Class 0 is confused with 1..10, never
    # with 11. Class 11 is confused with s of class 0's neighbours only.
    # w[0, 11] = 0 + s/10: s = 4 -> 0.4 (not > 0.4), s = 5 -> 0.5 (member).
    for shared, is_member in [(3, False), (4, False), (5, True), (6, True)]:
        confusion = torch.zeros(12, 12)
        confusion[0, 1:11] = torch.arange(10, 0, -1).float()
        confusion[11, 1:1 + shared] = 1.0
        affinity = affinity_similarity(confusion)  # default num_neighbors = 10
        assert affinity[0, 11].item() == pytest.approx(shared / 10, abs=1e-15)
        families = motion_families(affinity)  # defaults n_a = 4, K = 10
        assert bool(families[0, 11]) is is_member, shared
        # the direct neighbours are all members: w = 1/2 + 0 > 0.4
        assert families[0, 1:11].all()


def test_k_eff_is_min_of_topk_and_c_minus_one():
    # C = 4, K = 10 -> K_eff = 3: every non-zero off-diagonal class is a
    # neighbour; with all counts positive each row has exactly 3.
    confusion = torch.tensor([[0, 5, 1, 2],
                              [3, 0, 4, 1],
                              [1, 1, 0, 1],
                              [2, 9, 9, 0]])
    indicator = confusion_neighbors(confusion, num_neighbors=10)
    assert indicator.tolist() == (1 - torch.eye(4, dtype=torch.float64)
                                  ).tolist()
    # K = 1 (< C - 1): only the largest count of each row, ties to the lower
    # index: row 0 -> 1 (5); row 1 -> 2 (4); row 2 -> 0 (1,1,1 tie);
    # row 3 -> 1 (9, 9 tie)
    indicator = confusion_neighbors(confusion, num_neighbors=1)
    assert neighbor_sets(indicator) == [{1}, {2}, {0}, {1}]


def test_threshold_uses_k_eff_when_fewer_classes_than_topk():
    # Pins the brief's reading n_a / K_eff (METHOD.md section 3 writes
    # n_a / K; see the report). C = 3 with every off-diagonal count 1, K = 10:
    # K_eff = 2, N(i) = the two other classes, d = 2, Mc[i, j] = 1 (the third
    # class), so w[i, j] = 1/2 + 1/2 = 1 for i != j.
    confusion = torch.ones(3, 3)
    affinity = affinity_similarity(confusion, num_neighbors=10)
    assert affinity.tolist() == [[0., 1., 1.], [1., 0., 1.], [1., 1., 0.]]
    # n_a = 1: threshold 1/2 -> all other classes are members
    assert neighbor_sets(motion_families(affinity, 1, 10)) == [
        {1, 2}, {0, 2}, {0, 1}]
    # n_a = 2: threshold 2/2 = 1, strict -> w = 1 is a tie, no member
    # (with the literal n_a / K = 2/10 all would be members)
    assert not motion_families(affinity, 2, 10).any()


def test_ties_go_to_lower_index_and_zero_counts_are_never_neighbors():
    confusion = torch.tensor([
        [0, 5, 5, 5, 5, 0],  # four-way tie, K=2 -> {1, 2}
        [0, 0, 1, 3, 3, 3],  # tie 3/4/5 at 3 straddles the cut -> {3, 4}
        [2, 2, 0, 0, 0, 0],  # tie before the diagonal -> {0, 1}
        [0, 0, 0, 0, 0, 7],  # one non-zero count -> {5}, zeros are not
        [0, 0, 0, 0, 0, 0],  # nothing -> {}
        [0, 0, 0, 0, 1, 1],  # the last two, not any zero before them
    ])
    indicator = confusion_neighbors(confusion, num_neighbors=2)
    assert neighbor_sets(indicator) == [{1, 2}, {3, 4}, {0, 1}, {5}, set(),
                                        {4}]
    # row 5: the diagonal (1) is not a candidate, so only {4}


def test_diagonal_is_ignored():
    # a huge diagonal never makes a class its own neighbour, and never
    # pushes a real confusion out of the top-K
    confusion = torch.diag(torch.tensor([100., 100., 100., 100.]))
    confusion[0, 3] = 1.0
    indicator = confusion_neighbors(confusion, num_neighbors=1)
    assert neighbor_sets(indicator) == [{3}, set(), set(), set()]
    affinity = affinity_similarity(confusion, num_neighbors=1)
    # w[0, 3] = 1/2 + Mc[0, 3] / 1 = 1/2 + 0; the rest is 0
    expected = torch.zeros(4, 4, dtype=torch.float64)
    expected[0, 3] = 0.5
    assert torch.equal(affinity, expected)


def test_affinity_and_family_diagonal():
    # all counts positive, so every class shares neighbours with itself:
    # Mc[i, i] = d_i, which must NOT leak into w[i, i] (0) nor into W(i).
    confusion = torch.full((5, 5), 3.0)
    affinity = affinity_similarity(confusion, num_neighbors=2)
    assert torch.all(torch.diagonal(affinity) == 0)
    families = motion_families(affinity, overlap_threshold=0, num_neighbors=2)
    assert not torch.diagonal(families).any()
    # even a diagonal that is passed in non-zero is not a member
    families = motion_families(torch.full((4, 4), 5.0, dtype=torch.float64),
                               overlap_threshold=1, num_neighbors=3)
    assert not torch.diagonal(families).any()
    assert families.sum().item() == 12


def test_dtypes_shapes_and_input_dtypes():
    confusion_int = torch.tensor(HAND_CONFUSION)
    for confusion in [confusion_int, confusion_int.float(),
                      confusion_int.double(), confusion_int.to(torch.int32)]:
        affinity = affinity_similarity(confusion, num_neighbors=2)
        assert affinity.shape == (5, 5)
        assert affinity.dtype == torch.float64
        assert affinity.tolist() == HAND_AFFINITY
        families = motion_families(affinity, 1, 2)
        assert families.shape == (5, 5) and families.dtype == torch.bool


def test_single_class():
    # C = 1: K_eff = 0, nothing to be confused with
    confusion = torch.tensor([[4]])
    assert confusion_neighbors(confusion).tolist() == [[0.0]]
    affinity = affinity_similarity(confusion)
    assert affinity.tolist() == [[0.0]] and affinity.dtype == torch.float64
    families = motion_families(affinity)
    assert families.tolist() == [[False]] and families.dtype == torch.bool


def test_confusion_is_not_modified():
    confusion = torch.tensor(HAND_CONFUSION, dtype=torch.float32)
    before = confusion.clone()
    affinity_similarity(confusion, num_neighbors=2)
    assert torch.equal(confusion, before)


@pytest.mark.parametrize('num_neighbors', [0, -1])
def test_bad_num_neighbors(num_neighbors):
    with pytest.raises(ValueError, match='num_neighbors'):
        confusion_neighbors(torch.ones(3, 3), num_neighbors=num_neighbors)
    with pytest.raises(ValueError, match='num_neighbors'):
        affinity_similarity(torch.ones(3, 3), num_neighbors=num_neighbors)
    with pytest.raises(ValueError, match='num_neighbors'):
        motion_families(torch.ones(3, 3), num_neighbors=num_neighbors)


@pytest.mark.parametrize('shape', [(3, 4), (3, ), (2, 2, 2)])
def test_non_square(shape):
    with pytest.raises(ValueError, match='square'):
        affinity_similarity(torch.ones(shape))
    with pytest.raises(ValueError, match='square'):
        confusion_neighbors(torch.ones(shape))
    with pytest.raises(ValueError, match='square'):
        motion_families(torch.ones(shape))


def test_negative_overlap_threshold():
    with pytest.raises(ValueError, match='overlap_threshold'):
        motion_families(torch.zeros(3, 3), overlap_threshold=-1)


# ---------------------------------------------------------------------------
# Random comparison with the brute-force reference.
# ---------------------------------------------------------------------------
def random_confusion(rng, num_classes, high, zero_prob, as_float):
    rows = []
    for _ in range(num_classes):
        row = []
        for _ in range(num_classes):
            value = 0 if rng.random() < zero_prob else rng.randint(0, high)
            row.append(float(value) if as_float else value)
        rows.append(row)
    return rows


CASES = [
    # (seed, C, K, max count, zero probability)
    (0, 2, 10, 2, 0.3),
    (1, 3, 10, 1, 0.2),
    (2, 5, 2, 2, 0.4),
    (3, 6, 3, 3, 0.5),
    (4, 11, 10, 2, 0.2),
    (5, 12, 10, 1, 0.3),   # 0/1 counts: ties everywhere
    (6, 13, 10, 2, 0.1),
    (7, 20, 10, 3, 0.6),
    (8, 30, 10, 2, 0.3),
    (9, 40, 10, 5, 0.8),
    (10, 25, 4, 1, 0.5),
    (11, 15, 1, 2, 0.5),
    (12, 60, 10, 1, 0.7),
]


@pytest.mark.parametrize('seed,num_classes,num_neighbors,high,zero_prob', CASES)
def test_random_against_reference(seed, num_classes, num_neighbors, high, zero_prob):
    rng = random.Random(seed)
    rows = random_confusion(rng, num_classes, high, zero_prob,
                            as_float=bool(seed % 2))
    confusion = torch.tensor(rows)

    neighbors = ref_neighbors(rows, num_neighbors)
    indicator = confusion_neighbors(confusion, num_neighbors)
    assert neighbor_sets(indicator) == neighbors
    assert set(indicator.flatten().tolist()) <= {0.0, 1.0}

    exact = ref_affinity(rows, num_neighbors)
    affinity = affinity_similarity(confusion, num_neighbors)
    assert affinity.shape == (num_classes, num_classes)
    assert affinity.dtype == torch.float64
    expected = torch.tensor([[float(v) for v in row] for row in exact],
                            dtype=torch.float64)
    assert torch.allclose(affinity, expected, rtol=0, atol=1e-12)

    for overlap_threshold in range(0, min(num_neighbors, num_classes) + 2):
        expected_families = ref_families(exact, overlap_threshold, num_neighbors)
        families = motion_families(affinity, overlap_threshold, num_neighbors)
        assert families.dtype == torch.bool
        assert families.tolist() == expected_families, overlap_threshold
        # same decision from a float32 affinity (ties must stay exact)
        families32 = motion_families(affinity.float(), overlap_threshold,
                                     num_neighbors)
        assert families32.tolist() == expected_families, overlap_threshold


def test_random_cases_exercise_ties_at_the_threshold():
    # guard: the random cases above must contain exact ties w == n_a / K_eff
    # (otherwise they would not test the strict comparison)
    ties = 0
    for seed, num_classes, num_neighbors, high, zero_prob in CASES:
        rows = random_confusion(random.Random(seed), num_classes, high,
                                zero_prob, as_float=bool(seed % 2))
        exact = ref_affinity(rows, num_neighbors)
        k_eff = min(num_neighbors, num_classes - 1)
        for n_a in range(0, min(num_neighbors, num_classes) + 2):
            ties += sum(v == Fraction(n_a, k_eff) for i, row in
                        enumerate(exact) for j, v in enumerate(row) if i != j)
    assert ties > 50
