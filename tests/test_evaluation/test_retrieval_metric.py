"""Tests of EmbeddingRetrievalMetric: probe/gallery roles, levels, CASIA-B
and the errors, on data samples built as mmaction's metrics receive them
(dicts with the embedding and the metainfo fields)."""
import math
import pickle

import pytest
import torch
import torch.nn.functional as F

import aclnet_plugin  # noqa: F401  (compatibility fixes before mmaction)
import aclnet_plugin.evaluation.metrics.retrieval_metric as module
from aclnet_plugin.evaluation.metrics import EmbeddingRetrievalMetric
from aclnet_plugin.evaluation.retrieval import (casia_b_gait_table,
                                                mean_by_group, reid_settings,
                                                retrieval_scores)
from mmaction.registry import METRICS


@pytest.fixture
def logs(monkeypatch):
    """The messages the metric logs."""
    messages = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    return messages


def sample(frame_dir, subject, clips, **meta):
    return dict(pred_embedding=torch.as_tensor(clips, dtype=torch.float32),
                frame_dir=frame_dir, subject=subject, **meta)


def write_splits(path, **split):
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=[]), f)
    return str(path)


# Hand-worked: gallery G1 (subject 0) two clips e0, G2 (subject 1) two
# clips e1; probe P1 (subject 0) clips e0 and u = (0.5, 1, 0) / |.|.
# Clip level, clip e0: G1's clips at 1, G2's at 0: hit, AP 1. Clip u:
# G2's clips at .894, G1's at .447: trues at 3 and 4, miss, AP =
# (1/3 + 2/4) / 2 = 5/12. rank-1 50 %, mAP (1 + 5/12) / 2 = 17/24.
# Sequence level: P1's mean of e0 and u is nearer e0 (.85 vs .53): hit,
# AP 1. A fourth sample, X, is in neither split: ignored.
U = [0.5, 1.0, 0.0]
HAND = [
    sample('G1', 0, [[1, 0, 0], [1, 0, 0]]),
    sample('G2', 1, [[0, 1, 0], [0, 1, 0]]),
    sample('P1', 0, [[1, 0, 0], U]),
    sample('X', 0, [[0, 0, 1]]),
]


def run(metric, samples, batch=2):
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.compute_metrics(metric.results)


def test_hand_worked_levels(tmp_path, logs):
    ann_file = write_splits(tmp_path / 'a.pkl', probe=['P1'],
                            gallery=['G1', 'G2'], train=['X'])
    metric = EmbeddingRetrievalMetric(ann_file=ann_file)
    out = run(metric, HAND)
    assert out == pytest.approx({
        'clip/rank1': 50.0, 'clip/rank5': 100.0,
        'clip/mAP': 100 * 17 / 24,
        'sequence/rank1': 100.0, 'sequence/rank5': 100.0,
        'sequence/mAP': 100.0})
    assert any('1 of 4 samples are neither probe nor gallery' in m
               for m in logs)
    # every value a plain float
    assert all(type(v) is float for v in out.values())


def test_built_from_the_registry_with_prefix(tmp_path, logs):
    ann_file = write_splits(tmp_path / 'a.pkl', probe=['P1'],
                            gallery=['G1', 'G2'])
    metric = METRICS.build(
        dict(type='EmbeddingRetrievalMetric', ann_file=ann_file,
             levels=('sequence', ), ranks=(1, )))
    assert isinstance(metric, EmbeddingRetrievalMetric)
    metric.process(None, HAND[:2])
    metric.process(None, HAND[2:])
    # the runner's path: results collected, prefix added, results cleared
    out = metric.evaluate(size=4)
    assert out == {'retrieval/sequence/rank1': 100.0,
                   'retrieval/sequence/mAP': 100.0}
    assert metric.results == []


def test_matches_retrieval_scores_on_random_data(tmp_path, logs):
    generator = torch.Generator().manual_seed(0)
    samples, probes, gallery = [], [], []
    for i in range(30):
        clips = torch.randn(int(torch.randint(1, 4, (1, ),
                                              generator=generator)), 8,
                            generator=generator)
        subject = int(torch.randint(0, 6, (1, ), generator=generator))
        samples.append(sample(f's{i}', subject, clips))
        (probes if i % 3 == 0 else gallery).append(f's{i}')
    ann_file = write_splits(tmp_path / 'a.pkl', query=probes,
                            database=gallery)
    metric = EmbeddingRetrievalMetric(ann_file=ann_file, probe_split='query',
                                      gallery_split='database',
                                      ranks=(1, 3))
    out = run(metric, samples, batch=7)

    def expected(level):
        is_probe = [s['frame_dir'] in probes for s in samples]
        if level == 'clip':
            rows = [(clip, s['subject'], p) for s, p in zip(samples, is_probe)
                    for clip in s['pred_embedding']]
        else:
            _, means = mean_by_group(
                torch.cat([s['pred_embedding'] for s in samples]),
                [s['frame_dir'] for s in samples
                 for _ in s['pred_embedding']])
            rows = [(m, s['subject'], p)
                    for m, s, p in zip(means, samples, is_probe)]
        p = [(e, i) for e, i, is_p in rows if is_p]
        g = [(e, i) for e, i, is_p in rows if not is_p]
        return retrieval_scores(torch.stack([e for e, _ in p]),
                                torch.tensor([i for _, i in p]),
                                torch.stack([e for e, _ in g]),
                                torch.tensor([i for _, i in g]),
                                ranks=(1, 3))

    for level in ('clip', 'sequence'):
        scores = expected(level)
        for key in ('rank1', 'rank3', 'mAP'):
            assert out[f'{level}/{key}'] == pytest.approx(scores[key])


def test_embedding_of_one_clip_and_multiple_splits(tmp_path, logs):
    # (D,) embeddings; probe and gallery given as lists of splits
    samples = [sample('a', 0, [1, 0]), sample('b', 1, [0, 1]),
               sample('c', 0, [0.9, 0.1]), sample('d', 1, [0.2, 0.8])]
    ann_file = write_splits(tmp_path / 'a.pkl', g1=['a'], g2=['b'],
                            p1=['c'], p2=['d'])
    metric = EmbeddingRetrievalMetric(ann_file=ann_file,
                                      probe_split=['p1', 'p2'],
                                      gallery_split=('g1', 'g2'))
    out = run(metric, samples)
    assert out['clip/rank1'] == 100.0 and out['sequence/mAP'] == 100.0


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_stored_results_are_compact_cpu_float32_and_picklable(dtype):
    batch = torch.randn(4, 3, 8, dtype=dtype)
    metric = EmbeddingRetrievalMetric(ann_file='unused.pkl')
    metric.process(None, [dict(pred_embedding=batch[1], frame_dir='a',
                               subject=torch.tensor(5))])
    stored = metric.results[0]['embedding']
    assert stored.dtype == torch.float32 and stored.device.type == 'cpu'
    # an own copy of the (3, 8) clips, not a view of the whole batch
    assert stored.untyped_storage().nbytes() == 3 * 8 * 4
    assert torch.equal(stored, batch[1].float())
    copy = pickle.loads(pickle.dumps(metric.results))
    assert torch.equal(copy[0]['embedding'], stored)
    assert copy[0]['subject'] == 5 and copy[0]['view'] is None


def test_probe_without_true_match_is_warned(tmp_path, logs):
    samples = HAND[:3] + [sample('P2', 7, [[1, 0, 0]])]
    ann_file = write_splits(tmp_path / 'a.pkl', probe=['P1', 'P2'],
                            gallery=['G1', 'G2'])
    out = run(EmbeddingRetrievalMetric(ann_file=ann_file), samples)
    assert out['sequence/rank1'] == 100.0  # P2 left out
    assert any('1 of 2 probes at the sequence level have no true match' in m
               for m in logs)
    assert any('1 of 3 probes at the clip level' in m for m in logs)


def test_errors(tmp_path, logs):
    ann_file = write_splits(tmp_path / 'a.pkl', probe=['P1'],
                            gallery=['G1', 'G2'])
    metric = EmbeddingRetrievalMetric(ann_file=ann_file)
    bare = dict(HAND[0])
    del bare['pred_embedding']
    with pytest.raises(KeyError, match='a retrieval embedding'):
        metric.process(None, [bare])
    no_subject = dict(HAND[0])
    del no_subject['subject']
    with pytest.raises(KeyError, match="'G1' has no 'subject'.*meta_keys"):
        metric.process(None, [no_subject])

    metric = EmbeddingRetrievalMetric(ann_file=ann_file)
    metric.process(None, HAND[:2] + [sample('P1', 0, [[1, 0, 0, 0]])])
    with pytest.raises(ValueError, match='different dimensions: 3 .*4 '):
        metric.compute_metrics(metric.results)

    for split, missing in ((dict(probe=['nothing'], gallery=['G1']),
                            'no probe'), (dict(probe=['P1'], gallery=[]),
                                          'no gallery')):
        path = write_splits(tmp_path / 'b.pkl', **split)
        metric = EmbeddingRetrievalMetric(ann_file=path)
        metric.process(None, HAND)
        with pytest.raises(ValueError,
                           match=f"{missing} sample.*b.pkl.*'probe'"):
            metric.compute_metrics(metric.results)

    path = write_splits(tmp_path / 'c.pkl', probe=['P1', 'G1'],
                        gallery=['G1', 'G2'])
    metric = EmbeddingRetrievalMetric(ann_file=path)
    metric.process(None, HAND)
    with pytest.raises(ValueError, match="'G1' is in both"):
        metric.compute_metrics(metric.results)

    metric = EmbeddingRetrievalMetric(ann_file=ann_file,
                                      gallery_split='test')
    metric.process(None, HAND)
    with pytest.raises(KeyError, match="no split 'test'; its splits: "
                       r"\['gallery', 'probe'\]"):
        metric.compute_metrics(metric.results)

    with pytest.raises(ValueError, match='needs the ann_file'):
        EmbeddingRetrievalMetric()
    with pytest.raises(ValueError, match='levels must be among'):
        EmbeddingRetrievalMetric(ann_file=ann_file, levels=('video', ))
    with pytest.raises(ValueError, match='mode must be one of'):
        EmbeddingRetrievalMetric(mode='casia')


def test_split_file_is_read_once(tmp_path, logs, monkeypatch):
    ann_file = write_splits(tmp_path / 'a.pkl', probe=['P1'],
                            gallery=['G1', 'G2'])
    reads = []
    original = module.load
    monkeypatch.setattr(module, 'load',
                        lambda path: reads.append(path) or original(path))
    metric = EmbeddingRetrievalMetric(ann_file=ann_file)
    assert reads == []  # lazily
    run(metric, HAND)
    metric.results.clear()
    run(metric, HAND)
    assert reads == [ann_file]


# ---------------------------------------------------------------------------
# CASIA-B mode
# ---------------------------------------------------------------------------
SETS = [('nm', n) for n in range(1, 7)] + [('bg', 1), ('bg', 2), ('cl', 1),
                                            ('cl', 2)]


def casia_b_samples(views=(0, 18, 36), wrong=lambda c, n, v: False,
                    noise=0.1):
    """3 subjects; two clips per sequence around the subject's axis (the
    next subject's where ``wrong``), plus uniform noise in [0, noise)."""
    generator = torch.Generator().manual_seed(0)
    samples = []
    for s in range(3):
        for c, n in SETS:
            for v in views:
                axis = (s + 1) % 3 if wrong(c, n, v) else s
                clips = F.one_hot(torch.tensor([axis, axis]), 3).float()
                clips += noise * torch.rand(2, 3, generator=generator)
                samples.append(sample(f'{s:03d}-{c}-{n:02d}-{v:03d}', s,
                                      clips, condition=c.upper(),
                                      sequence=n, view=v))
    return samples


def test_casia_b_mode(logs):
    # BG probes of view 18 look like the next subject
    samples = casia_b_samples(wrong=lambda c, n, v: c == 'bg' and v == 18)
    metric = EmbeddingRetrievalMetric(mode='casia-b')
    out = run(metric, samples, batch=16)

    # gait: BG view 18 scores 0, the others 100 -> BG 200 / 3
    assert out['gait/NM'] == 100.0 and out['gait/CL'] == 100.0
    assert out['gait/BG'] == pytest.approx(200 / 3)
    assert out['gait/mean'] == pytest.approx((200 + 200 / 3) / 3)
    # the same as the function on the sequence means
    means = [F.normalize(F.normalize(s['pred_embedding'], dim=1).mean(0),
                         dim=0) for s in samples]
    table = casia_b_gait_table(torch.stack(means),
                               torch.tensor([s['subject'] for s in samples]),
                               [s['condition'] for s in samples],
                               torch.tensor([s['sequence'] for s in samples]),
                               torch.tensor([s['view'] for s in samples]))
    assert out['gait/BG'] == pytest.approx(table['BG'])
    text = next(m for m in logs if 'CASIA-B gait rank-1' in m)
    assert 'BG    |' in text and '  0.0 |' in text

    # re-id at the clip level: BG probes of view 18 (a third of BG) wrong
    clips = [(clip, s) for s in samples for clip in s['pred_embedding']]
    reid = reid_settings(torch.stack([c for c, _ in clips]),
                         torch.tensor([s['subject'] for _, s in clips]),
                         [s['condition'] for _, s in clips],
                         torch.tensor([s['sequence'] for _, s in clips]))
    for name in ('N-N', 'B-B', 'C-C', 'C-N', 'B-N'):
        assert out[f'reid/{name}/rank1'] == pytest.approx(
            reid[name]['rank1'])
        assert out[f'reid/{name}/mAP'] == pytest.approx(reid[name]['mAP'])
    assert out['reid/N-N/rank1'] == 100.0
    assert out['reid/B-N/rank1'] == pytest.approx(200 / 3)

    # clip and sequence levels: every probe against NM 1-4 of other views;
    # 54 sequence probes (NM 5-6, BG, CL x 3 views x 3 subjects), the 6 BG
    # ones of view 18 wrong
    assert out['sequence/rank1'] == pytest.approx(100 * 48 / 54)
    assert set(out) == {
        'clip/rank1', 'clip/rank5', 'clip/mAP', 'sequence/rank1',
        'sequence/rank5', 'sequence/mAP', 'gait/NM', 'gait/BG', 'gait/CL',
        'gait/mean'
    } | {f'reid/{n}/{k}' for n in ('N-N', 'B-B', 'C-C', 'C-N', 'B-N')
         for k in ('rank1', 'mAP')}


def test_casia_b_mode_excludes_the_identical_view(logs):
    # One-hot embeddings, the gallery (NM 1-4) of view 0 that of the next
    # subject: for a probe of subject s, subject s - 1's view-0 gallery
    # ties with its true matches (similarity 1) and ranks first (ties count
    # against the probe), unless excluded as the probe's own view.
    # So the probes of view 0 hit, those of views 18 and 36 miss: 1/3.
    # (Without the exclusion every probe would miss.)
    samples = casia_b_samples(
        wrong=lambda c, n, v: c == 'nm' and n <= 4 and v == 0, noise=0)
    out = run(EmbeddingRetrievalMetric(mode='casia-b',
                                       levels=('sequence', )), samples)
    assert out['sequence/rank1'] == pytest.approx(100 / 3)
    # gait: the pairs (v, 0), v != 0, score 0, the others 100; view 0's
    # own pair is left out: NM = (100 + 50 + 50) / 3
    assert out['gait/NM'] == pytest.approx(200 / 3)


def test_casia_b_mode_needs_the_fields(logs):
    samples = casia_b_samples(views=(0, ))
    del samples[5]['view']
    metric = EmbeddingRetrievalMetric(mode='casia-b')
    with pytest.raises(KeyError, match="have no 'view', which casia-b"):
        run(metric, samples)
    samples = casia_b_samples(views=(0, ))
    samples[0]['condition'] = 'xx'
    with pytest.raises(ValueError, match="condition 'xx'"):
        run(EmbeddingRetrievalMetric(mode='casia-b'), samples)


def test_casia_b_missing_condition_warned(logs):
    samples = [s for s in casia_b_samples() if s['condition'] != 'CL']
    out = run(EmbeddingRetrievalMetric(mode='casia-b'), samples)
    assert math.isnan(out['gait/CL'])
    assert out['gait/mean'] == pytest.approx(
        (out['gait/NM'] + out['gait/BG']) / 2)
    assert any("no CASIA-B gait score for ['CL']" in m for m in logs)
    assert math.isnan(out['reid/C-C/rank1'])
