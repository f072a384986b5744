"""Train and test a baseline and ACLNet (or ablations) over seeds; write a table.

    python tools/benchmark_accuracy.py \
        configs/aclnet/nw_ucla/baseline_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py \
        configs/aclnet/nw_ucla/aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py \
        --seeds 0 1 2 --ann-file data/skeleton/nw_ucla_3d.pkl

The first config is the baseline; every further config is an arm compared
with it (ACLNet, and for an ablation study its variants). An arm is named
after its config file up to the first ``_`` (``baseline``, ``aclnet``,
``aclnet-inter``, ...) unless ``--arms`` names them. Every (arm, seed) run is
``mim train`` then ``mim test --dump`` into ``{work_dir}/{arm}_seed{seed}/``;
finished runs are reused and an interrupted run (a checkpoint, no record)
resumes from its last checkpoint (``--resume``), so an interrupted benchmark
continues where it stopped, and arms can be added to a finished benchmark.
Arms are paired: the same seeds for all. The table (mean and standard deviation of top-1 and
mean-class accuracy, per-class accuracy, paired differences of both against the
baseline and between the arms, training time, device) is printed and written to
``{work_dir}/results.md`` with the raw figures in ``results.json``.

Retrieval configs (gait recognition, person re-id: a head with
``test_embedding`` and an ``EmbeddingRetrievalMetric`` test evaluator) are
scored with that metric from the dumped embeddings instead, and the table
gives rank-1 and mAP at sequence and clip level, each paired by seed.
"""
import argparse
import json
import math
import os
import os.path as osp
import pickle
import platform
import statistics
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

from mmengine.config import Config

from aclnet_plugin.evaluation import (accuracies, load_dump,
                                      per_class_accuracy)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', metavar='config',
                        help='the baseline config, then one or more configs '
                        'compared with it')
    parser.add_argument('--arms', nargs='+',
                        help='arm names, one per config (default: each '
                        'config file name up to its first "_")')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--ann-file', help='override the configs\' ann_file')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_accuracy')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at once (CPU threads are shared out)')
    parser.add_argument('--cfg-options', nargs='*', default=[],
                        help='extra key=value options for every arm')
    parser.add_argument('--class-names', nargs='*',
                        help='names for the per-class table (default: the '
                        'second config\'s class_names, if it has them)')
    args = parser.parse_args(argv)
    if len(args.configs) < 2:
        parser.error('give the baseline config and at least one config to '
                     'compare with it')
    if args.arms is None:
        args.arms = [arm_name(config) for config in args.configs]
    if len(args.arms) != len(args.configs):
        parser.error(f'{len(args.arms)} --arms for {len(args.configs)} '
                     'configs')
    if len(set(args.arms)) != len(args.arms):
        parser.error(f'arm names must differ, got {args.arms}: name them '
                     'with --arms')
    return args


def arm_name(config):
    """``aclnet-inter`` for ``.../aclnet-inter_stgcnpp-small_..._x.py``."""
    return osp.splitext(osp.basename(config))[0].split('_')[0]


def mim():
    return osp.join(osp.dirname(sys.executable), 'mim')


def run_one(arm, config, seed, args, threads, overrides=(), metric=None):
    """Train and test one (arm, seed); returns its record.

    ``overrides`` are ``--cfg-options`` for ``config`` (from
    :func:`ann_file_options`) and ``metric`` its retrieval metric's
    arguments (from :func:`retrieval_metric`), worked out beforehand in the
    main thread:
    ``Config.fromfile`` of an ``mmaction::`` base is not thread-safe
    (pkg_resources fails when two threads look up the package at once).
    """
    work_dir = osp.join(args.work_dir, f'{arm}_seed{seed}')
    record_file = osp.join(work_dir, 'record.json')
    if osp.exists(record_file):
        with open(record_file) as f:
            record = json.load(f)
        if osp.abspath(record['config']) != osp.abspath(config):
            raise ValueError(
                f'{record_file}: arm {arm!r} seed {seed} was run with '
                f'{record["config"]}, not {config}; give another --work-dir '
                'or arm name (--arms)')
        return record
    os.makedirs(work_dir, exist_ok=True)
    # An interrupted run (a checkpoint, no record) continues where it
    # stopped: mmengine's resume restores the method state exactly.
    resume = osp.exists(osp.join(work_dir, 'last_checkpoint'))
    if resume and not osp.exists(osp.join(work_dir, osp.basename(config))):
        raise ValueError(
            f'{work_dir}: an unfinished run of another config is there; '
            f'give another --work-dir or arm name (--arms), or delete it')
    options = [f'randomness.seed={seed}'] + list(args.cfg_options) + list(
        overrides)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    log = open(osp.join(work_dir, 'benchmark.log'), 'a' if resume else 'w')
    start = time.time()
    subprocess.run([mim(), 'train', 'mmaction', config, '--work-dir',
                    work_dir] + ['--resume'] * resume +
                   ['--cfg-options', *options], check=True,
                   stdout=log, stderr=subprocess.STDOUT, env=env)
    train_seconds = time.time() - start
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    dump = osp.join(work_dir, 'test_predictions.pkl')
    subprocess.run([mim(), 'test', 'mmaction', config, '--checkpoint',
                    checkpoint, '--work-dir', work_dir, '--dump', dump,
                    '--cfg-options', *options], check=True, stdout=log,
                   stderr=subprocess.STDOUT, env=env)
    record = dict(arm=arm, seed=seed, config=config, checkpoint=checkpoint,
                  train_seconds=train_seconds, resumed=resume,
                  threads=threads, kernels=kernels(),
                  **score(dump, metric))
    with open(record_file, 'w') as f:
        json.dump(record, f, indent=1)
    return record


def ann_file_options(cfg, ann_file):
    """``--cfg-options`` that point every dataloader of ``cfg`` (a Config or
    its path) at ``ann_file``, through dataset wrappers (``RepeatDataset``
    and the like hold the real dataset under ``dataset``), and every
    evaluator that reads it (a retrieval metric's probe and gallery
    splits)."""
    if isinstance(cfg, str):
        cfg = Config.fromfile(cfg)
    config = cfg.filename
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        key, dataset = f'{loader}.dataset', cfg[loader]['dataset']
        while 'ann_file' not in dataset and 'dataset' in dataset:
            key, dataset = f'{key}.dataset', dataset['dataset']
        if 'ann_file' not in dataset:
            raise ValueError(f'{config}: {key} has no ann_file to override')
        options.append(f'{key}.ann_file={ann_file}')
    for name in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(name) or []
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for index, evaluator in enumerate(evaluators):
            if 'ann_file' in evaluator:
                options.append(f'{name}.{index}.ann_file={ann_file}')
    return options


def retrieval_metric(cfg, overrides=()):
    """The arguments of the EmbeddingRetrievalMetric of ``cfg`` (a Config,
    with ``overrides`` applied), or None for a config without one."""
    if overrides:
        cfg = cfg.copy()
        cfg.merge_from_dict(dict(o.split('=', 1) for o in overrides))
    evaluators = cfg.get('test_evaluator') or []
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    for evaluator in evaluators:
        if evaluator['type'] == 'EmbeddingRetrievalMetric':
            evaluator = dict(evaluator)
            evaluator.pop('type')
            return evaluator
    return None


def score(dump, metric=None):
    """Accuracy (top-1, mean class, per class) of a dump; with ``metric``
    (the arguments of an EmbeddingRetrievalMetric) that metric's figures
    (fractions, like the accuracies)."""
    if metric is not None:
        from aclnet_plugin.evaluation.metrics import EmbeddingRetrievalMetric
        metric = EmbeddingRetrievalMetric(**metric)
        with open(dump, 'rb') as f:
            samples = pickle.load(f)
        metric.process({}, samples)
        figures = metric.compute_metrics(metric.results)
        return dict(retrieval={k: v / 100 for k, v in figures.items()},
                    num_samples=len(samples))
    scores, labels = load_dump(dump)
    result = accuracies(scores, labels)
    return dict(top1=result['top1'], mean_class=result['mean_class'],
                per_class=per_class_accuracy(scores, labels),
                num_samples=int(len(labels)))


def device_name():
    try:
        import torch
        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f'CPU ({platform.machine()}, {os.cpu_count()} cores)'


def kernels() -> str:
    """What decides the floating-point results of a CPU run: torch's version
    and the instruction set of its kernels. oneDNN convolutions round
    differently under AVX2 and AVX-512, and training can amplify the last
    bit into a different model, so a seed is only expected to reproduce
    where this string is the same."""
    import torch
    text = f'torch {torch.__version__}'
    if torch.cuda.is_available():
        return f'{text}, CUDA {torch.version.cuda}'
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'model name':
                    model = value.strip()
                elif key.strip() == 'flags':
                    flags = set(value.split())
                    break
    except OSError:
        pass
    extra = ''.join(f', {flag}' for flag in ('amx_tile', 'avx512_fp16')
                    if flag in flags)
    return (f'{text}, {torch.backends.cpu.get_cpu_capability()} kernels'
            f'{extra}, {model}')


def kernels_note(records) -> str:
    """The runs' kernels (:func:`kernels`), or a warning that they differ:
    runs made on different machines are not reproducible from each other."""
    found = sorted({r.get('kernels', 'not recorded') for r in records})
    if len(found) == 1:
        return f' Kernels: {found[0]}.'
    return (' Runs made with different kernels (a seed reproduces only on '
            'the same): ' + '; '.join(found) + '.')


def mean_std(values):
    values = [100 * v for v in values]
    if len(values) == 1:  # no spread to report from one seed
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def retrieval_table(records, args):
    """Markdown: rank-1 and mAP per arm at both levels, paired by seed."""
    arms = args.arms
    by_arm = {arm: sorted((r for r in records if r['arm'] == arm),
                          key=lambda r: r['seed']) for arm in arms}
    baseline, others = arms[0], arms[1:]
    first = by_arm[baseline][0]
    keys = [k for k in ('sequence/rank1', 'sequence/mAP', 'clip/rank1',
                        'clip/mAP') if k in first['retrieval']]
    lines = [
        f'Device: {device_name()}; seeds {args.seeds}; '
        f'{first.get("threads", "?")} CPU thread(s) per run; '
        f'{first["num_samples"]} probe and gallery sequences.' +
        kernels_note(records), '',
        '| arm | config | ' + ' | '.join(f'{k} (%)' for k in keys) +
        ' | per seed sequence/rank1 (%) | train time per run (min) |',
        '|' + ' --- |' * (len(keys) + 4)
    ]
    for arm in arms:
        rs = by_arm[arm]
        lines.append(
            f'| {arm} | `{osp.basename(rs[0]["config"])}` | ' + ' | '.join(
                mean_std([r['retrieval'][k] for r in rs]) for k in keys) +
            ' | ' + ', '.join(f'{100 * r["retrieval"][keys[0]]:.1f}'
                              for r in rs) +
            f' | {statistics.mean(r["train_seconds"] for r in rs) / 60:.1f} |')
    lines.append('')
    for arm in others:
        for key in keys:
            diffs = [100 * (a['retrieval'][key] - b['retrieval'][key])
                     for a, b in zip(by_arm[arm], by_arm[baseline])]
            lines.append(f'Paired {key} difference ({arm} - {baseline}) per '
                         'seed: ' + ', '.join(f'{d:+.1f}' for d in diffs) +
                         f' ({paired_summary(diffs)})')
    lines += ['', f'Logs and checkpoints: `{args.work_dir}/<arm>_seed<seed>/`']
    return '\n'.join(lines)


def paired_summary(diffs, reference='the baseline'):
    """Mean, standard error and sign count of paired differences."""
    summary = f'mean {statistics.mean(diffs):+.2f}'
    if len(diffs) > 1:
        stderr = statistics.stdev(diffs) / math.sqrt(len(diffs))
        summary += (f', standard error {stderr:.2f}; above {reference} '
                    f'in {sum(d > 0 for d in diffs)} of {len(diffs)}')
    return summary


def paired_lines(by_arm, pairs, key, label, baseline):
    """One line per (arm, reference) pair: the paired differences of
    ``key`` (a fraction, in points) per seed and their summary."""
    lines = []
    for arm, reference in pairs:
        name = 'the baseline' if reference == baseline else reference
        diffs = [100 * (a[key] - b[key])
                 for a, b in zip(by_arm[arm], by_arm[reference])]
        lines.append(f'Paired {label} difference ({arm} - {reference}) per '
                     'seed: ' + ', '.join(f'{d:+.1f}' for d in diffs) +
                     f' ({paired_summary(diffs, name)})')
    return lines


def table(records, args):
    """Markdown: one row per arm, paired differences, per-class accuracy."""
    if 'retrieval' in records[0]:
        return retrieval_table(records, args)
    arms = args.arms
    by_arm = {arm: sorted((r for r in records if r['arm'] == arm),
                          key=lambda r: r['seed']) for arm in arms}
    baseline, others = arms[0], arms[1:]
    first = by_arm[baseline][0]
    lines = [
        f'Device: {device_name()}; seeds {args.seeds}; '
        f'{first.get("threads", "?")} CPU thread(s) per run; '
        f'test set: {first["num_samples"]} clips.' + kernels_note(records),
        '',
        '| arm | config | top-1 (%) | mean class (%) | per seed top-1 (%) '
        '| train time per run (min) |', '| --- | --- | --- | --- | --- | --- |'
    ]
    for arm in arms:
        rs = by_arm[arm]
        lines.append(
            f'| {arm} | `{osp.basename(rs[0]["config"])}` | '
            f'{mean_std([r["top1"] for r in rs])} | '
            f'{mean_std([r["mean_class"] for r in rs])} | '
            + ', '.join(f'{100 * r["top1"]:.1f}' for r in rs) +
            f' | {statistics.mean(r["train_seconds"] for r in rs) / 60:.1f} |')
    lines.append('')
    # Every arm against the baseline, then the arms against each other
    # (an arm against those listed before it).
    pairs = [(arm, baseline) for arm in others] + [
        (arm, reference) for i, reference in enumerate(others)
        for arm in others[i + 1:]]
    for key, label in (('top1', 'top-1'), ('mean_class', 'mean-class')):
        lines += paired_lines(by_arm, pairs, key, label, baseline)
    lines.append('')
    num_classes = len(first['per_class'])
    names = args.class_names
    if not names or len(names) != num_classes:  # names are only cosmetic
        names = [str(c) for c in range(num_classes)]
    header = f'| class | {baseline} (%) |' + ''.join(
        f' {arm} (%) | difference |' for arm in others)
    lines += [header, '|' + ' --- |' * (2 + 2 * len(others))]

    def class_mean(arm, c):
        return statistics.mean(r['per_class'][c] for r in by_arm[arm])

    for c in range(num_classes):
        b = class_mean(baseline, c)
        row = f'| {names[c]} | {100 * b:.1f} |'
        for arm in others:
            a = class_mean(arm, c)
            row += f' {100 * a:.1f} | {100 * (a - b):+.1f} |'
        lines.append(row)
    lines += ['', f'Logs and checkpoints: `{args.work_dir}/<arm>_seed<seed>/`']
    return '\n'.join(lines)


def check_class_names(args, num_classes):
    """The names of the per-class table, checked against the heads.

    Names come from ``--class-names``, else from the second config's
    ``class_names``. Run before the first run: a mismatch found in the table
    would cost every run of the benchmark.

    Args:
        args (argparse.Namespace): The arguments (``configs``,
            ``class_names``).
        num_classes (dict[str, int | None]): Every config's
            ``model.cls_head.num_classes``.

    Returns:
        list[str] | None: The names, or None (the table then shows class
        indices) where the second config's ``class_names`` do not fit its
        head: they are only cosmetic, so this is a warning.

    Raises:
        ValueError: The configs' heads have different numbers of classes
            (the arms are not comparable class by class), or
            ``--class-names`` gives the wrong number of names.
    """
    counts = {c: n for c, n in num_classes.items() if n is not None}
    if len(set(counts.values())) > 1:
        raise ValueError(
            'the configs\' heads have different numbers of classes: ' +
            ', '.join(f'{osp.basename(c)}: {n}' for c, n in counts.items()))
    expected = next(iter(counts.values()), None)
    if args.class_names is not None:
        if expected is not None and len(args.class_names) != expected:
            raise ValueError(
                f'--class-names gives {len(args.class_names)} names, but the '
                f'configs\' heads have num_classes={expected}')
        return args.class_names
    names = Config.fromfile(args.configs[1]).get('class_names')
    if names is not None and expected is not None and \
            len(names) != expected:
        warnings.warn(
            f'{args.configs[1]}: class_names lists {len(names)} names for '
            f'a head of num_classes={expected}; the per-class table shows '
            'class indices instead (give --class-names to name them)')
        return None
    return None if names is None else list(names)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    # Every config is read once, here: Config.fromfile is not thread-safe.
    overrides, metrics, num_classes = {}, {}, {}
    for config in args.configs:
        cfg = Config.fromfile(config)
        overrides[config] = (ann_file_options(cfg, args.ann_file)
                             if args.ann_file else [])
        metrics[config] = retrieval_metric(cfg, overrides[config])
        num_classes[config] = cfg.get('model', {}).get('cls_head', {}).get(
            'num_classes')
    if not any(metrics.values()):  # before the first run, not after all
        args.class_names = check_class_names(args, num_classes)
    jobs = [(arm, config, seed) for seed in args.seeds
            for arm, config in zip(args.arms, args.configs)]
    with ThreadPoolExecutor(args.jobs) as pool:
        records = list(pool.map(
            lambda job: run_one(*job, args, threads, overrides[job[1]],
                                metrics[job[1]]), jobs))
    text = table(records, args)
    print(text)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(records, f, indent=1)


if __name__ == '__main__':
    main()
