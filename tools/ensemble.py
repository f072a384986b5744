"""Fuse the dumped test predictions of several skeleton streams.

Each input is the pickle written by ``--dump`` of mmaction2 1.x's test tool::

    mim test mmaction CONFIG --checkpoint CKPT --dump result.pkl

which mmengine's ``DumpResults`` metric fills with a list holding one dict
per test sample, in dataset order: the ``ActionDataSample.to_dict()`` of the
prediction, with ``pred_score`` (float tensor, (num_classes,)), ``gt_label``
(long tensor, (1,)), ``pred_label`` (long tensor, (1,)) and metainfo such as
``num_classes``. The fused score of a sample is the weighted sum of the
streams' ``pred_score`` rows, taken as they were dumped: nothing is
re-normalised. ``GCNHead`` and ``AffinityContrastHead`` default to
``average_clips='prob'``, so their dumps hold class probabilities (the
softmax of each test clip, averaged over the clips) and the fusion sums
probabilities; a head tested with ``average_clips='score'`` dumps averaged
logits, which are summed as logits (a note is printed for streams whose
rows do not sum to 1).

    python tools/ensemble.py j.pkl b.pkl k.pkl jm.pkl bm.pkl km.pkl
    python tools/ensemble.py j.pkl b.pkl jm.pkl bm.pkl --weights 2 2 1 1 \\
        --names j b jm bm --out fused.json

Default weights: 2:2:2:1:1:1 for six streams (joint, bone, ... first, their
motion streams after), 2:2:1:1 for four, equal otherwise. Top-1, top-5 and
mean-class accuracy of every stream and of the fusion are computed with
``mmaction.evaluation.functional`` (the numbers ``AccMetric`` logs).

Besides mmaction2 dumps, a pickle of a plain (N, C) array, or of a list of
N score vectors (mmaction2 0.x ``--out``), is accepted; such files carry no
labels, which then come from the other dumps or from ``--labels`` (.npy,
.txt with one label a line, or .pkl of a sequence of ints).
"""
import argparse
import json
import os.path as osp
import pickle
import sys

import numpy as np

from aclnet_plugin.evaluation import accuracies, load_dump  # noqa: F401
from aclnet_plugin.evaluation.dumps import to_numpy

DEFAULT_WEIGHTS = {6: [2, 2, 2, 1, 1, 1], 4: [2, 2, 1, 1]}


def default_weights(num_streams):
    """2:2:2:1:1:1 for six streams, 2:2:1:1 for four, equal otherwise."""
    return [float(w) for w in DEFAULT_WEIGHTS.get(num_streams,
                                                  [1] * num_streams)]


def load_labels(path):
    """Ground-truth labels from .npy, .txt (one a line) or .pkl."""
    if path.endswith('.npy'):
        labels = np.load(path)
    elif path.endswith('.txt'):
        with open(path) as f:
            labels = [int(line) for line in f if line.strip()]
    else:
        with open(path, 'rb') as f:
            data = pickle.load(f)
        if (isinstance(data, (list, tuple)) and data
                and (isinstance(data[0], dict) or hasattr(data[0],
                                                          'to_dict'))):
            labels = load_dump(path)[1]  # another `--dump` pickle
            if labels is None:
                raise ValueError(f'{path}: this dump holds no gt_label')
        else:
            labels = data
    labels = to_numpy(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f'{path}: labels must be a 1-D sequence of ints, '
                         f'got {labels.dtype} of shape {labels.shape}')
    return labels.astype(np.int64)


def check_consistent(paths, scores_list, labels_list, labels=None,
                     labels_source=None):
    """Check the dumps agree in length, classes and labels; return labels.

    ``labels`` (from ``labels_source``), when given, is the reference every
    dump's labels must equal; otherwise the first dump with labels is.
    """
    lengths = [len(s) for s in scores_list]
    if labels is not None:
        if len(set(lengths)) == 1 and len(labels) != lengths[0]:
            raise ValueError(f'{labels_source} holds {len(labels)} labels, '
                             f'the dumps {lengths[0]} samples')
    if len(set(lengths)) != 1:
        raise ValueError('the dumps differ in their number of samples: ' +
                         ', '.join(f'{p}: {n}'
                                   for p, n in zip(paths, lengths)))
    classes = [s.shape[1] for s in scores_list]
    if len(set(classes)) != 1:
        raise ValueError('the dumps differ in their number of classes: ' +
                         ', '.join(f'{p}: {c}'
                                   for p, c in zip(paths, classes)))
    reference, reference_path = labels, labels_source
    for path, own in zip(paths, labels_list):
        if own is None:
            continue
        if reference is None:
            reference, reference_path = own, path
            continue
        differ = np.flatnonzero(own != reference)
        if differ.size:
            i = differ[0]
            raise ValueError(
                f'the ground-truth labels of {path} differ from those of '
                f'{reference_path}: first at sample {i} ({own[i]} vs '
                f'{reference[i]}), {differ.size} of {len(own)} samples '
                'differ; were the dumps made on the same test split, in '
                'the same order?')
    if reference is None:
        raise ValueError('no dump holds ground-truth labels (' +
                         ', '.join(paths) + '); pass --labels')
    if reference.min() < 0 or reference.max() >= classes[0]:
        raise ValueError(f'the labels of {reference_path} reach outside '
                         f'0..{classes[0] - 1}')
    return reference


def fuse(scores_list, weights):
    """Weighted sum of per-stream scores (N, C): ``sum_i w_i * scores_i``.

    Scores are summed as given (probabilities for the default
    ``average_clips='prob'``); the result is float64, (N, C).
    """
    if len(scores_list) == 0:
        raise ValueError('no scores to fuse')
    if len(weights) != len(scores_list):
        raise ValueError(f'{len(weights)} weights for {len(scores_list)} '
                         'score arrays')
    arrays = [np.asarray(s, dtype=np.float64) for s in scores_list]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1 or arrays[0].ndim != 2:
        raise ValueError('scores must all be (N, C) arrays of one shape, got '
                         f'{[a.shape for a in arrays]}')
    fused = np.zeros_like(arrays[0])
    for weight, array in zip(weights, arrays):
        fused += float(weight) * array
    return fused


def default_names(paths):
    """File names without extension, or the paths where those collide."""
    names = [osp.splitext(osp.basename(p))[0] for p in paths]
    if len(set(names)) != len(names):
        names = [osp.splitext(osp.normpath(p))[0] for p in paths]
    return names


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dumps', nargs='+',
                        help='pickles written by `mim test ... --dump`')
    parser.add_argument('--weights', type=float, nargs='+',
                        help='one weight per dump (default 2 2 2 1 1 1 for '
                        'six dumps, 2 2 1 1 for four, equal otherwise)')
    parser.add_argument('--names', nargs='+',
                        help='one name per dump (default: the file names)')
    parser.add_argument('--labels',
                        help='ground-truth labels (.npy/.txt/.pkl) for dumps '
                        'without them; checked against the dumps that have')
    parser.add_argument('--out', help='write the accuracies as JSON here')
    return parser.parse_args(argv)


def run(args):
    paths = args.dumps
    weights = (default_weights(len(paths)) if args.weights is None
               else [float(w) for w in args.weights])
    if len(weights) != len(paths):
        raise ValueError(f'{len(weights)} weights ({args.weights}) for '
                         f'{len(paths)} dumps ({", ".join(paths)})')
    if not all(np.isfinite(w) and w >= 0 for w in weights) or not any(
            weights):
        raise ValueError(f'weights must be >= 0 and not all 0, got {weights}')
    names = default_names(paths) if args.names is None else list(args.names)
    if len(names) != len(paths):
        raise ValueError(f'{len(names)} names ({names}) for {len(paths)} '
                         f'dumps ({", ".join(paths)})')
    if len(set(names)) != len(names):
        raise ValueError(f'names must be unique, got {names}')

    loaded = [load_dump(p) for p in paths]
    scores_list = [s for s, _ in loaded]
    given = load_labels(args.labels) if args.labels else None
    labels = check_consistent(paths, scores_list, [lab for _, lab in loaded],
                              given, args.labels)
    fused = fuse(scores_list, weights)

    notes = [
        f'{n}: rows do not sum to 1 (logits, not probabilities?); '
        'fused as dumped' for n, s in zip(names, scores_list)
        if not np.allclose(s.sum(axis=1), 1.0, atol=1e-3)
    ]
    ratio = ':'.join(f'{w:g}' for w in weights)
    rows = [(n, f'{w:g}', accuracies(s, labels))
            for n, w, s in zip(names, weights, scores_list)]
    fusion = accuracies(fused, labels)
    rows.append((f'fusion ({ratio})', '', fusion))

    num_samples, num_classes = fused.shape
    print(f'{len(paths)} streams, {num_samples} samples, {num_classes} '
          'classes; fusion = weighted sum of the dumped scores')
    for note in notes:
        print(f'note: {note}')
    print('| stream | weight | top-1 | top-5 | mean-class |')
    print('|---|---|---|---|---|')
    for name, weight, acc in rows:
        print(f'| {name} | {weight} | {100 * acc["top1"]:.2f} | '
              f'{100 * acc["top5"]:.2f} | {100 * acc["mean_class"]:.2f} |')

    result = dict(
        num_samples=int(num_samples),
        num_classes=int(num_classes),
        streams={
            n: dict(file=p, weight=w, **acc)
            for n, p, w, (_, _, acc) in zip(names, paths, weights, rows)
        },
        fusion=dict(weights=ratio, **fusion))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'written to {args.out}')
    return result


def main(argv=None):
    """Run the CLI; errors in the inputs end it with SystemExit(message)."""
    args = parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError, pickle.UnpicklingError) as error:
        raise SystemExit(f'ensemble.py: error: {error}')


if __name__ == '__main__':
    main(sys.argv[1:])
