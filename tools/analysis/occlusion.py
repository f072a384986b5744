"""Robustness to occlusion (the paper's Table IX): test a checkpoint with one
body part zeroed at a time.

The checkpoint is tested once on full skeletons and once per occluded part,
with mmengine's Runner on the config's test set (test_dataloader; AccMetric
top-1). For each part, an `OcclusionMask` (aclnet_plugin) is inserted into
the test pipeline right before the stream feature (`SkeletonFeat` /
`GenSkeFeat`), i.e. after the normalisation: the part's joints are zero in
every frame, and the bone and motion streams come from the occluded joints.
The parts are those of the layout (`SkeletonLayout.parts`): left_arm,
right_arm, two_hands, two_legs, trunk for a body ('nturgb+d', 'coco',
'coco20', 'nw-ucla'), thumb, index, middle, ring, pinky for 'fpha-hand'.
The layout is read from the pipeline's stream transform (or --layout).

Prints a markdown table: top-1 per occluded part and its drop from the full
skeleton (percentage points), beside a baseline's when
--baseline-checkpoint is given (with its own --baseline-config, by default
CONFIG). A checkpoint whose classifier or weights do not fit its config
(another dataset, another model) is an error, before anything runs.

Example::

    python tools/analysis/occlusion.py \\
        configs/aclnet/nw_ucla/aclnet_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py \\
        work_dirs/aclnet_ucla/epoch_40.pth \\
        --baseline-config configs/aclnet/nw_ucla/baseline_stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py \\
        --baseline-checkpoint work_dirs/baseline_ucla/epoch_40.pth \\
        --out work_dirs/occlusion_ucla.md
"""
import argparse
import copy
import os.path as osp
import shutil
import sys
import tempfile
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from aclnet_plugin.analysis import (check_num_classes, get_test_dataset_cfg,
                                    load_checkpoint_state, run_test)
from aclnet_plugin.datasets import get_layout

STREAM_TRANSFORMS = ('SkeletonFeat', 'GenSkeFeat', 'JointToBone', 'ToMotion')
#: Transforms that only pick frames or format: the occlusion may go before
#: them when a pipeline has no stream transform.
LATE_TRANSFORMS = ('UniformSampleFrames', 'SampleFrames', 'PoseDecode',
                   'FormatGCNInput', 'PackActionInputs')
FULL = 'none (full skeleton)'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='occlusion.py',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoint was '
                        'trained with')
    parser.add_argument('checkpoint', help='the checkpoint to test')
    parser.add_argument('--baseline-config', metavar='CFG',
                        help='the baseline\'s config (default: CONFIG)')
    parser.add_argument('--baseline-checkpoint', metavar='CKPT',
                        help='a baseline checkpoint, tested the same way')
    parser.add_argument('--parts', nargs='+', metavar='PART',
                        help='the parts to occlude (default: all the '
                        'layout\'s parts)')
    parser.add_argument('--layout', help='the skeleton layout (default: the '
                        'one of the test pipeline\'s stream transform)')
    parser.add_argument('--ann-file', help='test on this annotation file '
                        'instead of the config\'s')
    parser.add_argument('--name', help='the checkpoint\'s column name '
                        '(default: ACLNet for an AffinityContrastHead, else '
                        'the head type)')
    parser.add_argument('--baseline-name', default='baseline',
                        help='the baseline\'s column name (default: '
                        'baseline)')
    parser.add_argument('--out', metavar='FILE.md',
                        help='also write the table to this file')
    parser.add_argument('--work-dir', help='keep the test runs\' logs here '
                        '(default: a temporary folder, removed)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of both configs, as '
                        'mmengine\'s key=value (e.g. '
                        'test_dataloader.batch_size=64)')
    return parser.parse_args(argv)


def _type(transform) -> str:
    kind = transform.get('type') if isinstance(transform, dict) else None
    return kind if isinstance(kind, str) else type(kind).__name__


def pipeline_layout(pipeline: Sequence) -> Optional[str]:
    """The layout named by the pipeline's stream transform, or None."""
    for transform in pipeline:
        kind = _type(transform)
        if kind == 'SkeletonFeat':
            layout = transform.get('layout', 'nturgb+d')
            return layout if isinstance(layout, str) else None
        if kind in ('GenSkeFeat', 'JointToBone'):
            return transform.get('dataset', 'nturgb+d')
    return None


def insert_occlusion(pipeline: Sequence, layout: str, part: str,
                     config_path: str) -> List:
    """A copy of ``pipeline`` with ``OcclusionMask(layout, part)`` inserted
    before the stream transform (else before frame sampling)."""
    pipeline = [copy.deepcopy(t) for t in pipeline]
    kinds = [_type(t) for t in pipeline]
    if 'OcclusionMask' in kinds:
        raise ValueError(f'{config_path}: the test pipeline already has an '
                         'OcclusionMask')
    position = next((i for i, k in enumerate(kinds)
                     if k in STREAM_TRANSFORMS), None)
    if position is None:
        position = next((i for i, k in enumerate(kinds)
                         if k in LATE_TRANSFORMS), None)
    if position is None:
        raise ValueError(
            f'{config_path}: the test pipeline ({kinds}) has no stream '
            f'transform ({", ".join(STREAM_TRANSFORMS)}) nor frame sampling '
            'to put the occlusion before')
    pipeline.insert(position,
                    dict(type='OcclusionMask', layout=layout, part=part))
    return pipeline


class Arm:
    """One checkpoint with its config, checked against each other."""

    def __init__(self, config: str, checkpoint: str, args,
                 name: Optional[str] = None):
        if not osp.isfile(config):
            raise FileNotFoundError(f'{config}: no such config file')
        self.config, self.checkpoint = config, checkpoint
        self.cfg = Config.fromfile(config)
        if args.cfg_options:
            self.cfg.merge_from_dict(args.cfg_options)
        dataset = get_test_dataset_cfg(self.cfg)
        if args.ann_file:
            if not osp.isfile(args.ann_file):
                raise FileNotFoundError(f'{args.ann_file}: no such file')
            dataset.ann_file = args.ann_file
        self.cfg.test_evaluator = [dict(type='AccMetric')]
        self.state, _ = load_checkpoint_state(checkpoint)
        check_num_classes(self.cfg, config, self.state, checkpoint)
        head = self.cfg.model.cls_head.get('type')
        self.name = name or ('ACLNet' if head == 'AffinityContrastHead'
                             else str(head))
        self.layout = args.layout or pipeline_layout(dataset.pipeline)
        if self.layout is None:
            raise ValueError(f'{config}: no layout found in the test pipeline '
                             '(no SkeletonFeat / GenSkeFeat); pass --layout')

    def config_for(self, part: Optional[str]):
        """The config testing with ``part`` occluded (None: full)."""
        cfg = copy.deepcopy(self.cfg)
        if part is not None:
            dataset = get_test_dataset_cfg(cfg)
            dataset.pipeline = insert_occlusion(dataset.pipeline, self.layout,
                                                part, self.config)
        return cfg

    def evaluate(self, parts: Sequence[str], work_dir: str) -> Dict:
        """{part (None: full skeleton): top-1 (fraction)}."""
        results = {}
        for number, part in enumerate([None] + list(parts)):
            print(f'[{self.name}] {number + 1}/{len(parts) + 1}: '
                  f'{part or "full skeleton"}', file=sys.stderr, flush=True)
            metrics = run_test(
                self.config_for(part), self.checkpoint,
                osp.join(work_dir, self.name), self.config, state=self.state,
                name=f'occlusion_{part or "full"}')
            results[part] = float(metrics['acc/top1'])
        return results


def check_parts(arms: List[Arm], wanted: Optional[Sequence[str]]) -> List[str]:
    """The parts to occlude: known to every arm's layout."""
    layouts = [get_layout(arm.layout, 'layout') for arm in arms]
    parts = list(wanted) if wanted else list(layouts[0].parts)
    for arm, layout in zip(arms, layouts):
        if not layout.parts:
            raise ValueError(f'layout {layout.name!r} of {arm.config} names '
                             'no occlusion parts')
        unknown = [p for p in parts if p not in layout.parts]
        if unknown:
            raise ValueError(
                f'parts {unknown} are not parts of layout {layout.name!r} '
                f'({arm.config}); its parts: {list(layout.parts)}')
    if len(set(parts)) != len(parts):
        raise ValueError(f'--parts repeats a part: {parts}')
    return parts


def table(arms: List[Arm], results: List[Dict], parts: Sequence[str],
          layout) -> str:
    """The markdown table (top-1 % and drop in points per part)."""
    head = ['occluded part', 'joints']
    for arm in arms:
        head += [f'{arm.name} top-1', 'drop']
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    for part in [None] + list(parts):
        cells = [FULL if part is None else part.replace('_', ' '),
                 str(0 if part is None else len(layout.parts[part]))]
        for result in results:
            cells.append(f'{100 * result[part]:.2f}')
            cells.append('' if part is None else
                         f'{100 * (result[None] - result[part]):.2f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def run(args) -> Dict:
    if args.baseline_config and not args.baseline_checkpoint:
        raise ValueError('--baseline-config needs --baseline-checkpoint')
    arms = [Arm(args.config, args.checkpoint, args, args.name)]
    if args.baseline_checkpoint:
        arms.append(Arm(args.baseline_config or args.config,
                        args.baseline_checkpoint, args, args.baseline_name))
        if arms[0].name == arms[1].name:
            arms[1].name += ' (baseline)'
    parts = check_parts(arms, args.parts)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='occlusion_')
    try:
        results = [arm.evaluate(parts, work_dir) for arm in arms]
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    layout = get_layout(arms[0].layout)
    text = (f'Top-1 (%) on the test set with one part occluded (layout '
            f'{layout.name!r}); drop = full-skeleton top-1 minus occluded '
            'top-1, in points.\n\n' + table(arms, results, parts, layout))
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
        print(f'written to {args.out}')
    return dict(parts=parts, results={a.name: r
                                      for a, r in zip(arms, results)},
                text=text)


def main(argv=None):
    """Run the CLI; errors in the inputs end it with SystemExit(message)."""
    args = parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError) as error:
        raise SystemExit(f'occlusion.py: error: {error}')


if __name__ == '__main__':
    main(sys.argv[1:])
