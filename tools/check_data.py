"""Check a PySKL annotation file, alone or as a config would read it.

    python tools/check_data.py data/skeleton/ntu60_3danno.pkl \\
        --config configs/aclnet/ntu60_xsub.py

Runs the check of :mod:`aclnet_plugin.datasets.check` (the one
``DataCheckHook`` runs before training) and prints, for every split checked,
the samples, frames (min / median / max), persons, joints, coordinates,
label range and the problems, each kind with its count and first samples.

With ``--config``, the splits are those of the config's dataloaders and the
expectations the config's: labels against ``model.cls_head.num_classes``
(the training split strictly, validation and test splits may hold -1, "no
training class"), joints and coordinates from each dataset's pipeline
(built, the datasets are not). Without it, every split of the file is
checked (or those of ``--split``), labels against ``--num-classes`` if
given, -1 accepted except in splits whose name holds ``train``, and the
samples must agree with each other on joints and coordinates.

Clips a split names but no annotation has are a problem, as in training;
with ``--missing-clips warn`` they are listed as a warning instead.

The file is only read. Exit status: 0 when no problem is found, 1 when
there are problems or the file cannot be read, 2 for bad arguments.
"""
import argparse
import os.path as osp
import sys

from aclnet_plugin.datasets.check import (MISSING_CLIPS, DataCheckError,
                                          check_annotations,
                                          load_annotations,
                                          pipeline_expectation)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ann_file', metavar='FILE',
                        help='the PySKL annotation pickle')
    parser.add_argument('--config', help='check FILE as this config reads '
                        'it (its splits, pipelines and num_classes)')
    parser.add_argument('--split', nargs='+', metavar='S',
                        help='check only these splits')
    parser.add_argument('--num-classes', type=int, metavar='N',
                        help='labels must be in [0, N) (default: the '
                        'config\'s model.cls_head.num_classes)')
    parser.add_argument('--max-examples', type=int, default=5, metavar='K',
                        help='samples shown per kind of problem (default 5)')
    parser.add_argument('--missing-clips', choices=MISSING_CLIPS,
                        default='error', help='clips a split names but no '
                        'annotation has: a problem (error, the default) or '
                        'a warning (warn)')
    args = parser.parse_args(argv)
    if args.num_classes is not None and args.num_classes < 1:
        parser.error(f'--num-classes must be positive, got '
                     f'{args.num_classes}')
    return args


def _leaves(dataset):
    """The dataset configs under ``RepeatDataset``/``ConcatDataset``."""
    if 'datasets' in dataset:
        for inner in dataset['datasets']:
            yield from _leaves(inner)
    elif 'dataset' in dataset:
        yield from _leaves(dataset['dataset'])
    else:
        yield dataset


def config_checks(config, ann_file, num_classes=None):
    """What a config's dataloaders ask of ``ann_file``.

    Args:
        config (str): The config file.
        ann_file (str): The file checked (it replaces the config's own; if
            the config reads several files, only its datasets reading this
            one are kept).
        num_classes (int, optional): Overrides the config's.

    Returns:
        list[dict]: One per distinct (split, expectations): ``roles``,
        ``split`` and the keyword arguments of ``check_annotations``.
    """
    from mmengine.config import Config
    from mmengine.utils import import_modules_from_strings

    import aclnet_plugin  # noqa: F401  (registers the plugin's transforms)
    from mmaction.registry import TRANSFORMS
    from mmaction.utils import register_all_modules
    cfg = Config.fromfile(config)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    register_all_modules(init_default_scope=True)
    if num_classes is None:
        num_classes = (cfg.get('model') or {}).get('cls_head', {}).get(
            'num_classes')
    found = []
    for role in ('train', 'val', 'test'):
        loader = cfg.get(f'{role}_dataloader')
        if not loader or 'dataset' not in loader:
            continue
        for dataset in _leaves(loader['dataset']):
            transforms = [TRANSFORMS.build(t)
                          for t in dataset.get('pipeline') or []]
            source = dataset.get('ann_file')
            if source and dataset.get('data_root'):
                source = osp.join(dataset['data_root'], source)
            found.append(dict(
                role=role, split=dataset.get('split'), source=source,
                kwargs=dict(
                    num_classes=num_classes,
                    allow_no_label=role != 'train',
                    skeleton_files='skeleton' in (dataset.get('data_prefix')
                                                  or {}),
                    **pipeline_expectation(transforms))))
    same = [c for c in found if c['source'] and
            osp.abspath(c['source']) == osp.abspath(ann_file)]
    checks = {}
    for check in same or found:  # all, when FILE replaces the config's
        kwargs = check['kwargs']
        key = (check['split'], repr(sorted(kwargs.items())))
        if key in checks:
            checks[key]['roles'].append(check['role'])
        else:
            checks[key] = dict(roles=[check['role']], split=check['split'],
                               kwargs=kwargs)
    return list(checks.values())


def file_checks(data, num_classes=None):
    """Without a config: every split of the file, or all annotations."""
    splits = data.get('split') if isinstance(data, dict) else None
    names = list(splits) if isinstance(splits, dict) and splits else [None]
    return [dict(roles=[], split=name, kwargs=dict(
        num_classes=num_classes,
        allow_no_label=name is None or 'train' not in str(name)))
        for name in names]


def summary(report, roles=()):
    """Lines describing what one check saw and found."""
    stats = report.stats
    what = ', '.join(roles + ([report.expected] if report.expected else []))
    name = 'all annotations' if report.split is None else \
        f'split {report.split!r}'
    lines = [f'{name}{" (" + what + ")" if what else ""}: '
             f'{report.num_samples} samples']
    if 'frames' in stats:
        low, median, high = stats['frames']
        lines.append(f'  frames       min {low}, median {median:g}, '
                     f'max {high}')
        lines.append(f'  persons      {stats["persons"][0]} to '
                     f'{stats["persons"][1]}')
    for key, label in (('joints', 'joints'), ('coordinates', 'coordinates')):
        if stats.get(key):
            lines.append(f'  {label:<12} ' + ', '.join(
                f'{value} ({count} sample{"s" if count != 1 else ""})'
                for value, count in sorted(stats[key].items())))
    if 'with_score' in stats:
        lines.append(f'  scores       keypoint_score in '
                     f'{stats["with_score"]} samples')
    if 'labels' in stats:
        low, high, distinct = stats['labels']
        lines.append(f'  labels       {low} to {high}, {distinct} distinct'
                     + (f'; {stats["no_label"]} labelled -1'
                        if stats.get('no_label') else ''))
    if 'values' in stats:
        lines.append(f'  values       {stats["values"][0]:.4g} to '
                     f'{stats["values"][1]:.4g}')
    lines += [f'  note: {note}' for note in report.notes]
    lines += [f'  warning: {warning}' for warning in report.warnings]
    if report.ok:
        lines.append('  problems     none')
    else:
        lines.append('  problems:')
        lines += [problem.format('    ')
                  for problem in report.problems.values()]
    return lines


def main(argv=None):
    args = parse_args(argv)
    try:
        data = load_annotations(args.ann_file)
    except DataCheckError as error:
        print(error, file=sys.stderr)
        return 1
    lines = [f'{args.ann_file}:']
    if isinstance(data, dict) and isinstance(data.get('split'), dict):
        lines[0] += f' {len(data.get("annotations") or [])} annotations; ' \
            'splits: ' + ', '.join(f'{name} ({len(names)})' for name, names
                                   in data['split'].items()
                                   if hasattr(names, '__len__'))
    if args.config:
        checks = config_checks(args.config, args.ann_file, args.num_classes)
        if args.split:
            used = {c['split'] for c in checks}
            train = next((c for c in checks if 'train' in c['roles']),
                         checks[0] if checks else None)
            checks = [c for c in checks if c['split'] in args.split] + [
                dict(roles=['not in the config'], split=split,
                     kwargs=dict(train['kwargs'] if train else {},
                                 allow_no_label=True))
                for split in args.split if split not in used]
    else:
        checks = file_checks(data, args.num_classes)
        if args.split:
            checks = [dict(roles=[], split=split, kwargs=dict(
                num_classes=args.num_classes,
                allow_no_label='train' not in split)) for split in args.split]
    num_problems, missing_clips = 0, False
    for check in checks:
        report = check_annotations(data, args.ann_file, check['split'],
                                   max_examples=args.max_examples,
                                   missing_clips=args.missing_clips,
                                   **check['kwargs'])
        num_problems += sum(report.counts.values())
        missing_clips |= 'missing_clip' in report.problems
        lines += summary(report, list(check['roles']))
    if num_problems:
        lines.append(f'{num_problems} problem{"s" if num_problems > 1 else ""}'
                     f' in {args.ann_file} (it was not modified).')
        if missing_clips:
            lines.append('To go on without the clips that have no '
                         'annotation: --missing-clips warn.')
    else:
        lines.append(f'No problem found in {args.ann_file}.')
    print('\n'.join(lines))
    return 1 if num_problems else 0


if __name__ == '__main__':
    sys.exit(main())
