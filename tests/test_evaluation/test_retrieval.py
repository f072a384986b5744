"""Tests of the retrieval scores (rank-r, mAP, CASIA-B gait and re-id).

Hand-worked examples derive every expected number in comments. Their
embeddings make the similarities exact in float32 (one-hot gallery items,
or entries of +-1/2 with four non-zeros: unit norm, dot products multiples
of 1/4), so ties are real ties. A brute-force reference written from the
definitions with Python loops (sort each probe's gallery, wrong identities
first among ties) is compared on random data.
"""
import math
import threading
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

import aclnet_plugin  # noqa: F401  (compatibility fixes before mmaction)
from aclnet_plugin.evaluation import retrieval
from aclnet_plugin.evaluation.retrieval import (CASIA_B_VIEWS,
                                                _count_at_least,
                                                _count_buffers,
                                                casia_b_gait_table,
                                                mean_by_group, reid_settings,
                                                retrieval_scores)
from conftest import load_tool


# ---------------------------------------------------------------------------
# Brute-force reference, from the definitions.
# ---------------------------------------------------------------------------
def ref_scores(probe, probe_ids, gallery, gallery_ids, ranks,
               probe_groups=None, gallery_groups=None):
    """Per-probe (hits, ap, valid) by sorting each probe's gallery."""
    sims = (F.normalize(probe.double(), dim=1) @ F.normalize(
        gallery.double(), dim=1).T).tolist()
    hits, aps, valid = [], [], []
    for i, row in enumerate(sims):
        items = [(s, int(gallery_ids[j]) == int(probe_ids[i]))
                 for j, s in enumerate(row)
                 if probe_groups is None
                 or int(gallery_groups[j]) != int(probe_groups[i])]
        # decreasing similarity; among ties the wrong identities first
        items.sort(key=lambda item: (-item[0], item[1]))
        flags = [is_true for _, is_true in items]
        if not any(flags):
            hits.append([False] * len(ranks))
            aps.append(float('nan'))
            valid.append(False)
            continue
        first = flags.index(True) + 1
        hits.append([first <= r for r in ranks])
        found, precisions = 0, []
        for position, is_true in enumerate(flags, 1):
            if is_true:
                found += 1
                precisions.append(Fraction(found, position))
        aps.append(float(sum(precisions) / len(precisions)))
        valid.append(True)
    return torch.tensor(hits), torch.tensor(aps), torch.tensor(valid)


def exact_vectors(num, dim, generator):
    """Rows of four entries +-1/2 (unit norm): exact float32 cosines."""
    vectors = torch.zeros(num, dim)
    where = torch.rand(num, dim, generator=generator).argsort(1)[:, :4]
    signs = torch.randint(0, 2, (num, 4), generator=generator) * 2 - 1
    return vectors.scatter_(1, where, signs.float() / 2)


def one_hot(rows, dim):
    return F.one_hot(torch.tensor(rows), dim).float()


# ---------------------------------------------------------------------------
# retrieval_scores: hand-worked
# ---------------------------------------------------------------------------
# Gallery: five one-hot items g0..g4 with identities A B A C B (0 1 0 2 1),
# so a probe's similarity to g_k is its k-th component over its norm.
GALLERY_IDS = torch.tensor([0, 1, 0, 2, 1])
PROBES = torch.tensor([
    # probe 0, identity A: order g1 B .9, g2 A .5, g4 B .3, g0 A .2, g3 C .1
    # true matches at positions 2 and 4: rank-1 miss, rank-3 hit;
    # AP = (1/2 + 2/4) / 2 = 1/2
    [0.2, 0.9, 0.5, 0.1, 0.3],
    # probe 1, identity B: g1 B .8, g4 B .7, g3 C .3, g2 A .2, g0 A .1
    # trues at 1 and 2: rank-1 hit; AP = (1/1 + 2/2) / 2 = 1
    [0.1, 0.8, 0.2, 0.3, 0.7],
    # probe 2, identity C: g0 A .9, g1 B .8, g2 A .7, g3 C .6, g4 B .5
    # true at 4: rank-1 and rank-3 miss, rank-5 hit; AP = 1/4
    [0.9, 0.8, 0.7, 0.6, 0.5],
])
PROBE_IDS = torch.tensor([0, 1, 2])


def test_hand_worked_ranks_and_ap():
    out = retrieval_scores(PROBES, PROBE_IDS, torch.eye(5), GALLERY_IDS,
                           ranks=(1, 3, 5))
    assert out['cmc_hits'].tolist() == [[False, True, True],
                                        [True, True, True],
                                        [False, False, True]]
    torch.testing.assert_close(out['ap'], torch.tensor([0.5, 1.0, 0.25]))
    assert out['valid'].tolist() == [True, True, True]
    assert out['num_valid'] == 3
    assert out['rank1'] == pytest.approx(100 / 3)
    assert out['rank3'] == pytest.approx(200 / 3)
    assert out['rank5'] == pytest.approx(100.0)
    assert out['mAP'] == pytest.approx(100 * (0.5 + 1 + 0.25) / 3)


def test_default_ranks_and_scale_invariance():
    # cosine similarity: scaling an embedding changes nothing
    out = retrieval_scores(PROBES * torch.tensor([[3.], [0.5], [7.]]),
                           PROBE_IDS, 2 * torch.eye(5), GALLERY_IDS)
    assert set(out) == {'cmc_hits', 'ap', 'valid', 'num_valid', 'rank1',
                        'rank5', 'mAP'}
    assert out['cmc_hits'].shape == (3, 2)
    assert out['rank5'] == pytest.approx(100.0)


def test_probe_without_true_match_is_excluded_and_counted():
    # a fourth probe of identity D (3), absent from the gallery
    probes = torch.cat([PROBES, torch.tensor([[1.0, 0, 0, 0, 0]])])
    out = retrieval_scores(probes, torch.tensor([0, 1, 2, 3]), torch.eye(5),
                           GALLERY_IDS)
    assert out['valid'].tolist() == [True, True, True, False]
    assert out['num_valid'] == 3
    assert out['cmc_hits'][3].tolist() == [False, False]
    assert math.isnan(float(out['ap'][3]))
    # the means are those of the three valid probes
    assert out['rank1'] == pytest.approx(100 / 3)
    assert out['mAP'] == pytest.approx(100 * 1.75 / 3)


def test_no_valid_probe_gives_nan_means():
    out = retrieval_scores(PROBES, torch.tensor([7, 8, 9]), torch.eye(5),
                           GALLERY_IDS)
    assert out['num_valid'] == 0
    assert math.isnan(out['rank1']) and math.isnan(out['mAP'])


def test_identical_view_is_excluded():
    # gallery: g0 A view 0 (.9), g1 B view 18 (.8), g2 A view 36 (.7)
    probe = torch.tensor([[0.9, 0.8, 0.7]])
    ids, groups = torch.tensor([0, 1, 0]), torch.tensor([0, 18, 36])
    # without groups: trues at 1 and 3, rank-1 hit, AP = (1 + 2/3) / 2
    out = retrieval_scores(probe, torch.tensor([0]), torch.eye(3), ids)
    assert out['cmc_hits'][0, 0]
    assert float(out['ap'][0]) == pytest.approx(5 / 6)
    # probe of view 0: g0 is skipped; g1 B, g2 A: rank-1 miss, AP = 1/2
    out = retrieval_scores(probe, torch.tensor([0]), torch.eye(3), ids,
                           probe_groups=torch.tensor([0]),
                           gallery_groups=groups)
    assert out['cmc_hits'][0].tolist() == [False, True]
    assert float(out['ap'][0]) == pytest.approx(0.5)
    # a probe whose only true match shares its view has none left
    out = retrieval_scores(probe, torch.tensor([1]), torch.eye(3), ids,
                           probe_groups=torch.tensor([18]),
                           gallery_groups=groups)
    assert out['num_valid'] == 0


def test_ties_count_against_the_probe():
    # g0 B .5, g1 A .5, g2 A .3; probe A. Pessimistic order: B, A, A:
    # first true at 2 (rank-1 miss), AP = (1/2 + 2/3) / 2 = 7/12
    # (optimistic A, B, A would hit and give (1 + 2/3) / 2 = 5/6)
    probe, ids = torch.tensor([[0.5, 0.5, 0.3]]), torch.tensor([1, 0, 0])
    out = retrieval_scores(probe, torch.tensor([0]), torch.eye(3), ids,
                           ranks=(1, 2))
    assert out['cmc_hits'][0].tolist() == [False, True]
    assert float(out['ap'][0]) == pytest.approx(7 / 12)
    # two true matches tied with one wrong, nothing above: B, A, A again
    ids = torch.tensor([0, 0, 1])
    out = retrieval_scores(torch.tensor([[0.5, 0.5, 0.5]]), torch.tensor([0]),
                           torch.eye(3), ids, ranks=(1, 2))
    assert out['cmc_hits'][0].tolist() == [False, True]
    assert float(out['ap'][0]) == pytest.approx(7 / 12)
    # a wrong item tied below the last true match changes nothing
    out = retrieval_scores(torch.tensor([[0.9, 0.5, 0.5]]), torch.tensor([0]),
                           torch.eye(3), torch.tensor([0, 0, 1]))
    assert float(out['ap'][0]) == pytest.approx((1 + 2 / 3) / 2)


@pytest.mark.parametrize('seed', range(12))
def test_matches_brute_force_reference(seed):
    generator = torch.Generator().manual_seed(seed)
    num_probes = int(torch.randint(1, 30, (1, ), generator=generator))
    num_gallery = int(torch.randint(1, 50, (1, ), generator=generator))
    num_ids = int(torch.randint(1, 6, (1, ), generator=generator))
    if seed % 2:  # heavy ties
        probe = exact_vectors(num_probes, 8, generator)
        gallery = exact_vectors(num_gallery, 8, generator)
    else:
        probe = torch.randn(num_probes, 8, generator=generator)
        gallery = torch.randn(num_gallery, 8, generator=generator)
    probe_ids = torch.randint(0, num_ids + 1, (num_probes, ),
                              generator=generator)
    gallery_ids = torch.randint(0, num_ids, (num_gallery, ),
                                generator=generator)
    groups = {}
    if seed % 3 == 0:
        groups = dict(
            probe_groups=torch.randint(0, 3, (num_probes, ),
                                       generator=generator),
            gallery_groups=torch.randint(0, 3, (num_gallery, ),
                                         generator=generator))
    ranks = (1, 2, 5)
    hits, ap, valid = ref_scores(probe, probe_ids, gallery, gallery_ids,
                                 ranks, **groups)
    out = retrieval_scores(probe, probe_ids, gallery, gallery_ids, ranks,
                           **groups)
    assert torch.equal(out['valid'], valid)
    assert torch.equal(out['cmc_hits'], hits)
    torch.testing.assert_close(out['ap'], ap.float(), equal_nan=True)
    if valid.any():
        assert out['rank2'] == pytest.approx(
            100 * hits[valid, 1].double().mean().item())
        assert out['mAP'] == pytest.approx(100 * ap[valid].mean().item(),
                                           rel=1e-5)


def test_chunking_gives_identical_results():
    generator = torch.Generator().manual_seed(0)
    probe, gallery = (exact_vectors(23, 16, generator),
                      exact_vectors(41, 16, generator))
    probe_ids = torch.randint(0, 6, (23, ), generator=generator)
    gallery_ids = torch.randint(0, 5, (41, ), generator=generator)
    groups = dict(probe_groups=torch.randint(0, 2, (23, ),
                                             generator=generator),
                  gallery_groups=torch.randint(0, 2, (41, ),
                                               generator=generator))
    whole = retrieval_scores(probe, probe_ids, gallery, gallery_ids,
                             chunk_size=10**6, **groups)
    assert 0 < whole['num_valid'] < 23
    for chunk_size in (1, 2, 7, None):
        out = retrieval_scores(probe, probe_ids, gallery, gallery_ids,
                               chunk_size=chunk_size, **groups)
        for key in ('cmc_hits', 'valid', 'ap'):
            torch.testing.assert_close(out[key], whole[key], rtol=0, atol=0,
                                       equal_nan=True)
        assert out['mAP'] == whole['mAP'] and out['rank5'] == whole['rank5']


def test_many_probes_against_a_small_gallery():
    # 130k probes against 8 items, exact ties everywhere: many chunks
    generator = torch.Generator().manual_seed(1)
    probe = exact_vectors(130_000, 8, generator)
    gallery = exact_vectors(8, 8, generator)
    probe_ids = torch.randint(0, 3, (130_000, ), generator=generator)
    gallery_ids = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    whole = retrieval_scores(probe, probe_ids, gallery, gallery_ids)
    some = slice(0, 130_000, 997)
    hits, ap, _ = ref_scores(probe[some], probe_ids[some], gallery,
                             gallery_ids, (1, 5))
    assert torch.equal(whole['cmc_hits'][some], hits)
    torch.testing.assert_close(whole['ap'][some], ap.float())


def test_count_at_least_on_near_ties():
    # thresholds with values one float step above and below them, values
    # below the lowest threshold and duplicates: counts must be exact
    generator = torch.Generator().manual_seed(2)
    base = torch.rand(6, 300, generator=generator) * 0.02 + 0.5
    sims = base.clone()
    sims[:, 100:150] = torch.nextafter(sims[:, :50], torch.tensor(2.0))
    sims[:, 150:200] = torch.nextafter(sims[:, :50], torch.tensor(-2.0))
    sims[:, 200:220] = sims[:, :20]
    sims[:, 220:240] = -1.0
    sims[5] = 0.25  # one value everywhere
    # a row spanning two float steps, and one spanning 2^-12: the bins
    # must not be scaled past what float32 holds
    sims[3] = 0.5
    sims[3, ::3] = torch.nextafter(torch.tensor(0.5), torch.tensor(1.0))
    sims[3, 1::3] = torch.nextafter(torch.tensor(0.5), torch.tensor(0.0))
    sims[2] = 0.5 + (torch.arange(300) % 7 == 0) * 2.0**-12
    columns = torch.randint(0, 300, (6, 40), generator=generator)
    columns[:, :10] = torch.arange(10)  # thresholds with neighbours
    selected = torch.rand(6, 40, generator=generator) < 0.8
    selected[4] = False  # a row with no threshold
    thresholds = sims.gather(1, columns)
    expected = (sims[:, None, :] >= thresholds[:, :, None]).sum(-1)
    expected[~selected] = 0
    assert torch.equal(_count_at_least(sims, columns, selected), expected)


def test_count_at_least_entry_just_below_a_bin_edge():
    # 300 columns: 132 bins. Thresholds 0, a = 10/64, b = 11/64 and 3/4
    # span 3/4, so the map is 64 s + 2 (the largest power of two scale
    # with span * scale <= 132 - 8). The entry e = 11/64 - 2^-24 lies in
    # the bin of a (key 13 - 2^-18), above a, so in that bin's upper half;
    # b is in the next bin (key 13). 13 - 2^-18 + 132 rounds to 145 in
    # float32: the key must be a whole number before the half is added, or
    # e lands in b's upper half and counts as >= b.
    e = 11 / 64 - 2.0**-24
    sims = torch.full((1, 300), -0.5)
    sims[0, :6] = torch.tensor([0.0, 10 / 64, e, 11 / 64, 1.0, 0.75])
    assert sims[0, 2] == e and sims[0, 2] < sims[0, 3]
    columns = torch.tensor([[0, 1, 3, 5]])
    selected = torch.ones(1, 4, dtype=torch.bool)
    # >= 0: 0, a, e, b, 1, 3/4; >= a: a, e, b, 1, 3/4; >= b: b, 1, 3/4;
    # >= 3/4: 1, 3/4
    expected = torch.tensor([[6, 5, 3, 2]])
    assert torch.equal(_count_at_least(sims, columns, selected), expected)


def test_count_at_least_hand_worked_pieces():
    # Pieces of two rows (the buffers' rows), so rows 0 and 1 share one
    # scale and row 2 is a piece of its own.
    buffers = _count_buffers(2, 8, 'cpu')
    assert len(buffers[0]) == 2
    d = 2.0**-20
    sims = torch.tensor([
        # thresholds 1/2 (col 0), 1/4 (col 2), 3/4 (col 3); ties at 1/2
        [0.5, 0.5, 0.25, 0.75, -1.0, 0.5, 0.0, 1.0],
        # thresholds 1/2 (col 0) and 1/2 + d (col 1), with 1/2 + d/2 and
        # 1/2 - d/2 between and beside them. The piece's scale comes from
        # row 0's span (1/2): 32 s + offset, 68 bins, so both thresholds
        # share a bin; the higher one is counted by the fallback.
        [0.5, 0.5 + d, 0.5 + d / 2, 0.5 - d / 2, -0.5, 0.9, 0.5, 0.1],
        # no threshold selected
        [0.3, 0.2, 0.1, 0.0, -0.1, -0.2, -0.3, -0.4],
    ])
    columns = torch.tensor([[0, 2, 3], [0, 1, 0], [0, 1, 2]])
    selected = torch.tensor([[True, True, True], [True, True, False],
                             [False, False, False]])
    # row 0: >= 1/2: 0.5, 0.5, 0.75, 0.5, 1.0 -> 5; >= 1/4: those and
    # 0.25 -> 6; >= 3/4: 0.75, 1.0 -> 2
    # row 1: >= 1/2: 0.5, 0.5 + d, 0.5 + d/2, 0.9, 0.5 -> 5;
    # >= 1/2 + d: 0.5 + d, 0.9 -> 2; the unselected slot counts 0
    expected = torch.tensor([[5, 6, 2], [5, 2, 0], [0, 0, 0]])
    assert torch.equal(_count_at_least(sims, columns, selected, buffers),
                       expected)
    assert torch.equal(_count_at_least(sims, columns, selected), expected)


@pytest.mark.parametrize('seed', range(6))
def test_count_at_least_matches_comparison_over_pieces(seed, monkeypatch):
    # Small pieces (a few rows each, the last one shorter), rows of very
    # different spans in one piece (so that thresholds share bins), exact
    # ties, rows of one value and rows without thresholds.
    monkeypatch.setattr(retrieval, '_PIECE_SIMILARITIES',
                        max(1, 200 // torch.get_num_threads()))
    generator = torch.Generator().manual_seed(seed)
    rows, cols = 23, 60
    sims = torch.randint(-8, 9, (rows, cols), generator=generator) / 8.0
    narrow = torch.rand(rows, cols, generator=generator) < 0.5
    sims[::3] = torch.where(narrow[::3], 0.5 + 2.0**-22 * torch.randint(
        0, 4, (len(sims[::3]), cols), generator=generator), sims[::3])
    sims[4] = 0.25
    columns = torch.randint(0, cols, (rows, 9), generator=generator)
    selected = torch.rand(rows, 9, generator=generator) < 0.7
    selected[[5, 17]] = False
    thresholds = sims.gather(1, columns)
    expected = (sims[:, None, :] >= thresholds[:, :, None]).sum(-1)
    expected[~selected] = 0
    assert torch.equal(_count_at_least(sims, columns, selected), expected)


def test_small_pieces_give_identical_scores(monkeypatch):
    generator = torch.Generator().manual_seed(5)
    probe, gallery = (exact_vectors(40, 8, generator),
                      exact_vectors(90, 8, generator))
    probe_ids = torch.randint(0, 7, (40, ), generator=generator)
    gallery_ids = torch.randint(0, 6, (90, ), generator=generator)
    groups = dict(probe_groups=torch.randint(0, 3, (40, ),
                                             generator=generator),
                  gallery_groups=torch.randint(0, 3, (90, ),
                                               generator=generator))
    whole = retrieval_scores(probe, probe_ids, gallery, gallery_ids,
                             ranks=(1, 2, 5), **groups)
    hits, ap, valid = ref_scores(probe, probe_ids, gallery, gallery_ids,
                                 (1, 2, 5), **groups)
    assert torch.equal(whole['cmc_hits'], hits)
    torch.testing.assert_close(whole['ap'], ap.float(), equal_nan=True)
    monkeypatch.setattr(retrieval, '_PIECE_SIMILARITIES', 1)  # a row each
    for chunk_size in (None, 9):
        out = retrieval_scores(probe, probe_ids, gallery, gallery_ids,
                               ranks=(1, 2, 5), chunk_size=chunk_size,
                               **groups)
        for key in ('cmc_hits', 'valid', 'ap'):
            torch.testing.assert_close(out[key], whole[key], rtol=0, atol=0,
                                       equal_nan=True)


@pytest.fixture
def set_threads():
    """torch.set_num_threads for one test, the count restored after it."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def _threads_case(seed=6):
    generator = torch.Generator().manual_seed(seed)
    probe, gallery = (exact_vectors(40, 8, generator),
                      exact_vectors(90, 8, generator))
    return dict(probe=probe, gallery=gallery,
                probe_ids=torch.randint(0, 7, (40, ), generator=generator),
                gallery_ids=torch.randint(0, 6, (90, ), generator=generator),
                probe_groups=torch.randint(0, 3, (40, ), generator=generator),
                gallery_groups=torch.randint(0, 3, (90, ),
                                             generator=generator),
                ranks=(1, 2, 5), chunk_size=3)  # 14 chunks


@pytest.mark.parametrize('threads', [2, 3])
def test_threads_score_their_own_chunks(threads, set_threads, monkeypatch):
    # With n torch threads on the CPU, n threads score chunks at once, each
    # with single-threaded operations; the scores are those of one thread,
    # and the thread count (also the one new threads start with) is as it
    # was.
    case = _threads_case()
    set_threads(1)
    serial = retrieval_scores(**case)
    hits, ap, _ = ref_scores(case['probe'], case['probe_ids'],
                             case['gallery'], case['gallery_ids'],
                             case['ranks'], case['probe_groups'],
                             case['gallery_groups'])
    assert torch.equal(serial['cmc_hits'], hits)
    torch.testing.assert_close(serial['ap'], ap.float(), equal_nan=True)

    # each thread's first count waits for the others': this fails (after
    # the timeout) unless n threads count at once
    together = threading.Barrier(threads, timeout=20)
    first = threading.local()
    seen = []
    count_at_least = retrieval._count_at_least

    def counting_together(*args):
        seen.append((threading.get_ident(), torch.get_num_threads()))
        if not getattr(first, 'done', False):
            first.done = True
            together.wait()
        return count_at_least(*args)

    monkeypatch.setattr(retrieval, '_count_at_least', counting_together)
    set_threads(threads)
    out = retrieval_scores(**case)
    for key in ('cmc_hits', 'valid', 'ap'):
        torch.testing.assert_close(out[key], serial[key], rtol=0, atol=0,
                                   equal_nan=True)
    assert len(seen) == 14
    assert threading.get_ident() not in {ident for ident, _ in seen}
    assert {num for _, num in seen} == {1}
    assert torch.get_num_threads() == threads
    started = []
    thread = threading.Thread(
        target=lambda: started.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    assert started == [threads]


def test_a_failing_thread_raises_and_restores_the_count(set_threads,
                                                        monkeypatch):
    def failing(*args):
        raise RuntimeError('counting failed')

    monkeypatch.setattr(retrieval, '_count_at_least', failing)
    set_threads(2)
    with pytest.raises(RuntimeError, match='counting failed'):
        retrieval_scores(**_threads_case())
    assert torch.get_num_threads() == 2


def test_input_errors_name_the_problem():
    gallery = torch.eye(5)
    with pytest.raises(ValueError, match='dimension 4.*gallery.*5'):
        retrieval_scores(torch.ones(2, 4), [0, 1], gallery, GALLERY_IDS)
    with pytest.raises(ValueError, match='probe_ids must be a \\(3,\\)'):
        retrieval_scores(PROBES, [0, 1], gallery, GALLERY_IDS)
    with pytest.raises(TypeError, match='gallery_ids must be integers'):
        retrieval_scores(PROBES, PROBE_IDS, gallery, GALLERY_IDS.float())
    with pytest.raises(ValueError, match='both probe_groups and'):
        retrieval_scores(PROBES, PROBE_IDS, gallery, GALLERY_IDS,
                         probe_groups=PROBE_IDS)
    with pytest.raises(ValueError, match='ranks must be integers >= 1'):
        retrieval_scores(PROBES, PROBE_IDS, gallery, GALLERY_IDS, ranks=(0, ))
    with pytest.raises(ValueError, match='chunk_size'):
        retrieval_scores(PROBES, PROBE_IDS, gallery, GALLERY_IDS,
                         chunk_size=0)
    bad = PROBES.clone()
    bad[1, 2] = float('nan')
    with pytest.raises(ValueError, match='probe row 1 is not finite'):
        retrieval_scores(bad, PROBE_IDS, gallery, GALLERY_IDS)
    bad[1, 2], bad[2, 0], bad[2, 1] = 0, float('inf'), -float('inf')
    with pytest.raises(ValueError, match='probe row 2 is not finite'):
        retrieval_scores(bad, PROBE_IDS, gallery, GALLERY_IDS)
    # finite entries whose sum overflows are fine
    big = torch.full((3, 5), 3e38)
    assert not big.sum().isfinite()
    retrieval_scores(big, PROBE_IDS, gallery, GALLERY_IDS)


def test_empty_probe_or_gallery():
    out = retrieval_scores(torch.zeros(0, 5), torch.zeros(0, dtype=int),
                           torch.eye(5), GALLERY_IDS)
    assert out['num_valid'] == 0 and out['ap'].shape == (0, )
    out = retrieval_scores(PROBES, PROBE_IDS, torch.zeros(0, 5),
                           torch.zeros(0, dtype=int))
    assert out['valid'].tolist() == [False] * 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no GPU')
def test_gpu_matches_cpu():
    generator = torch.Generator().manual_seed(3)
    probe, gallery = (exact_vectors(50, 16, generator),
                      exact_vectors(70, 16, generator))
    probe_ids = torch.randint(0, 5, (50, ), generator=generator)
    gallery_ids = torch.randint(0, 5, (70, ), generator=generator)
    cpu = retrieval_scores(probe, probe_ids, gallery, gallery_ids)
    gpu = retrieval_scores(probe.cuda(), probe_ids.cuda(), gallery.cuda(),
                           gallery_ids.cuda())
    assert torch.equal(gpu['cmc_hits'].cpu(), cpu['cmc_hits'])
    torch.testing.assert_close(gpu['ap'].cpu(), cpu['ap'], equal_nan=True)


# ---------------------------------------------------------------------------
# mean_by_group
# ---------------------------------------------------------------------------
def test_mean_by_group_matches_a_loop():
    generator = torch.Generator().manual_seed(4)
    embeddings = torch.randn(9, 6, generator=generator)
    keys = ['b', 'a', 'b', 'c', 'a', 'b', 'c', 'c', 'd']
    unique, means = mean_by_group(embeddings, keys)
    assert unique == ['b', 'a', 'c', 'd']  # order of first appearance
    for key, mean in zip(unique, means):
        rows = [F.normalize(embeddings[i], dim=0)
                for i, k in enumerate(keys) if k == key]
        expected = F.normalize(torch.stack(rows).mean(0), dim=0)
        torch.testing.assert_close(mean, expected)
    # integer tensor keys: sorted unique keys, the same means
    codes = torch.tensor([ord(k) for k in keys])
    unique_codes, code_means = mean_by_group(embeddings, codes)
    assert unique_codes.tolist() == [ord(k) for k in 'abcd']
    torch.testing.assert_close(code_means[[1, 0, 2, 3]], means)


def test_mean_by_group_weighs_clips_equally():
    # a long and a short vector along different axes: the mean of the
    # directions is the diagonal, whatever the norms
    _, means = mean_by_group(torch.tensor([[10.0, 0], [0, 0.1]]), [0, 0])
    torch.testing.assert_close(means, F.normalize(torch.ones(1, 2), dim=1))
    with pytest.raises(ValueError, match='3 keys for 2 embeddings'):
        mean_by_group(torch.ones(2, 2), ['a', 'b', 'c'])


# ---------------------------------------------------------------------------
# CASIA-B
# ---------------------------------------------------------------------------
SETS = [('nm', n) for n in range(1, 7)] + [('bg', 1), ('bg', 2), ('cl', 1),
                                            ('cl', 2)]


def casia_b_set(num_subjects=3, views=CASIA_B_VIEWS, vector=None):
    """Every (subject, condition, sequence, view); the embedding is the
    subject's one-hot vector unless ``vector`` says otherwise."""
    rows = [(s, c, n, v) for s in range(num_subjects) for c, n in SETS
            for v in views]
    vector = vector or (lambda s, c, n, v: s)
    embeddings = one_hot([vector(*row) % num_subjects for row in rows],
                         num_subjects)
    subjects, conditions, sequences, view = zip(*rows)
    return (embeddings, torch.tensor(subjects), list(conditions),
            torch.tensor(sequences), torch.tensor(view))


def test_gait_table_excludes_the_identical_view():
    # The gallery (NM 1-4) of view 90 is another subject's vector, every
    # other embedding its own: pairs (v, 90) score 0 for every v != 90, the
    # rest 100. Over the 10 gallery views g != v: 90 % for v != 90 (nine of
    # ten right), 100 % for v = 90 (its own view, the wrong one, is left
    # out). Including the identical view would give 10/11 for every view.
    def vector(s, c, n, v):
        return s + 1 if (c == 'nm' and n <= 4 and v == 90) else s

    out = casia_b_gait_table(*casia_b_set(vector=vector))
    expected = torch.full((11, ), 90.0, dtype=torch.float64)
    expected[CASIA_B_VIEWS.index(90)] = 100.0
    for row in range(3):
        torch.testing.assert_close(out['table'][row], expected)
    assert out['pairs'][0, 0, CASIA_B_VIEWS.index(90)] == 0
    assert out['pairs'][0, 0, 1] == 100
    assert out['pairs'].diagonal(dim1=1, dim2=2).isnan().all()
    assert out['NM'] == pytest.approx((10 * 90 + 100) / 11)
    assert out['mean'] == pytest.approx((10 * 90 + 100) / 11)
    assert out['views'] == CASIA_B_VIEWS


def test_gait_table_per_condition_and_view():
    # BG probes of view 36 look like the next subject: BG row 0 at view 36
    # (against every gallery view), 100 elsewhere; NM and CL all 100
    def vector(s, c, n, v):
        return s + 1 if (c == 'bg' and v == 36) else s

    out = casia_b_gait_table(*casia_b_set(vector=vector))
    assert out['table'][0].tolist() == [100.0] * 11
    bg = [100.0] * 11
    bg[CASIA_B_VIEWS.index(36)] = 0.0
    assert out['table'][1].tolist() == bg
    assert out['NM'] == 100 and out['CL'] == 100
    assert out['BG'] == pytest.approx(1000 / 11)
    assert out['mean'] == pytest.approx((200 + 1000 / 11) / 3)


def test_gait_table_skips_missing_views_and_conditions():
    # no view 180 and no CL at all; gallery view 90 wrong as above:
    # v not in {90, 180}: 8 of the 9 gallery views g != v right (88.9 %)
    def vector(s, c, n, v):
        return s + 1 if (c == 'nm' and n <= 4 and v == 90) else s

    data = list(casia_b_set(views=CASIA_B_VIEWS[:-1], vector=vector))
    keep = torch.tensor([c != 'cl' for c in data[2]])
    data = [d[keep] if isinstance(d, torch.Tensor) else
            [x for x, k in zip(d, keep) if k] for d in data]
    out = casia_b_gait_table(*data)
    expected = torch.full((11, ), 800 / 9, dtype=torch.float64)
    expected[CASIA_B_VIEWS.index(90)] = 100.0
    expected[-1] = float('nan')
    torch.testing.assert_close(out['table'][0], expected, equal_nan=True)
    assert out['table'][2].isnan().all() and math.isnan(out['CL'])
    assert out['NM'] == pytest.approx((9 * 800 / 9 + 100) / 10)
    assert out['mean'] == pytest.approx(out['NM'])  # mean of NM and BG


def test_gait_table_errors():
    data = list(casia_b_set(views=(0, 18)))
    data[4] = data[4] + 1  # views 1 and 19
    with pytest.raises(ValueError, match='view 1; CASIA-B views are'):
        casia_b_gait_table(*data)
    data = list(casia_b_set(views=(0, )))
    data[2][3] = 'xx'
    with pytest.raises(ValueError, match="sample 3 has condition 'xx'"):
        casia_b_gait_table(*data)


def test_reid_settings_pick_probe_and_gallery():
    # one view, 3 subjects. NM 5 and BG 1 look like the next subject,
    # everything else is right:
    # N-N probe NM 5-6 vs NM 1-4: NM 6 right, NM 5 wrong -> 50 %
    # B-B probe BG 2 vs BG 1: BG 1 of subject s carries s + 1, so the item
    #     nearest to BG 2 of s is BG 1 of s - 1 -> 0 %
    # C-C probe CL 2 vs CL 1, C-N probe CL 1-2 vs NM 1-4 -> 100 %
    # B-N probe BG 1-2 vs NM 1-4: BG 2 right, BG 1 wrong -> 50 %
    def vector(s, c, n, v):
        return s + 1 if (c, n) in (('nm', 5), ('bg', 1)) else s

    embeddings, subjects, conditions, sequences, _ = casia_b_set(
        views=(0, ), vector=vector)
    out = reid_settings(embeddings, subjects, conditions, sequences)
    assert list(out) == ['N-N', 'B-B', 'C-C', 'C-N', 'B-N']
    assert {k: v['rank1'] for k, v in out.items()} == {
        'N-N': 50.0, 'B-B': 0.0, 'C-C': 100.0, 'C-N': 100.0, 'B-N': 50.0}
    assert {k: v['num_probes'] for k, v in out.items()} == {
        'N-N': 6, 'B-B': 3, 'C-C': 3, 'C-N': 6, 'B-N': 6}
    # N-N mAP: NM 6 has AP 1. NM 5 of s: the 4 gallery items of s + 1 at
    # similarity 1, then 8 at 0 whose 4 wrong ones rank first (ties):
    # trues at 9..12, AP = (1/9 + 2/10 + 3/11 + 4/12) / 4
    ap_wrong = (Fraction(1, 9) + Fraction(2, 10) + Fraction(3, 11) +
                Fraction(4, 12)) / 4
    assert out['N-N']['mAP'] == pytest.approx(100 * float(1 + ap_wrong) / 2)
    assert out['C-C']['mAP'] == 100.0


def test_reid_settings_missing_setting_is_nan():
    embeddings, subjects, conditions, sequences, _ = casia_b_set(views=(0, ))
    keep = [i for i, c in enumerate(conditions) if c != 'bg']
    out = reid_settings(embeddings[keep], subjects[keep],
                        [conditions[i] for i in keep], sequences[keep])
    assert math.isnan(out['B-B']['rank1']) and out['B-B']['num_probes'] == 0
    assert out['N-N']['rank1'] == 100.0


# ---------------------------------------------------------------------------
# The benchmark tool, in miniature
# ---------------------------------------------------------------------------
def test_benchmark_tool_runs_small():
    tool = load_tool('analysis/benchmark_retrieval.py')
    result = tool.main(['--probes', '300', '--gallery', '200', '--dim', '16',
                        '--ids', '20', '--runs', '1', '--large', '0',
                        '--threads', '1'])
    assert result['seconds'] > 0 and result['matmul_seconds'] > 0
    assert result['ratio'] == pytest.approx(result['seconds'] /
                                            result['matmul_seconds'])
    assert len(result['all_seconds']) == len(
        result['all_matmul_seconds']) == 1
    assert result['cpu_ratio'] > 0
    setup = result['setup']
    assert setup['cpu'] and setup['threads'] == 1
    assert setup['kernels'] == torch.backends.cpu.get_cpu_capability()
    assert 0 <= result['scores']['mAP'] <= 100
    assert result['peak_rss_growth_mb'] is None or result[
        'peak_rss_growth_mb'] >= 0
