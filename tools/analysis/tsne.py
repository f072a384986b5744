"""t-SNE of test-set embeddings (the paper's Fig. 5), one panel per
checkpoint: give several checkpoints of one run (e.g. epoch_10.pth
epoch_20.pth epoch_40.pth) to see the classes separate over training.

Every checkpoint embeds the same test clips (one clip per sample: the test
pipeline's frame sampling is set to num_clips=1) with mmengine's Runner;
the head's test-time embedding is read from the predictions:
--embedding projection (default) is the 256-d normalised projection the
contrastive losses shape, --embedding feature the pooled backbone feature
the classifier sees (L2-normalised). A GCNHead checkpoint (a baseline) has
only the feature. Each checkpoint's embeddings are mapped to 2-D by
scikit-learn's TSNE (PCA initialisation, fixed random_state) on their own.
Points are coloured by class, with a legend of class names (the config's
`class_names` or its MotionFamilyHook's); each panel's title is the
checkpoint's epoch and the top-1 accuracy on the plotted clips.

Which classes: all of them (default), --classes (indices or names), or
--family CLASS with --families-json (a MotionFamilyHook file, e.g.
WORK_DIR/motion_families/latest.json, or the work dir): the class and the
members of its Motion Family. --max-per-class takes a seeded random subset
of each class's test samples (default 30), so a large test set stays
quick: only the chosen samples are run through the model.

Example::

    python tools/analysis/tsne.py CONFIG work_dir/epoch_8.pth \\
        work_dir/epoch_24.pth work_dir/epoch_40.pth \\
        --family open_juice_bottle --families-json work_dir \\
        --out work_dirs/tsne_open_juice.png
"""
import argparse
import copy
import json
import os.path as osp
import pickle
import shutil
import sys
import tempfile
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config, DictAction

from aclnet_plugin.analysis import (check_num_classes, checkpoint_epoch,
                                    config_class_names, config_num_classes,
                                    get_test_dataset_cfg,
                                    load_checkpoint_state, resolve_class,
                                    run_test)
from aclnet_plugin.analysis.plots import class_labels, save_figure, short_label
from aclnet_plugin.evaluation.dumps import to_numpy

SAMPLING = ('UniformSampleFrames', 'SampleFrames')
MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '*')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='tsne.py',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoints were '
                        'trained with')
    parser.add_argument('checkpoints', nargs='+', metavar='CKPT',
                        help='one or more checkpoints, one panel each')
    which = parser.add_mutually_exclusive_group()
    which.add_argument('--classes', nargs='+', metavar='CLASS',
                       help='the classes to plot (indices or names)')
    which.add_argument('--family', metavar='CLASS',
                       help='plot this class and its Motion Family (needs '
                       '--families-json)')
    parser.add_argument('--families-json', metavar='FILE',
                        help='a MotionFamilyHook file (or a work dir: its '
                        'motion_families/latest.json)')
    parser.add_argument('--embedding', choices=('projection', 'feature'),
                        default='projection',
                        help='which embedding (default: projection)')
    parser.add_argument('--max-per-class', type=int, default=30,
                        metavar='N', help='test samples per class at most '
                        '(default: 30)')
    parser.add_argument('--perplexity', type=float,
                        help='t-SNE perplexity (default: 30, or less for '
                        'few points)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the sample subset and of t-SNE '
                        '(default: 0)')
    parser.add_argument('--ann-file', help='test on this annotation file '
                        'instead of the config\'s')
    parser.add_argument('--work-dir', help='keep the test runs\' logs here '
                        '(default: a temporary folder, removed)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (key=value)')
    parser.add_argument('--names', nargs='+', metavar='NAME',
                        help='a name per checkpoint for its panel (e.g. '
                        'baseline ACLNet; default: its epoch)')
    parser.add_argument('--out', required=True, metavar='FILE.png',
                        help='the picture to write')
    return parser.parse_args(argv)


def read_families_json(path: str) -> tuple:
    """(record, file) of a MotionFamilyHook file or a work dir's latest."""
    if osp.isdir(path):
        for candidate in (osp.join(path, 'motion_families', 'latest.json'),
                          osp.join(path, 'latest.json')):
            if osp.isfile(candidate):
                path = candidate
                break
        else:
            raise FileNotFoundError(f'{path}: no motion_families/latest.json '
                                    'in this folder')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    with open(path) as f:
        try:
            record = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path}: not JSON ({error})')
    if not isinstance(record, dict) or 'classes' not in record:
        raise ValueError(f'{path}: not a MotionFamilyHook file (no classes)')
    return record, path


def choose_classes(args, names: List[str]) -> tuple:
    """(class indices, a subtitle) from --classes / --family / all."""
    if args.family is not None:
        if not args.families_json:
            raise ValueError('--family needs --families-json')
        record, path = read_families_json(args.families_json)
        if record.get('num_classes') != len(names):
            raise ValueError(f'{path} is for {record.get("num_classes")} '
                             f'classes, the config has {len(names)}')
        index = resolve_class(args.family, names, '--family')
        members = record['classes'][index]['members']
        if not members:
            raise ValueError(
                f'{names[index]!r} has no Motion Family in {path} (epoch '
                f'{record.get("epoch")}); choose another class or --classes')
        return ([index] + list(members),
                f'Motion Family of {names[index]!r} (epoch '
                f'{record.get("epoch")})')
    if args.families_json:
        raise ValueError('--families-json goes with --family')
    if args.classes:
        chosen = [resolve_class(c, names, '--classes') for c in args.classes]
        if len(set(chosen)) != len(chosen):
            raise ValueError(f'--classes repeats a class: {args.classes}')
        return chosen, None
    return list(range(len(names))), None


def get_test_labels(cfg) -> np.ndarray:
    """The labels of the config's test set, without running its pipeline."""
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    dataset = copy.deepcopy(get_test_dataset_cfg(cfg))
    dataset.pipeline = []
    dataset = DATASETS.build(dataset)
    return np.array([int(dataset.get_data_info(i)['label'])
                     for i in range(len(dataset))])


def pick_samples(labels: np.ndarray, classes: Sequence[int], names,
                 max_per_class: int, seed: int) -> List[int]:
    """Sorted test-set indices: at most ``max_per_class`` of each class."""
    rng = np.random.RandomState(seed)
    picked = []
    for c in classes:
        found = np.flatnonzero(labels == c)
        if found.size == 0:
            raise ValueError(f'class {names[c]!r} ({c}) has no test sample')
        if found.size > max_per_class:
            found = rng.choice(found, max_per_class, replace=False)
        picked.extend(int(i) for i in found)
    return sorted(picked)


def prepare_config(cfg, indices: List[int], embedding: str,
                   config_path: str) -> tuple:
    """The test config: chosen samples, one clip, the head's embedding.

    Returns:
        tuple: (config, state-dict prefixes a checkpoint may lack).
    """
    cfg = copy.deepcopy(cfg)
    dataset = get_test_dataset_cfg(cfg)
    dataset.indices = list(indices)
    for transform in dataset.pipeline:
        if transform.get('type') in SAMPLING:
            transform['num_clips'] = 1
    head = cfg.model.cls_head
    allow_missing = ()
    if head.get('type') != 'AffinityContrastHead':
        if head.get('type') != 'GCNHead' or embedding == 'projection':
            raise ValueError(
                f'{config_path}: the head is {head.get("type")}; only an '
                'AffinityContrastHead has the projection embedding, and the '
                'feature embedding needs an AffinityContrastHead or a '
                'GCNHead (use --embedding feature for a GCNHead baseline)')
        # The same pooled feature, read through the ACLNet head's
        # test_embedding; the projection and the method's buffers are unused.
        head.type = 'AffinityContrastHead'
    if embedding == 'feature':  # a GCNHead checkpoint serves as well
        allow_missing = ('cls_head.projector', 'cls_head.confusion',
                         'cls_head.prototype', 'cls_head.family_mask',
                         'cls_head.temperatures', 'cls_head.queue_')
    head.test_embedding = embedding
    cfg.test_evaluator = []
    return cfg, allow_missing


def embed(cfg, checkpoint: str, state: Dict, config_path: str,
          allow_missing, work_dir: str, number: int) -> Dict:
    """Run the test; return the clips' embeddings, labels and scores."""
    dump = osp.join(work_dir, f'embeddings_{number}.pkl')
    run_test(cfg, checkpoint, osp.join(work_dir, f'run_{number}'),
             config_path, state=state,
             evaluator=[dict(type='DumpResults', out_file_path=dump)],
             name='tsne', allow_missing=allow_missing)
    with open(dump, 'rb') as f:
        samples = pickle.load(f)
    embeddings, labels, scores = [], [], []
    for sample in samples:
        vector = to_numpy(sample['pred_embedding']).astype(np.float64)
        vector = vector.reshape(-1, vector.shape[-1]).mean(axis=0)
        embeddings.append(vector / max(np.linalg.norm(vector), 1e-12))
        labels.append(int(to_numpy(sample['gt_label']).reshape(-1)[0]))
        scores.append(to_numpy(sample['pred_score']).reshape(-1))
    return dict(embeddings=np.stack(embeddings), labels=np.array(labels),
                scores=np.stack(scores))


def tsne_2d(embeddings: np.ndarray, perplexity: Optional[float],
            seed: int) -> np.ndarray:
    """(N, 2) t-SNE coordinates (scikit-learn, PCA initialisation)."""
    from sklearn.manifold import TSNE
    count = len(embeddings)
    if count < 5:
        raise ValueError(f'{count} test clips are too few for t-SNE (5 at '
                         'least); choose more classes or --max-per-class')
    if perplexity is None:
        perplexity = min(30.0, (count - 1) / 3)
    if not 0 < perplexity < count:
        raise ValueError(f'--perplexity must be in (0, {count}) for {count} '
                         f'points, got {perplexity}')
    return TSNE(n_components=2, perplexity=perplexity, init='pca',
                random_state=seed).fit_transform(embeddings)


def draw(panels: List[Dict], classes: Sequence[int], names: List[str],
         title: str, path: str, centre: Optional[int] = None) -> str:
    """One scatter panel per checkpoint, a shared legend of class names
    (``centre``, the class whose family is drawn, marked in it)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    count = len(panels)
    columns = min(count, 3)
    rows = int(np.ceil(count / columns))
    colours = colormaps['tab10' if len(classes) <= 10 else 'tab20']
    cycle = 10 if len(classes) <= 10 else 20
    legend_columns = 1 if len(classes) <= 24 else 2
    fig = Figure(figsize=(4.6 * columns + 2.2 * legend_columns,
                          4.6 * rows + 0.8), layout='constrained')
    style = {c: dict(color=colours(k % cycle), marker=MARKERS[k // cycle %
                                                              len(MARKERS)])
             for k, c in enumerate(classes)}
    marker_size = 40 if len(panels[0]['labels']) <= 300 else 18
    for number, panel in enumerate(panels):
        ax = fig.add_subplot(rows, columns, number + 1)
        points, labels = panel['points'], panel['labels']
        for c in classes:
            mask = labels == c
            ax.scatter(points[mask, 0], points[mask, 1], s=marker_size,
                       alpha=0.85, linewidths=0.3, edgecolors='white',
                       **style[c])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(panel['title'], fontsize=10)
    handles = [Line2D([], [], linestyle='', markersize=7,
                      label=short_label(names[c], 30) +
                      (' (the class)' if c == centre else ''), **style[c])
               for c in classes]
    fig.legend(handles=handles, loc='outside right center',
               ncols=legend_columns, fontsize=8, title='class',
               frameon=False)
    fig.suptitle(title, fontsize=11)
    return save_figure(fig, path)


def run(args) -> Dict:
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'{args.config}: no such config file')
    if args.max_per_class < 1:
        raise ValueError(f'--max-per-class must be >= 1, got '
                         f'{args.max_per_class}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.ann_file:
        if not osp.isfile(args.ann_file):
            raise FileNotFoundError(f'{args.ann_file}: no such file')
        get_test_dataset_cfg(cfg).ann_file = args.ann_file
    num_classes = config_num_classes(cfg, args.config)
    states = []
    for checkpoint in args.checkpoints:  # every check before any run
        state, meta = load_checkpoint_state(checkpoint)
        check_num_classes(cfg, args.config, state, checkpoint)
        states.append((state, checkpoint_epoch(meta)))
    names = class_labels(config_class_names(cfg, num_classes), num_classes)
    if args.names and len(args.names) != len(args.checkpoints):
        raise SystemExit(f'{len(args.names)} --names for '
                         f'{len(args.checkpoints)} checkpoints')
    classes, subtitle = choose_classes(args, names)
    indices = pick_samples(get_test_labels(cfg), classes, names,
                           args.max_per_class, args.seed)
    test_cfg, allow_missing = prepare_config(cfg, indices, args.embedding,
                                             args.config)
    if allow_missing:
        print('note: the GCNHead checkpoints are read into an '
              'AffinityContrastHead for its feature embedding; mmengine '
              'will warn that the projection and the method\'s buffers are '
              'missing (they are not used)', file=sys.stderr)

    work_dir = args.work_dir or tempfile.mkdtemp(prefix='tsne_')
    panels = []
    try:
        for number, (checkpoint, (state, epoch)) in enumerate(
                zip(args.checkpoints, states)):
            print(f'[{number + 1}/{len(states)}] embedding {len(indices)} '
                  f'test clips with {checkpoint}', file=sys.stderr,
                  flush=True)
            result = embed(test_cfg, checkpoint, state, args.config,
                           allow_missing, work_dir, number)
            accuracy = float(
                (result['scores'].argmax(1) == result['labels']).mean())
            label = (f'epoch {epoch}' if epoch is not None else
                     osp.basename(checkpoint))
            if args.names:
                label = f'{args.names[number]}, {label}'

            panels.append(dict(
                points=tsne_2d(result['embeddings'], args.perplexity,
                               args.seed),
                labels=result['labels'], accuracy=accuracy,
                title=f'{label}: top-1 {100 * accuracy:.0f}% on these clips'))
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    title = (f't-SNE of the test {args.embedding} embeddings: '
             f'{len(indices)} clips of {len(classes)} classes')
    if subtitle:
        title += f'\n{subtitle}'
    draw(panels, classes, names, title, args.out,
         centre=classes[0] if args.family is not None else None)
    print(f'written to {args.out}')
    return dict(classes=classes, indices=indices, panels=panels)


def main(argv=None):
    """Run the CLI; errors in the inputs end it with SystemExit(message)."""
    args = parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError, pickle.UnpicklingError) as error:
        raise SystemExit(f'tsne.py: error: {error}')


if __name__ == '__main__':
    main(sys.argv[1:])
