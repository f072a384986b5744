"""tools/ensemble.py fuses `--dump` pickles and reports hand-checked numbers.

The dumps are written the way `mim test ... --dump` writes them: mmengine's
Evaluator turns each ActionDataSample into a dict (``to_dict``) and its
``DumpResults`` metric pickles the list.

Known answer: 7 classes, 8 samples, labels 0 1 2 3 4 5 0 0. Each row puts
probability ``a`` on the true class and ``1 - a`` on the distractor
``(label + 1) % 6`` (so predictions stay among the labelled classes):

    sample   0   1   2   3    4    5   6   7
    A (w 2) .6  .4  .8  .45  .45  0*  .9  .9     right: 0 2 6 7
    B (w 1) .6  .7  .3  .45  .6   .1  .9  .9     right: 0 1 4 6 7
    C (w 1) .6  .7  .3  .9   .6   .1  .9  .9     right: 0 1 3 4 6 7

(*) A's sample 5: 0 on the true class, .6 on the distractor and .4 spread
over the other five classes, so the true class is last: A's only top-5 miss.
Fused 2:1:1 (true vs distractor): s1 2.2/1.8, s2 2.2/1.8, s3 2.25/1.75,
s4 2.1/1.9, s5 .2/3.0 -> all right but sample 5. Fused 1:1:1 also loses
sample 2 (1.4/1.6). Per class (c0 has 3 samples, c1..c5 one each):
    top-1       A 4/8  B 5/8  C 6/8  2:1:1 7/8  1:1:1 6/8
    mean-class  A 2/6  B 3/6  C 4/6  2:1:1 5/6  1:1:1 4/6
    top-5       A 7/8, all others 8/8 (fused true class of s5 is 4th).
"""
import importlib.util
import json
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.evaluator import DumpResults, Evaluator

from conftest import REPO
from mmaction.structures import ActionDataSample

NUM_CLASSES = 7
LABELS = [0, 1, 2, 3, 4, 5, 0, 0]
TRUE_PROB = dict(
    A=[.6, .4, .8, .45, .45, 0., .9, .9],
    B=[.6, .7, .3, .45, .6, .1, .9, .9],
    C=[.6, .7, .3, .9, .6, .1, .9, .9])


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'ensemble', osp.join(REPO, 'tools', 'ensemble.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ensemble = load_tool()


def stream_scores(stream, labels=LABELS, num_classes=NUM_CLASSES):
    rows = np.zeros((len(labels), num_classes))
    for i, (label, a) in enumerate(zip(labels, TRUE_PROB[stream])):
        distractor = (label + 1) % 6
        rows[i, label] = a
        if stream == 'A' and i == 5:
            rows[i, distractor] = .6
            others = [c for c in range(num_classes)
                      if c not in (label, distractor)]
            rows[i, others] = .4 * np.arange(5, 0, -1) / 15
        else:
            rows[i, distractor] = 1 - a
    return rows


def write_dump(path, scores, labels=LABELS):
    """Pickle ActionDataSamples as `mim test --dump` does."""
    samples = []
    for score, label in zip(scores, labels):
        sample = ActionDataSample().set_gt_label(label)
        sample.set_pred_score(torch.as_tensor(score, dtype=torch.float32))
        sample.set_pred_label(int(np.argmax(score)))
        samples.append(sample)
    evaluator = Evaluator([DumpResults(out_file_path=str(path))])
    evaluator.process(data_samples=samples)
    evaluator.evaluate(len(samples))
    return str(path)


@pytest.fixture(scope='module')
def dumps(tmp_path_factory):
    root = tmp_path_factory.mktemp('dumps')
    return {s: write_dump(root / f'{s}.pkl', stream_scores(s))
            for s in 'ABC'}


def test_dump_format_and_load_dump(dumps):
    with open(dumps['A'], 'rb') as f:
        raw = pickle.load(f)
    assert isinstance(raw, list) and len(raw) == len(LABELS)
    assert isinstance(raw[0], dict)
    assert raw[0]['pred_score'].shape == (NUM_CLASSES,)
    assert raw[0]['gt_label'].tolist() == [0]
    assert raw[0]['num_classes'] == NUM_CLASSES and 'pred_label' in raw[0]

    scores, labels = ensemble.load_dump(dumps['A'])
    assert scores.shape == (8, NUM_CLASSES) and scores.dtype == np.float64
    assert labels.tolist() == LABELS and labels.dtype == np.int64
    np.testing.assert_allclose(scores, stream_scores('A'), atol=1e-6)


def test_fuse_is_the_weighted_sum():
    a, b = np.array([[.2, .8], [.6, .4]]), np.array([[.5, .5], [0., 1.]])
    np.testing.assert_allclose(ensemble.fuse([a, b], [2, 1]),
                               [[.9, 2.1], [1.2, 1.8]])
    np.testing.assert_allclose(ensemble.fuse([a], [1]), a)
    with pytest.raises(ValueError, match='2 weights for 1'):
        ensemble.fuse([a], [1, 1])
    with pytest.raises(ValueError, match='one shape'):
        ensemble.fuse([a, b[:1]], [1, 1])


def test_known_answer(dumps, tmp_path, capsys):
    out = tmp_path / 'fused.json'
    result = ensemble.main([dumps['A'], dumps['B'], dumps['C'],
                            '--weights', '2', '1', '1',
                            '--names', 'A', 'B', 'C', '--out', str(out)])
    expected = dict(A=(4 / 8, 7 / 8, 2 / 6), B=(5 / 8, 1, 3 / 6),
                    C=(6 / 8, 1, 4 / 6))
    for name, (top1, top5, mean) in expected.items():
        got = result['streams'][name]
        assert got['top1'] == pytest.approx(top1)
        assert got['top5'] == pytest.approx(top5)
        assert got['mean_class'] == pytest.approx(mean)
    fusion = result['fusion']
    assert fusion['weights'] == '2:1:1'
    assert (fusion['top1'], fusion['top5']) == pytest.approx((7 / 8, 1))
    assert fusion['mean_class'] == pytest.approx(5 / 6)

    printed = capsys.readouterr().out
    assert '3 streams, 8 samples, 7 classes' in printed
    assert '| A | 2 | 50.00 | 87.50 | 33.33 |' in printed
    assert '| B | 1 | 62.50 | 100.00 | 50.00 |' in printed
    assert '| C | 1 | 75.00 | 100.00 | 66.67 |' in printed
    assert '| fusion (2:1:1) |  | 87.50 | 100.00 | 83.33 |' in printed
    assert 'note:' not in printed  # probabilities, as dumped

    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert saved['num_samples'] == 8 and saved['num_classes'] == 7
    assert saved['streams']['A']['file'] == dumps['A']
    assert saved['streams']['A']['weight'] == 2

    # equal weights (the default for three streams) lose sample 2
    equal = ensemble.main([dumps['A'], dumps['B'], dumps['C']])
    assert list(equal['streams']) == ['A', 'B', 'C']  # file names
    assert equal['fusion']['weights'] == '1:1:1'
    assert equal['fusion']['top1'] == pytest.approx(6 / 8)
    assert equal['fusion']['mean_class'] == pytest.approx(4 / 6)


def test_default_weights(dumps, tmp_path):
    assert ensemble.default_weights(6) == [2, 2, 2, 1, 1, 1]
    assert ensemble.default_weights(4) == [2, 2, 1, 1]
    assert ensemble.default_weights(2) == [1, 1]
    names = ['j', 'b', 'k', 'jm', 'bm', 'km']
    paths = []
    for name, stream in zip(names, 'ABCABC'):
        paths.append(write_dump(tmp_path / f'{name}.pkl',
                                stream_scores(stream)))
    six = ensemble.main(paths)
    assert six['fusion']['weights'] == '2:2:2:1:1:1'
    assert list(six['streams']) == names
    assert [six['streams'][n]['weight'] for n in names] == [2, 2, 2, 1, 1, 1]
    # A, B, C weighted 3:3:3 -> like 1:1:1
    assert six['fusion']['top1'] == pytest.approx(6 / 8)
    four = ensemble.main(paths[:4])
    assert four['fusion']['weights'] == '2:2:1:1'
    # A, B, C, A weighted 2:2:1:1 -> 3:2:1, true vs distractor:
    # s1 3.3/2.7, s2 3.3/2.7, s3 3.15/2.85, s4 3.15/2.85; s5 lost
    assert four['fusion']['top1'] == pytest.approx(7 / 8)
    assert four['fusion']['mean_class'] == pytest.approx(5 / 6)


def test_same_file_names_fall_back_to_paths(tmp_path):
    paths = []
    for stream in 'AB':
        (tmp_path / stream).mkdir()
        paths.append(write_dump(tmp_path / stream / 'result.pkl',
                                stream_scores(stream)))
    result = ensemble.main(paths)
    assert list(result['streams']) == [osp.splitext(p)[0] for p in paths]


def error_of(argv):
    with pytest.raises(SystemExit) as info:
        ensemble.main(argv)
    return str(info.value.code)


def test_length_mismatch(dumps, tmp_path):
    short = write_dump(tmp_path / 'short.pkl', stream_scores('B')[:6],
                       LABELS[:6])
    message = error_of([dumps['A'], short])
    assert 'number of samples' in message
    assert f'{dumps["A"]}: 8' in message and f'{short}: 6' in message


def test_label_mismatch(dumps, tmp_path):
    labels = list(LABELS)
    labels[3] = 4
    other = write_dump(tmp_path / 'other.pkl', stream_scores('B'), labels)
    message = error_of([dumps['A'], dumps['C'], other])
    assert f'labels of {other} differ from those of {dumps["A"]}' in message
    assert 'first at sample 3 (4 vs 3)' in message
    assert '1 of 8 samples' in message


def test_class_count_mismatch(dumps, tmp_path):
    wide = np.concatenate([stream_scores('B'), np.zeros((8, 1))], axis=1)
    path = write_dump(tmp_path / 'wide.pkl', wide)
    message = error_of([dumps['A'], path])
    assert 'number of classes' in message
    assert f'{dumps["A"]}: 7' in message and f'{path}: 8' in message


def test_weight_and_name_count_mismatch(dumps):
    message = error_of([dumps['A'], dumps['B'], '--weights', '1', '2', '3'])
    assert '3 weights' in message and '2 dumps' in message
    assert dumps['A'] in message and dumps['B'] in message
    message = error_of([dumps['A'], dumps['B'], '--names', 'x'])
    assert '1 names' in message and dumps['B'] in message
    assert 'not all 0' in error_of([dumps['A'], '--weights', '0'])


def test_not_a_dump(tmp_path):
    path = tmp_path / 'bad.pkl'
    path.write_bytes(pickle.dumps({'a': 1}))
    assert 'bad.pkl' in error_of([str(path)])


def test_plain_arrays_take_labels_elsewhere(dumps, tmp_path):
    plain = tmp_path / 'plain.pkl'
    plain.write_bytes(pickle.dumps(stream_scores('A').astype(np.float32)))
    scores, labels = ensemble.load_dump(str(plain))
    assert scores.shape == (8, 7) and labels is None
    # labels from the other dump
    result = ensemble.main([str(plain), dumps['B'], dumps['C'],
                            '--weights', '2', '1', '1'])
    assert result['fusion']['top1'] == pytest.approx(7 / 8)
    # a list of score vectors (mmaction2 0.x `--out`) with --labels
    old = tmp_path / 'old.pkl'
    old.write_bytes(pickle.dumps(list(stream_scores('C'))))
    npy = tmp_path / 'labels.npy'
    np.save(npy, np.array(LABELS))
    result = ensemble.main([str(old), '--labels', str(npy)])
    assert result['streams']['old']['top1'] == pytest.approx(6 / 8)
    # no labels anywhere
    assert '--labels' in error_of([str(plain), str(old)])
    # --labels is checked against the dumps that have labels
    txt = tmp_path / 'labels.txt'
    txt.write_text('\n'.join(str(x) for x in LABELS[::-1]) + '\n')
    message = error_of([dumps['A'], '--labels', str(txt)])
    assert f'labels of {dumps["A"]} differ from those of {txt}' in message


def test_logits_get_a_note(tmp_path, capsys):
    logits = np.log(stream_scores('C') + 1e-3) + 5
    path = write_dump(tmp_path / 'logits.pkl', logits)
    result = ensemble.main([path])
    assert result['streams']['logits']['top1'] == pytest.approx(6 / 8)
    assert 'note: logits: rows do not sum to 1' in capsys.readouterr().out
