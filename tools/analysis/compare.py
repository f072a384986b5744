"""Compare a method with its baseline class by class (the paper's Table X and
Fig. 6), from test predictions dumped by mmaction2::

    mim test mmaction CONFIG --checkpoint CKPT --dump result.pkl

Give one dump per seed of each arm; every class's accuracy (recall) is
averaged over the seeds of an arm. The tool writes to --out-dir:

- difficulty.md: classes ranked by the baseline's accuracy, hardest first,
  in four groups of the paper's proportions (NTU-60: classes 1-5, 6-15,
  16-30, 31-60; any C: the first 1/12, the next 1/6, the next 1/4, the last
  1/2, at least one class each), with both arms' mean accuracy per group;
  and below it every class with both accuracies and the difference.
- per_class_gain.png: the per-class accuracy difference (method minus
  baseline), sorted, with the class names on the axis.
- confusion_baseline.png, confusion_method.png: each arm's confusion
  matrix (counts summed over its seeds), row-normalised: row i shows where
  the test samples of class i went. Class names label the axes up to 60
  classes, indices beyond.

Mind regression to the mean: the classes a baseline run got worst are
partly its unlucky ones, so a second run of the very same model would
already "gain" on the hardest groups and "lose" on the easiest. Give
several seeds of each arm: the ranking then rests on the baseline's mean,
and the per-group differences are less biased.

The difficulty table is also printed. Class names come from --class-names
(a text file, one name a line) or from --config (its `class_names`, its
MotionFamilyHook's, or its test dataset's metainfo); without either,
classes are named by index.

Example::

    python tools/analysis/compare.py \\
        --baseline work_dirs/base_s0.pkl work_dirs/base_s1.pkl \\
        --method work_dirs/aclnet_s0.pkl work_dirs/aclnet_s1.pkl \\
        --config configs/aclnet/fpha/aclnet_stgcnpp-small_1xb16-joint-u64-40e_fpha-keypoint-3d.py \\
        --out-dir work_dirs/compare_fpha
"""
import argparse
import os
import os.path as osp
import pickle
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np

from aclnet_plugin.analysis import (confusion_counts, config_class_names,
                                    difficulty_table, row_normalise)
from aclnet_plugin.analysis.plots import (class_labels, heatmap, save_figure,
                                          short_label)
from aclnet_plugin.evaluation import load_dump
from aclnet_plugin.evaluation.dumps import per_class_accuracy


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='compare.py',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--baseline', nargs='+', required=True,
                        metavar='DUMP',
                        help='the baseline\'s dumps, one per seed')
    parser.add_argument('--method', nargs='+', required=True, metavar='DUMP',
                        help='the method\'s dumps, one per seed')
    names = parser.add_mutually_exclusive_group()
    names.add_argument('--class-names', metavar='FILE',
                       help='a text file of class names, one a line')
    names.add_argument('--config', metavar='CFG',
                       help='a config that names the classes')
    parser.add_argument('--out-dir', required=True,
                        help='where the table and the PNGs go')
    parser.add_argument('--baseline-name', default='baseline',
                        help='the baseline in tables and titles (default: '
                        'baseline)')
    parser.add_argument('--method-name', default='ACLNet',
                        help='the method in tables and titles (default: '
                        'ACLNet)')
    return parser.parse_args(argv)


def load_arm(paths: Sequence[str]) -> List[Dict]:
    """Every dump of an arm: ``dict(path, scores (N, C), labels (N,))``."""
    dumps = []
    for path in paths:
        scores, labels = load_dump(path)
        if labels is None:
            raise ValueError(f'{path}: the dump holds no gt_label; dump it '
                             'with `mim test ... --dump` (mmaction2 1.x)')
        dumps.append(dict(path=path, scores=scores, labels=labels))
    return dumps


def check_same_test_set(dumps: List[Dict]) -> None:
    """All dumps hold the same samples: count, classes and labels."""
    reference = dumps[0]
    for dump in dumps[1:]:
        if len(dump['labels']) != len(reference['labels']):
            raise ValueError(
                f'{dump["path"]} holds {len(dump["labels"])} samples, '
                f'{reference["path"]} {len(reference["labels"])}: a dump of '
                'another dataset or split?')
        if dump['scores'].shape[1] != reference['scores'].shape[1]:
            raise ValueError(
                f'{dump["path"]} has {dump["scores"].shape[1]} classes, '
                f'{reference["path"]} {reference["scores"].shape[1]}')
        differ = np.flatnonzero(dump['labels'] != reference['labels'])
        if differ.size:
            i = differ[0]
            raise ValueError(
                f'the labels of {dump["path"]} differ from those of '
                f'{reference["path"]} at {differ.size} of '
                f'{len(dump["labels"])} samples (first: '
                f'sample {i}, {dump["labels"][i]} vs '
                f'{reference["labels"][i]}): a dump of another dataset, '
                'split or sample order?')
    num_classes = reference['scores'].shape[1]
    labels = reference['labels']
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'{reference["path"]}: labels outside '
                         f'0..{num_classes - 1}')


def arm_accuracy(dumps: List[Dict]) -> np.ndarray:
    """(C,) per-class accuracy averaged over the seeds (NaN: no sample)."""
    return np.mean([per_class_accuracy(d['scores'], d['labels'])
                    for d in dumps], axis=0)


def arm_confusion(dumps: List[Dict]) -> np.ndarray:
    """(C, C) confusion counts summed over the seeds."""
    num_classes = dumps[0]['scores'].shape[1]
    return sum(confusion_counts(d['labels'], d['scores'].argmax(1),
                                num_classes) for d in dumps)


def read_class_names(args, num_classes: int) -> Optional[List[str]]:
    """Names from --class-names or --config (checked), or None."""
    if args.class_names:
        if not osp.isfile(args.class_names):
            raise FileNotFoundError(f'{args.class_names}: no such file')
        with open(args.class_names) as f:
            names = [line.strip() for line in f if line.strip()]
        if len(names) != num_classes:
            raise ValueError(f'{args.class_names} names {len(names)} '
                             f'classes, the dumps have {num_classes}')
        return names
    if args.config:
        from mmengine.config import Config
        if not osp.isfile(args.config):
            raise FileNotFoundError(f'{args.config}: no such file')
        names = config_class_names(Config.fromfile(args.config), num_classes)
        if names is None:
            raise ValueError(f'{args.config} names no {num_classes} classes '
                             '(no class_names of that length); pass '
                             '--class-names')
        return names
    return None


def _pct(value: float) -> str:
    return 'n/a' if not np.isfinite(value) else f'{100 * value:.1f}'


def markdown(table: Dict, baseline: np.ndarray, method: np.ndarray,
             names: List[str], args, seeds: Sequence[int]) -> str:
    """The difficulty table, then the per-class table, as markdown."""
    b, m = args.baseline_name, args.method_name
    lines = [
        f'Accuracy by difficulty: classes ranked by the {b}\'s accuracy, '
        f'hardest first ({len(table["order"])} classes; top-1 %, mean over '
        f'{seeds[0]} {b} and {seeds[1]} {m} seed(s)).', '',
        f'| classes (rank) | count | {b} | {m} | difference |',
        '|---|---|---|---|---|'
    ]
    for group in table['groups']:
        ranks = (f'{group["start"] + 1}' if group['stop'] - group['start'] == 1
                 else f'{group["start"] + 1}-{group["stop"]}')
        lines.append(
            f'| {ranks} | '
            f'{group["stop"] - group["start"]} | {_pct(group["baseline"])} | '
            f'{_pct(group["method"])} | '
            f'{100 * (group["method"] - group["baseline"]):+.1f} |')
    if table['left_out']:
        lines += ['', 'Left out (no test sample): ' + ', '.join(
            names[c] for c in table['left_out'])]
    lines += ['', '| rank | class | ' + f'{b} | {m} | difference |',
              '|---|---|---|---|---|']
    for rank, c in enumerate(table['order'], 1):
        lines.append(f'| {rank} | {names[c]} | {_pct(baseline[c])} | '
                     f'{_pct(method[c])} | '
                     f'{100 * (method[c] - baseline[c]):+.1f} |')
    return '\n'.join(lines) + '\n'


def gain_chart(baseline: np.ndarray, method: np.ndarray, names: List[str],
               path: str, args) -> str:
    """Horizontal bars of method minus baseline per class, sorted."""
    from matplotlib.figure import Figure
    valid = np.flatnonzero(np.isfinite(baseline) & np.isfinite(method))
    diff = 100 * (method[valid] - baseline[valid])
    order = np.argsort(diff, kind='stable')  # largest gain at the top
    classes, diff = valid[order], diff[order]
    count = len(classes)
    size = 9 if count <= 40 else (8 if count <= 80 else 7)
    height = max(3.5, 0.19 * count * size / 8 + 1.6)
    fig = Figure(figsize=(8.5, height), layout='constrained')
    ax = fig.add_subplot()
    colours = np.where(diff > 0, '#2a9d4b',
                       np.where(diff < 0, '#c8433a', '#888888'))
    ax.barh(np.arange(count), diff, color=colours, height=0.75)
    ax.set_yticks(np.arange(count), [short_label(names[c], 32)
                                     for c in classes], fontsize=size)
    ax.set_ylim(-0.6, count - 0.4)
    ax.axvline(0, color='black', linewidth=0.8)
    ax.grid(axis='x', alpha=0.3)
    limit = max(1.0, float(np.abs(diff).max()) if count else 1.0) * 1.1
    ax.set_xlim(-limit, limit)
    ax.set_xlabel(f'top-1 accuracy difference, {args.method_name} - '
                  f'{args.baseline_name} (percentage points)')
    better = int((diff > 0).sum())
    worse = int((diff < 0).sum())
    ax.set_title(f'Per-class accuracy: {args.method_name} vs '
                 f'{args.baseline_name}\n{better} classes better, {worse} '
                 f'worse, {count - better - worse} equal '
                 f'(mean {diff.mean():+.1f} points)', fontsize=11)
    return save_figure(fig, path)


def run(args) -> Dict:
    baseline_dumps = load_arm(args.baseline)
    method_dumps = load_arm(args.method)
    check_same_test_set(baseline_dumps + method_dumps)
    num_classes = baseline_dumps[0]['scores'].shape[1]
    names = class_labels(read_class_names(args, num_classes), num_classes)

    baseline = arm_accuracy(baseline_dumps)
    method = arm_accuracy(method_dumps)
    table = difficulty_table(baseline, method)
    text = markdown(table, baseline, method, names, args,
                    (len(baseline_dumps), len(method_dumps)))
    os.makedirs(args.out_dir, exist_ok=True)
    outputs = dict(table=osp.join(args.out_dir, 'difficulty.md'))
    with open(outputs['table'], 'w') as f:
        f.write(text)
    outputs['gain'] = gain_chart(
        baseline, method, names,
        osp.join(args.out_dir, 'per_class_gain.png'), args)
    num_samples = len(baseline_dumps[0]['labels'])
    for key, arm, dumps in (('baseline', args.baseline_name, baseline_dumps),
                            ('method', args.method_name, method_dumps)):
        counts = arm_confusion(dumps)
        top1 = 100 * np.trace(counts) / counts.sum()
        seeds = f' x {len(dumps)} seeds' if len(dumps) > 1 else ''
        outputs[f'confusion_{key}'] = heatmap(
            100 * row_normalise(counts), names,
            f'Confusion matrix of {arm} ({num_samples} test samples{seeds}, '
            f'top-1 {top1:.1f}%), row-normalised',
            '% of the true class\'s test samples', osp.join(
                args.out_dir, f'confusion_{key}.png'), cmap='Blues',
            vmax=100.0, fmt='{:.0f}')
    print(text.split('\n\n| rank')[0])
    print('written: ' + ', '.join(outputs.values()))
    return dict(table=table, baseline=baseline, method=method,
                outputs=outputs)


def main(argv=None):
    """Run the CLI; errors in the inputs end it with SystemExit(message)."""
    args = parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError, pickle.UnpicklingError) as error:
        raise SystemExit(f'compare.py: error: {error}')


if __name__ == '__main__':
    main(sys.argv[1:])
