"""What ACLNet did during training, from the logs of finished runs.

Reads the run folders that ``tools/benchmark_accuracy.py`` writes
(``<work-dir>/<arm>_seed<seed>/``) and prints, per arm and over its seeds,
the weighted inter- and intra-class losses (epoch means of the logged
training iterations) and the Motion Families the hook saved
(``motion_families/epoch_<n>.json``): their mean and largest size and how
many classes were at each temperature. Runs without the two losses
(baselines) are left out. It answers the questions of a run that does not
beat its baseline: were there families, how broad, did the losses still
carry signal late in training.

Example::

    python tools/analysis/method_state.py \\
        work_dirs/benchmark_accuracy/nw_ucla_small_ablation --epochs 9 20 40

``--stability`` instead lists, per run of the arms, what could make the
accuracy swing from seed to seed, beside the run's top-1 and its paired
difference from the baseline of the same seed: how much the families
change between consecutive recomputes (members gained plus lost, as a share
of the members), how many classes change temperature, and the weighted
inter-class loss just before, at and after its switch-on; and each
quantity's correlation with the paired difference over the runs::

    python tools/analysis/method_state.py work_dirs/benchmark_accuracy/fpha \\
        --stability --arms aclnet --baseline baseline

For a retrieval run (re-id, gait) the sequence-level rank-1 stands in for
top-1, at the test and in validation.

``--topology`` follows the learned topology of an ``ACLNetGCN`` (the
contrastive input of the paper's model) through training, from the lines
``TopologyMonitorHook`` logs: per arm (baselines included) and epoch, the
last block's ``alpha`` (and its size: the sign is a seed's draw),
``beta`` and the root mean square of its topology vector, over the
seeds::

    python tools/analysis/method_state.py \
        work_dirs/benchmark_accuracy/fpha_paper_model --topology \
        --epochs 1 5 10 20 30 40

``--coverage`` tells how far the Motion Families reach: per arm and epoch,
the mean size of the families in force and the share of training samples
whose class has one (those that get an inter-class loss), over the seeds;
``--figure PNG`` draws both against the epoch::

    python tools/analysis/method_state.py \
        work_dirs/benchmark_accuracy/fpha_recipes --coverage \
        --arms aclnet aclnet-equations --figure coverage.png

``--trajectory`` follows each arm's paired difference from the baseline
through training: at every validation epoch (the logged single-clip
``acc/top1``) and at the test, the mean difference over the seeds with its
standard error, each arm's spread over the seeds against the baseline's,
and how well the difference at that epoch predicts the final one
(correlation over the seeds). It tells when a seed's fate is set::

    python tools/analysis/method_state.py work_dirs/benchmark_accuracy/fpha \\
        --trajectory --arms aclnet aclnet-intra aclnet-inter
"""
import argparse
import glob
import json
import os.path as osp
import re
import sys
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np

RUN_DIR = re.compile(r'^(?P<arm>.+)_seed(?P<seed>\d+)$')
# What TopologyMonitorHook logs once an epoch.
TOPOLOGY_LINE = re.compile(
    r'Topology at epoch (?P<epoch>\d+): alpha (?P<alpha>\S+), '
    r'beta (?P<beta>\S+), rms of the last block\'s topology (?P<rms>\S+)$')
TOPOLOGY_KEYS = ('alpha', 'beta', 'rms')
LOSSES = ('loss_inter', 'loss_intra')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dir', help='a benchmark_accuracy --work-dir')
    parser.add_argument(
        '--epochs', type=int, nargs='+',
        help='runner epochs to report (default: the first epoch with '
        'families in use, and the last)')
    parser.add_argument('--arms', nargs='+', help='only these arms')
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument('--stability', action='store_true',
                        help='per run: family churn, temperature changes, '
                        'the inter loss at its switch-on, against accuracy')
    parser.add_argument('--trajectory', action='store_true',
                        help='per arm and validation epoch: the paired '
                        'difference from the baseline over the seeds')
    parser.add_argument('--topology', action='store_true',
                        help='per arm and epoch: alpha, beta and the size '
                        'of the last block\'s topology (TopologyMonitorHook)')
    parser.add_argument('--coverage', action='store_true',
                        help='per arm and epoch: the mean size of the '
                        'families in force and the share of training '
                        'samples that get an inter loss')
    parser.add_argument('--figure', metavar='PNG',
                        help='--coverage, also drawn against the epoch '
                        '(implies --coverage)')
    parser.add_argument('--baseline', default='baseline',
                        help='--stability, --trajectory: the arm of the '
                        'paired baseline')
    return parser.parse_args(argv)


def _read_jsonl(path: str) -> List[Dict]:
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}, line {number}: not JSON ({err})')
    return rows


def _scalar_rows(run_dir: str):
    """The logged scalars of a run, session by session in time order."""
    for path in sorted(glob.glob(osp.join(run_dir, '*', 'vis_data',
                                          'scalars.json'))):
        yield from _read_jsonl(path)


def epoch_losses(run_dir: str) -> Dict[int, Dict[str, float]]:
    """{epoch: {loss name: mean over the logged iterations}} of a run.

    Every ``*/vis_data/scalars.json`` under the run with training losses is
    read; on a resumed run a later session's entry for a step replaces the
    earlier one.
    """
    by_step = {}
    for row in _scalar_rows(run_dir):
        if 'epoch' in row and 'step' in row and any(name in row
                                                    for name in LOSSES):
            by_step[row['step']] = row
    sums = defaultdict(lambda: defaultdict(list))
    for row in by_step.values():
        for name in LOSSES:
            if name in row:
                sums[row['epoch']][name].append(float(row[name]))
    return {
        epoch: {name: float(np.mean(values))
                for name, values in losses.items()}
        for epoch, losses in sums.items()
    }


def family_states(run_dir: str) -> Dict[int, Dict]:
    """{epoch: the hook's saved family file} of a run."""
    states = {}
    for path in glob.glob(osp.join(run_dir, 'motion_families',
                                   'epoch_*.json')):
        with open(path) as f:
            try:
                state = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}: not JSON ({err})')
        for field in ('epoch', 'statistics', 'classes_per_temperature'):
            if field not in state:
                raise ValueError(f'{path}: no field {field!r}; is it a '
                                 'MotionFamilyHook file?')
        states[int(state['epoch'])] = state
    return states


def run_folders(work_dir: str):
    """``(arm, seed, path)`` of each ``<arm>_seed<n>`` folder, by name."""
    if not osp.isdir(work_dir):
        raise FileNotFoundError(f'{work_dir}: no such folder')
    for path in sorted(glob.glob(osp.join(work_dir, '*'))):
        match = RUN_DIR.match(osp.basename(path))
        if match and osp.isdir(path):
            yield match['arm'], int(match['seed']), path


def collect(work_dir: str, arms: Optional[List[str]] = None) -> Dict:
    """{arm: {seed: (epoch losses, family states)}} of the ACLNet runs.

    Arms come in the order of ``arms`` when given, else by folder name.
    """
    runs = defaultdict(dict)
    for arm, seed, path in run_folders(work_dir):
        if arms and arm not in arms:
            continue
        losses = epoch_losses(path)
        if not losses:
            continue  # a baseline, or a run that logged nothing yet
        runs[arm][seed] = (losses, family_states(path))
    if arms:
        missing = sorted(set(arms) - set(runs))
        if missing:
            raise ValueError(f'{work_dir}: no ACLNet runs of arm(s) '
                             f'{missing}')
        return {arm: runs[arm] for arm in arms}
    return dict(runs)


def _spread(values: List[float], digits: int = 3) -> str:
    if not values:
        return '-'
    low, high = min(values), max(values)
    if np.isclose(low, high):
        return f'{low:.{digits}f}'
    return f'{low:.{digits}f} to {high:.{digits}f}'


def _mean_size(states: List[Dict]) -> str:
    return _spread([s['statistics']['mean_family_size'] for s in states], 1)


def default_epochs(runs: Dict) -> List[int]:
    """The first epoch trained with families, and the last epoch."""
    first, last = [], []
    for seeds in runs.values():
        for losses, families in seeds.values():
            last.append(max(losses))
            if families:
                first.append(min(families) + 1)
    epochs = {max(last)}
    if first:
        epochs.add(min(first))
    return sorted(epochs)


def table(runs: Dict, epochs: List[int]) -> str:
    """Markdown: losses at ``epochs``, families at the first and last."""
    head = ['arm', 'seeds']
    for name in ('inter', 'intra'):
        head += [f'{name} loss, epoch {e}' for e in epochs]
    head += ['families: epochs', 'mean size (first / last)',
             'largest (last)', 'classes at each temperature (last)']
    lines = ['| ' + ' | '.join(head) + ' |',
             '| ' + ' | '.join(['---'] * len(head)) + ' |']
    for arm, seeds in runs.items():
        cells = [arm, ', '.join(str(s) for s in sorted(seeds))]
        for name in LOSSES:
            for epoch in epochs:
                cells.append(_spread([
                    losses[epoch][name]
                    for losses, _ in seeds.values()
                    if name in losses.get(epoch, {})
                ]))
        states = [families for _, families in seeds.values() if families]
        if states:
            first = [s[min(s)] for s in states]
            last = [s[max(s)] for s in states]
            temps = defaultdict(list)
            for state in last:
                for tau, n in state['classes_per_temperature'].items():
                    temps[float(tau)].append(n)
            cells += [
                f'{min(min(s) for s in states)}-{max(max(s) for s in states)}',
                f'{_mean_size(first)} / {_mean_size(last)}',
                _spread([float(s['statistics']['max_family_size'])
                         for s in last], 0),
                ', '.join(f'{tau:g}: {_spread([float(n) for n in ns], 0)}'
                          for tau, ns in sorted(temps.items())),
            ]
        else:
            cells += ['none'] + ['-'] * 3
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def top1(run_dir: str) -> Optional[float]:
    """The run's test top-1 (%) from benchmark_accuracy's record, or None;
    for a retrieval run, its sequence-level rank-1."""
    path = osp.join(run_dir, 'record.json')
    if not osp.exists(path):
        return None
    with open(path) as f:
        record = json.load(f)
    if 'retrieval' in record:
        return 100 * record['retrieval']['sequence/rank1']
    return 100 * record['top1']


def stability(work_dir: str, runs: Dict, baseline: str) -> str:
    """Markdown: per run, the family churn and the switch-on against the
    paired accuracy difference; then correlations over the runs."""
    from aclnet_plugin.analysis.families import family_churn
    rows = []
    for arm, seeds in runs.items():
        for seed, (losses, families) in sorted(seeds.items()):
            acc = top1(osp.join(work_dir, f'{arm}_seed{seed}'))
            base = top1(osp.join(work_dir, f'{baseline}_seed{seed}'))
            records = [families[e] for e in sorted(families)]
            churn = family_churn(records)[1:]
            share = [(c['gained'] + c['lost']) / max(c['members'], 1)
                     for c in churn]
            taus = [{c['index']: c['temperature'] for c in r['classes']}
                    for r in records]
            switches = [sum(a[i] != b[i] for i in a)
                        for a, b in zip(taus, taus[1:])]
            start = min(families) if families else None
            inter = [losses.get(e, {}).get('loss_inter', float('nan'))
                     for e in ((start, start + 1, start + 2)
                               if start else ())]
            rows.append(dict(
                arm=arm, seed=seed, top1=acc,
                diff=None if acc is None or base is None else acc - base,
                recomputes=len(records),
                churn=float(np.mean(share)) if share else float('nan'),
                late_churn=float(np.mean(share[len(share) // 2:]))
                if share else float('nan'),
                switches=float(np.mean(switches)) if switches else
                float('nan'),
                inter=inter,
                size=records[-1]['statistics']['mean_family_size']
                if records else float('nan')))
    head = ['arm', 'seed', 'top-1 (%)', f'minus {baseline}', 'recomputes',
            'churn per recompute', 'churn, second half',
            'classes changing temperature', 'mean family size (last)',
            'inter loss: start, +1, +2 epochs']
    lines = ['| ' + ' | '.join(head) + ' |',
             '| ' + ' | '.join(['---'] * len(head)) + ' |']

    def fmt(value, digits=2):
        return '-' if value is None or value != value else \
            f'{value:.{digits}f}'

    for r in rows:
        lines.append('| ' + ' | '.join([
            r['arm'], str(r['seed']), fmt(r['top1']),
            '-' if r['diff'] is None else f'{r["diff"]:+.2f}',
            str(r['recomputes']), fmt(r['churn'], 3),
            fmt(r['late_churn'], 3), fmt(r['switches'], 1),
            fmt(r['size'], 2), ', '.join(fmt(v, 3) for v in r['inter'])
        ]) + ' |')
    paired = [r for r in rows if r['diff'] is not None]
    lines.append('')
    for key, name in (('churn', 'churn per recompute'),
                      ('late_churn', 'churn in the second half'),
                      ('switches', 'classes changing temperature'),
                      ('size', 'mean family size')):
        pairs = [(r[key], r['diff']) for r in paired if r[key] == r[key]]
        if len(pairs) > 2:
            x, y = np.array(pairs).T
            corr = np.corrcoef(x, y)[0, 1] if x.std() and y.std() else \
                float('nan')
            lines.append(f'Correlation of {name} with the paired '
                         f'difference over {len(pairs)} runs: {corr:+.2f}')
    return '\n'.join(lines)


def validation_top1(run_dir: str) -> Dict[int, float]:
    """{epoch: validation top-1 (%)} of a run, from its logged scalars (a
    retrieval run's sequence-level rank-1); on a resumed run a later
    session's entry replaces the earlier one."""
    by_epoch = {}
    for row in _scalar_rows(run_dir):
        for key in ('acc/top1', 'retrieval/sequence/rank1'):
            if key in row and 'step' in row:
                by_epoch[int(row['step'])] = 100 * float(row[key])
    return by_epoch


def _mean_sd(values: np.ndarray, digits: int = 2) -> str:
    if len(values) < 2:
        return f'{values.mean():.{digits}f}'
    return (f'{values.mean():.{digits}f} ± '
            f'{values.std(ddof=1):.{digits}f}')


def _mean_se(values: np.ndarray) -> str:
    if len(values) < 2:
        return f'{values.mean():+.2f}' if len(values) else '-'
    se = values.std(ddof=1) / np.sqrt(len(values))
    return f'{values.mean():+.2f} ({se:.2f})'


def trajectory(work_dir: str, arms: Optional[List[str]],
               baseline: str) -> str:
    """Markdown: per arm and validation epoch (then the test), the paired
    difference from the baseline over the seeds both have."""
    runs = defaultdict(dict)  # arm -> seed -> {epoch or 'test': top-1}
    for arm, seed, path in run_folders(work_dir):
        points = validation_top1(path)
        test = top1(path)
        if test is not None:
            points['test'] = test
        if points:
            runs[arm][seed] = points
    if baseline not in runs:
        raise ValueError(f'{work_dir}: no runs of the baseline arm '
                         f'{baseline!r}')
    names = arms or sorted(arm for arm in runs if arm != baseline)
    missing = [arm for arm in names if arm not in runs]
    if missing:
        raise ValueError(f'{work_dir}: no runs of arm(s) {missing}')
    head = ['arm', 'epoch', 'seeds', 'top-1 (%), mean ± sd',
            f'{baseline} (%), mean ± sd', 'paired difference (s.e.)',
            'per seed', 'correlation with the test difference']
    lines = ['| ' + ' | '.join(head) + ' |',
             '| ' + ' | '.join(['---'] * len(head)) + ' |']
    for arm in names:
        seeds = sorted(set(runs[arm]) & set(runs[baseline]))
        epochs = sorted({e for s in seeds for e in runs[arm][s]
                         if e != 'test'}) + ['test']
        final = {s: runs[arm][s]['test'] - runs[baseline][s]['test']
                 for s in seeds
                 if 'test' in runs[arm][s] and 'test' in runs[baseline][s]}
        for epoch in epochs:
            both = [s for s in seeds
                    if epoch in runs[arm][s] and epoch in runs[baseline][s]]
            if not both:
                continue
            ours = np.array([runs[arm][s][epoch] for s in both])
            base = np.array([runs[baseline][s][epoch] for s in both])
            diff = ours - base
            with_final = [(d, final[s]) for d, s in zip(diff, both)
                          if s in final]
            corr = '-'
            if epoch != 'test' and len(with_final) > 2:
                x, y = np.array(with_final).T
                if x.std() and y.std():
                    corr = f'{np.corrcoef(x, y)[0, 1]:+.2f}'
            lines.append('| ' + ' | '.join([
                arm, str(epoch), str(len(both)), _mean_sd(ours),
                _mean_sd(base),
                _mean_se(diff), ', '.join(f'{d:+.1f}' for d in diff), corr
            ]) + ' |')
    return '\n'.join(lines)


def topology_states(run_dir: str) -> Dict[int, Dict[str, float]]:
    """{epoch: {'alpha', 'beta', 'rms'}} of a run, from the lines
    ``TopologyMonitorHook`` logged in its ``*/*.log`` files; on a resumed
    run a later session's line for an epoch replaces the earlier one."""
    states = {}
    for path in sorted(glob.glob(osp.join(run_dir, '*', '*.log'))):
        with open(path, errors='replace') as f:
            for line in f:
                match = TOPOLOGY_LINE.search(line.rstrip())
                if match:
                    states[int(match['epoch'])] = {
                        key: float(match[key]) for key in TOPOLOGY_KEYS}
    return states


def topology_table(work_dir: str, arms: Optional[List[str]],
                   epochs: Optional[List[int]]) -> str:
    """Markdown: per arm and epoch, alpha, its size ``|alpha|`` (the sign
    is a seed's draw: the scalar multiplies a learned term), beta and the
    topology's root mean square (mean ± sd over the seeds that logged that
    epoch)."""
    runs = defaultdict(dict)  # arm -> seed -> epoch -> values
    for arm, seed, path in run_folders(work_dir):
        if arms and arm not in arms:
            continue
        states = topology_states(path)
        if states:
            runs[arm][seed] = states
    names = arms or sorted(runs)
    missing = [arm for arm in names if arm not in runs]
    if missing:
        raise ValueError(f'{work_dir}: no TopologyMonitorHook lines in the '
                         f'logs of arm(s) {missing}')
    head = ['arm', 'epoch', 'seeds', 'alpha', '|alpha|', 'beta',
            'rms of the topology']
    lines = ['| ' + ' | '.join(head) + ' |',
             '| ' + ' | '.join(['---'] * len(head)) + ' |']
    for arm in names:
        logged = sorted({e for states in runs[arm].values() for e in states})
        for epoch in (epochs or logged):
            seeds = sorted(s for s, states in runs[arm].items()
                           if epoch in states)
            if not seeds:
                continue
            cells = [arm, str(epoch), ', '.join(map(str, seeds))]
            for key in TOPOLOGY_KEYS:
                values = np.array([runs[arm][s][epoch][key] for s in seeds])
                cells.append(_mean_sd(values, 4))
                if key == 'alpha':  # its sign differs from seed to seed
                    cells.append(_mean_sd(np.abs(values), 4))
            lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def training_class_counts(run_dir: str) -> np.ndarray:
    """Training samples of each class of a run, from the config it dumped
    (its training ``ann_file`` and split)."""
    import pickle

    from mmengine.config import Config
    configs = sorted(glob.glob(osp.join(run_dir, '*.py')))
    if not configs:
        raise ValueError(f'{run_dir}: no dumped config (*.py) to find the '
                         'training data in')
    cfg = Config.fromfile(configs[0])
    dataset = cfg.train_dataloader.dataset
    while 'ann_file' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset
    key = (dataset.ann_file, dataset.get('split'))
    if key not in _COUNTS:
        with open(dataset.ann_file, 'rb') as f:
            data = pickle.load(f)
        names = (set(data['split'][key[1]]) if key[1] is not None else None)
        labels = [int(a['label']) for a in data['annotations']
                  if names is None or a['frame_dir'] in names]
        _COUNTS[key] = np.bincount(labels,
                                   minlength=cfg.model.cls_head.num_classes)
    return _COUNTS[key]


_COUNTS = {}


def coverage(work_dir: str, arms: Optional[List[str]],
             epochs: Optional[List[int]], figure: Optional[str]) -> str:
    """Markdown: per arm and epoch, the Motion Families in force (computed
    at the end of the epoch before, or at the first step of this one in
    the authors' recipe): their mean size over the classes and the share of
    training samples whose class has one, i.e. that get an inter-class
    loss (mean ± sd over the seeds); and, with ``figure``, both against
    the epoch for every arm."""
    from aclnet_plugin.analysis.families import family_coverage
    runs = defaultdict(dict)  # arm -> seed -> (sizes, shares) by epoch
    for arm, seed, path in run_folders(work_dir):
        if arms and arm not in arms:
            continue
        families = family_states(path)
        losses = epoch_losses(path)
        if not families or not losses:
            continue
        counts = training_class_counts(path)
        sizes, shares = [], []
        for epoch in range(1, max(losses) + 1):
            before = [e for e in families if e < epoch]
            reach = (family_coverage(families[max(before)], counts)
                     if before else dict(mean_size=0.0, sample_share=0.0))
            sizes.append(reach['mean_size'])
            shares.append(reach['sample_share'])
        runs[arm][seed] = (np.array(sizes), np.array(shares))
    names = arms or sorted(runs)
    missing = [arm for arm in names if arm not in runs]
    if missing:
        raise ValueError(f'{work_dir}: no Motion Family files in the runs of '
                         f'arm(s) {missing}')
    head = ['arm', 'epoch', 'seeds', 'mean family size',
            'share of training samples with an inter loss (%)']
    lines = ['| ' + ' | '.join(head) + ' |',
             '| ' + ' | '.join(['---'] * len(head)) + ' |']
    for arm in names:
        seeds = sorted(runs[arm])
        length = min(len(runs[arm][s][0]) for s in seeds)
        for epoch in (epochs or range(1, length + 1)):
            if epoch > length:
                continue
            size = np.array([runs[arm][s][0][epoch - 1] for s in seeds])
            share = np.array([runs[arm][s][1][epoch - 1] for s in seeds])
            lines.append('| ' + ' | '.join([
                arm, str(epoch), ', '.join(map(str, seeds)),
                _mean_sd(size, 2), _mean_sd(100 * share, 1)]) + ' |')
    if figure:
        _coverage_figure({arm: runs[arm] for arm in names}, figure)
    return '\n'.join(lines)


def _coverage_figure(runs: Dict, path: str) -> None:
    from matplotlib.figure import Figure

    from aclnet_plugin.analysis.plots import save_figure
    fig = Figure(figsize=(9, 3.6))
    axes = fig.subplots(1, 2)
    for arm, seeds in runs.items():
        length = min(len(v[0]) for v in seeds.values())
        epochs = np.arange(1, length + 1)
        for ax, which in zip(axes, (0, 1)):
            values = np.stack([v[which][:length] for v in seeds.values()])
            if which == 1:
                values = 100 * values
            line, = ax.plot(epochs, values.mean(axis=0),
                            label=f'{arm} ({len(seeds)} seeds)')
            ax.fill_between(epochs, values.min(axis=0), values.max(axis=0),
                            color=line.get_color(), alpha=0.2, lw=0)
    axes[0].set_ylabel('mean Motion Family size (classes)')
    axes[1].set_ylabel('training samples with an inter loss (%)')
    axes[1].set_ylim(-2, 102)
    for ax in axes:
        ax.set_xlabel('epoch')
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle('Families in force each epoch: mean over the seeds, band '
                 'min to max', fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def _emit(text: str, out: Optional[str]):
    print(text)
    if out:
        with open(out, 'w') as f:
            f.write(text + '\n')


def main(argv=None):
    args = parse_args(argv)
    if args.trajectory:
        _emit(trajectory(args.work_dir, args.arms, args.baseline), args.out)
        return
    if args.topology:
        _emit(topology_table(args.work_dir, args.arms, args.epochs),
              args.out)
        return
    if args.coverage or args.figure:
        _emit(coverage(args.work_dir, args.arms, args.epochs, args.figure),
              args.out)
        return
    runs = collect(args.work_dir, args.arms)
    if args.stability:
        _emit(stability(args.work_dir, runs, args.baseline), args.out)
        return
    if not runs:
        sys.exit(f'{args.work_dir}: no run folders <arm>_seed<n> with '
                 'ACLNet losses in their logs')
    epochs = args.epochs or default_epochs(runs)
    text = (f'Weighted losses (mean of the logged iterations of an epoch, '
            f'range over seeds) and Motion Families, from {args.work_dir}\n\n'
            + table(runs, epochs))
    _emit(text, args.out)


if __name__ == '__main__':
    main()
