#!/usr/bin/env python
"""Write the ACLNet benchmark configs under ``configs/aclnet/``.

    python tools/misc/generate_configs.py             # (re)write them
    python tools/misc/generate_configs.py --check     # exit 1 if any is stale
    python tools/misc/generate_configs.py --out-dir /tmp/cfgs   # elsewhere

One folder per dataset (``ntu60/``, ``ntu120/``, ``k400/``, ``gym/``,
``pku_mmd/``) holds, for every split, six streams (joint, bone, k-bone and
their motions) x two arms (ACLNet, and the baseline: the stock ``GCNHead``
without the ``MotionFamilyHook``), with an ST-GCN++ backbone, and on NTU
RGB+D 60/120 with a CTR-GCN backbone too. Short aliases (``ntu60_xsub.py``
...) for the joint stream of ACLNet sit in ``configs/aclnet/`` itself.

The files inherit, so each one is short and says what it changes:

- ``aclnet_stgcnpp_8xb16-joint-...``: the complete config of a split;
- ``aclnet_stgcnpp_8xb16-{stream}-...``: the joint config with the stream's
  ``SkeletonFeat(feats=[...])`` in its three pipelines;
- ``aclnet_ctrgcn_8xb16-{stream}-...``: the ST-GCN++ config of the same
  stream with the backbone swapped;
- ``baseline_{backbone}_8xb16-{stream}-...``: the ACLNet config of the same
  backbone and stream with the stock head and no hook;
- the aliases: ``_base_`` only.

Running it again gives the same bytes (the files are a function of the
tables below); ``--check`` is what the tests run. Nothing else under
``configs/aclnet/`` (the demo config, ``nw_ucla/``, the README) is touched.
"""
import argparse
import os
import os.path as osp
import sys
import textwrap
from collections import OrderedDict
from typing import Dict, List, NamedTuple, Optional, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_OUT = osp.join(REPO, 'configs', 'aclnet')

# ----------------------------------------------------------------------------
# What is generated
# ----------------------------------------------------------------------------
# (name in file names, SkeletonFeat feat, words)
STREAMS = [
    ('joint', 'j', 'joint'),
    ('bone', 'b', 'bone (joint minus its parent)'),
    ('kbone', 'k', 'k-bone (joint minus its grandparent)'),
    ('joint-motion', 'jm', 'joint motion'),
    ('bone-motion', 'bm', 'bone motion'),
    ('kbone-motion', 'km', 'k-bone motion'),
]
BACKBONES = OrderedDict(stgcnpp='ST-GCN++', ctrgcn='CTR-GCN')

GPUS, BATCH, CLIP_LEN = 8, 16, 100
REPEAT_TIMES, MAX_EPOCHS = 5, 30  # 150 paper epochs
FAMILY_START_EPOCH = 6  # paper epoch 30 of 150
LR_PER_64 = 0.1
TEST_CLIPS = 10

# The 'coco20' graph of aclnet_plugin.datasets.layouts, written literally
# (configs cannot import Python); the tests check it still matches
# get_layout('coco20').graph_cfg().
COCO20_GRAPH = dict(
    num_node=20,
    inward=[[0, 18], [1, 0], [2, 0], [3, 1], [4, 2], [5, 18], [6, 18],
            [7, 5], [8, 6], [9, 7], [10, 8], [11, 17], [12, 17], [13, 11],
            [14, 12], [15, 13], [16, 14], [17, 19], [18, 19]],
    center=19)


class Benchmark(NamedTuple):
    key: str  # the {dataset}-{split} part of the file names
    folder: str
    title: str
    ann_file: str
    num_classes: int
    train_split: str
    val_split: str
    dim: str  # '3d' or '2d'
    memory_size: int
    memory_note: str
    alias: str
    paper: str  # the published number, for the README
    ctrgcn: bool = False
    num_person: int = 2
    kpfile_dir: Optional[str] = None  # Kinetics: per-video keypoint files
    save_best: str = 'auto'
    # another split of the same data: this split's joint config inherits
    # that benchmark's complete config and changes only the splits
    split_of: Optional[str] = None
    # same data format and model as that benchmark: this one's joint config
    # inherits that complete config and changes data file, classes, splits
    # and queue
    like: Optional[str] = None
    # paragraphs for the header; a paragraph starting with '$ ' is a command
    notes: Tuple[str, ...] = ()

    @property
    def layout(self) -> str:
        return 'nturgb+d' if self.dim == '3d' else 'coco20'


NTU60_MEMORY = ('NTU-60: 512, as the public code: with 60 classes a batch of '
                '16 rarely holds two samples of a class; the queue holds ~8 '
                'per class.')
NTU120_MEMORY = 'NTU-120: 1024, as the public code; ~8 per class.'
PKU_MEMORY = ("PKU-MMD: 512, our choice: 51 classes, close to NTU-60's 60, "
              "so NTU-60's queue; ~10 per class.")
PKU_NOTES = ('Your own PySKL-format pickle of the segmented actions of '
             'PKU-MMD phase 1: 25 Kinect v2 joints (the NTU RGB+D layout), '
             'splits xsub_train, xsub_val, xview_train, xview_val, labels '
             '0-50.', )

BENCHMARKS = [
    Benchmark(
        key='ntu60-xsub', folder='ntu60',
        title='NTU RGB+D 60, cross-subject', ann_file='ntu60_3danno.pkl',
        num_classes=60, train_split='xsub_train', val_split='xsub_val',
        dim='3d', memory_size=512, memory_note=NTU60_MEMORY,
        alias='ntu60_xsub', paper='93.6; joint stream 91.44', ctrgcn=True),
    Benchmark(
        key='ntu60-xview', split_of='ntu60-xsub', folder='ntu60',
        title='NTU RGB+D 60, cross-view', ann_file='ntu60_3danno.pkl',
        num_classes=60, train_split='xview_train', val_split='xview_val',
        dim='3d', memory_size=512, memory_note=NTU60_MEMORY,
        alias='ntu60_xview', paper='97.7', ctrgcn=True),
    Benchmark(
        key='ntu120-xsub', like='ntu60-xsub', folder='ntu120',
        title='NTU RGB+D 120, cross-subject', ann_file='ntu120_3danno.pkl',
        num_classes=120, train_split='xsub_train', val_split='xsub_val',
        dim='3d', memory_size=1024, memory_note=NTU120_MEMORY,
        alias='ntu120_xsub', paper='90.7', ctrgcn=True),
    Benchmark(
        key='ntu120-xset', split_of='ntu120-xsub', folder='ntu120',
        title='NTU RGB+D 120, cross-setup', ann_file='ntu120_3danno.pkl',
        num_classes=120, train_split='xset_train', val_split='xset_val',
        dim='3d', memory_size=1024, memory_note=NTU120_MEMORY,
        alias='ntu120_xset', paper='92.3; joint stream 88.33', ctrgcn=True),
    Benchmark(
        key='k400', folder='k400', title='Kinetics-400 (2D HRNet skeletons)',
        ann_file='k400_hrnet.pkl', num_classes=400, train_split='train',
        val_split='val', dim='2d', memory_size=2048,
        memory_note='Kinetics: 2048, as the public code; ~5 per class.',
        alias='kinetics', paper='52.1 top-1, 75.9 top-5',
        kpfile_dir='kpfiles',
        notes=(
            "k400_hrnet.pkl is a table of contents: the keypoints of a "
            "video are in their own file {kpfile_dir}/<frame_dir>.pkl "
            "(PoseDataset's data_prefix), one row per detected person and "
            "frame, which DecompressPose unpacks. PySKL ships them as a few "
            "big kpfiles; split those with",
            '$ python tools/misc/split_k400_kpfiles.py KPFILES '
            '{kpfile_dir}',
        )),
    Benchmark(
        key='gym', folder='gym', title='FineGYM (99 element classes)',
        ann_file='gym_hrnet.pkl', num_classes=99, train_split='train',
        val_split='val', dim='2d', memory_size=1024,
        memory_note=("FineGYM: 1024, our choice: 99 classes, close to "
                     "NTU-120's 120, so NTU-120's queue; ~10 per class."),
        alias='finegym', paper='96.0 mean-class accuracy', num_person=1,
        save_best='acc/mean1',
        notes=('One athlete per clip (ground-truth boxes), so one person. '
               'The paper reports mean-class accuracy: acc/mean1 in the log, '
               'which also picks the best checkpoint.', )),
    Benchmark(
        key='pku-mmd-xsub', like='ntu60-xsub', folder='pku_mmd',
        title='PKU-MMD phase 1 (51 actions), cross-subject',
        ann_file='pku_mmd_3d.pkl', num_classes=51, train_split='xsub_train',
        val_split='xsub_val', dim='3d', memory_size=512,
        memory_note=PKU_MEMORY, alias='pku_mmd_xsub', paper='97.3',
        notes=PKU_NOTES),
    Benchmark(
        key='pku-mmd-xview', split_of='pku-mmd-xsub', folder='pku_mmd',
        title='PKU-MMD phase 1 (51 actions), cross-view',
        ann_file='pku_mmd_3d.pkl', num_classes=51, train_split='xview_train',
        val_split='xview_val', dim='3d', memory_size=512,
        memory_note=PKU_MEMORY, alias='pku_mmd_xview', paper='98.7',
        notes=PKU_NOTES),
]


def config_name(arm: str, backbone: str, stream: str, bm: Benchmark) -> str:
    """The OpenMMLab file name of one config."""
    epochs = REPEAT_TIMES * MAX_EPOCHS
    return (f'{arm}_{backbone}_{GPUS}xb{BATCH}-{stream}-u{CLIP_LEN}-'
            f'{epochs}e_{bm.key}-keypoint-{bm.dim}.py')


def config_path(arm: str, backbone: str, stream: str, bm: Benchmark) -> str:
    """Path relative to ``configs/aclnet/``."""
    return f'{bm.folder}/{config_name(arm, backbone, stream, bm)}'


def backbones_of(bm: Benchmark) -> List[str]:
    return ['stgcnpp', 'ctrgcn'] if bm.ctrgcn else ['stgcnpp']


# ----------------------------------------------------------------------------
# Text of the configs
# ----------------------------------------------------------------------------
def _comment(lines, indent=''):
    """Comment lines, verbatim."""
    return ''.join(f'{indent}# {line}'.rstrip() + '\n' for line in lines)


def _wrap(*paragraphs, indent='') -> str:
    """Prose as comment lines, each paragraph filled to 79 columns."""
    width = 79 - len(indent) - 2
    lines = []
    for i, paragraph in enumerate(paragraphs):
        if i:
            lines.append('')
        lines += textwrap.wrap(paragraph, width, break_on_hyphens=False)
    return _comment(lines, indent)


def _feat(stream: str) -> str:
    return {name: feat for name, feat, _ in STREAMS}[stream]


def _words(stream: str) -> str:
    return {name: words for name, _, words in STREAMS}[stream]


def _override_command(bm: Benchmark) -> List[str]:
    """Comment lines: how to point the config at another pickle."""
    folder = bm.folder
    lines = [
        f'  mim train mmaction configs/aclnet/{folder}/<this file> \\',
        '    --cfg-options train_dataloader.dataset.dataset.ann_file=PKL \\',
        '    val_dataloader.dataset.ann_file=PKL \\',
        '    test_dataloader.dataset.ann_file=PKL',
    ]
    if bm.kpfile_dir:
        lines[-1] += ' \\'
        lines += [
            '    train_dataloader.dataset.dataset.data_prefix.skeleton=DIR \\',
            '    val_dataloader.dataset.data_prefix.skeleton=DIR \\',
            '    test_dataloader.dataset.data_prefix.skeleton=DIR',
        ]
    return lines


def pipelines(bm: Benchmark, feat_expr: str, clip_expr: str) -> str:
    """The train / val / test pipelines of a benchmark, as config text."""
    if bm.dim == '3d':
        head = ["dict(type='PreNormalize3D'),"]
        train_extra = ["dict(type='RandomRot', theta=0.2),"]
        feat = (f"dict(type='SkeletonFeat', layout='nturgb+d', "
                f'feats={feat_expr}),')
    else:
        head = []
        if bm.kpfile_dir:
            head.append("dict(type='DecompressPose', squeeze=True, "
                        'max_person=2),')
        head += ["dict(type='Coco17To20'),", "dict(type='PreNormalize2D'),"]
        train_extra = []
        feat = (f"dict(type='SkeletonFeat', layout='coco20', "
                f'feats={feat_expr}),')
    tail = [
        "dict(type='PoseDecode'),",
        f"dict(type='FormatGCNInput', num_person={bm.num_person}),",
        "dict(type='PackActionInputs')",
    ]

    def block(name, extra, sample):
        lines = head + extra + [feat] + sample + tail
        body = ''.join(f'    {line}\n' for line in lines)
        return f'{name} = [\n{body}]\n'

    sample = "dict(type='UniformSampleFrames', clip_len=" + clip_expr
    train = block('train_pipeline', train_extra, [sample + '),'])
    val = block('val_pipeline', [],
                [sample + ',', '     num_clips=1, test_mode=True),'])
    test = block('test_pipeline', [], [
        sample + ',', f'     num_clips={TEST_CLIPS}, test_mode=True),'])
    return train + val + test


def _dataset(bm: Benchmark, split: str, pipeline: str, indent: str,
             test_mode: bool, close: str) -> str:
    lines = ["type='PoseDataset',", 'ann_file=ann_file,']
    if bm.kpfile_dir:
        lines.append('data_prefix=dict(skeleton=kpfile_dir),')
    lines += [f'pipeline={pipeline},', f"split='{split}',"]
    if test_mode:
        lines.append('test_mode=True,')
    lines[-1] = lines[-1][:-1] + close
    inner = indent + '    '
    return 'dict(\n' + ''.join(f'{inner}{line}\n' for line in lines)


def _benchmark(key: str) -> Benchmark:
    return next(bm for bm in BENCHMARKS if bm.key == key)


def _memory_queue(bm: Benchmark) -> str:
    """The head's last argument: the benchmark's queue, with its reason."""
    return (_wrap('A queue of recent embeddings joins the intra-class '
                  'contrast. ' + bm.memory_note, indent=' ' * 8) +
            f'        memory_size={bm.memory_size}))\n\n')


def _header(bm: Benchmark, path: str) -> str:
    kpfile_dir = f'data/skeleton/{bm.kpfile_dir}'
    others = ('the other streams, the CTR-GCN variants and the baselines'
              if bm.ctrgcn else 'the other streams and the baselines')
    what = ('the complete config of this benchmark' if not bm.like else
            f'the config of {_benchmark(bm.like).title} (same skeletons, '
            'model and recipe) with this data file, classes, splits and '
            'queue')
    text = _wrap(
        f'ACLNet (affinity contrastive learning) on {bm.title}, with an '
        f'ST-GCN++ backbone, joint stream: {what}, which {others} beside it '
        'inherit. Written by tools/misc/generate_configs.py.')
    text += '#\n'
    text += _wrap(f"Data: {bm.ann_file} (PySKL format) in data/skeleton/.")
    for note in bm.notes:
        note = note.replace('{kpfile_dir}', kpfile_dir)
        if note.startswith('$ '):
            text += _comment(['  ' + note[2:]])
        else:
            text += _wrap(note)
    text += _comment(['Elsewhere:'] + _override_command(bm))
    text += _comment([
        f'Train on {GPUS} GPUs x {BATCH} clips:',
        f'  mim train mmaction configs/aclnet/{bm.folder}/<this file> \\',
        f'    --launcher pytorch --gpus {GPUS}',
    ])
    return text


SCHEDULE_BASE = '_base_/schedule_sgd_150e.py'


def schedule_config() -> str:
    """The schedule, optimiser and hooks every complete config shares."""
    paper_epochs = REPEAT_TIMES * MAX_EPOCHS
    start = FAMILY_START_EPOCH
    text = _wrap(
        "ACLNet's training schedule from the paper, shared by the complete "
        'benchmark configs (which set model and data): SGD, cosine, 150 '
        'epochs, Motion Families from epoch 30. Written by '
        'tools/misc/generate_configs.py.')
    text += "_base_ = 'mmaction::_base_/default_runtime.py'\n\n"
    text += _wrap(
        f"Schedule: the paper's {paper_epochs} epochs are {MAX_EPOCHS} "
        f'runner epochs over RepeatDataset(times={REPEAT_TIMES}) '
        f'({REPEAT_TIMES} x {MAX_EPOCHS} = {paper_epochs}, the '
        f'"{paper_epochs}e" of the name): runner epoch e (1-based, as '
        f'logged) is paper epochs {REPEAT_TIMES}e-{REPEAT_TIMES - 1} to '
        f'{REPEAT_TIMES}e.')
    text += f'repeat_times = {REPEAT_TIMES}\n'
    text += f'max_epochs = {MAX_EPOCHS}\n'
    text += _wrap(
        f'The affinity starts at paper epoch {start * REPEAT_TIMES} of '
        f'{paper_epochs} = runner epoch {start} of {MAX_EPOCHS}: '
        f'confusions are counted in runner epoch {start} (paper epochs '
        f'{(start - 1) * REPEAT_TIMES + 1}-{start * REPEAT_TIMES}), the '
        'first Motion Families are computed at its end and the inter-class '
        f'loss acts from runner epoch {start + 1} (paper epoch '
        f'{start * REPEAT_TIMES + 1}) on.')
    text += f'family_start_epoch = {start}\n\n'
    text += _wrap('Logs acc/top1, acc/top5 and acc/mean1 (mean-class '
                  'accuracy).')
    text += "val_evaluator = [dict(type='AccMetric')]\n"
    text += 'test_evaluator = val_evaluator\n\n'

    text += 'train_cfg = dict(\n'
    text += "    type='EpochBasedTrainLoop',\n"
    text += '    max_epochs=max_epochs,\n'
    text += '    val_begin=1,\n'
    text += '    val_interval=1)\n'
    text += "val_cfg = dict(type='ValLoop')\n"
    text += "test_cfg = dict(type='TestLoop')\n\n"
    text += 'param_scheduler = [\n'
    text += '    dict(\n'
    text += "        type='CosineAnnealingLR',\n"
    text += '        eta_min=0,\n'
    text += '        T_max=max_epochs,\n'
    text += '        by_epoch=True,\n'
    text += '        convert_to_iter_based=True)\n'
    text += ']\n'
    total = GPUS * BATCH
    lr = LR_PER_64 * total / 64
    text += _wrap(
        'The paper: SGD with nesterov momentum 0.9, weight decay 5e-4, lr '
        f'{LR_PER_64} for a batch of 64, scaled linearly: {GPUS} GPUs x '
        f'{BATCH} = {total} -> lr {lr:g}. With another total batch add '
        f'--auto-scale-lr (lr x batch / {total}) or set the lr.')
    text += 'optim_wrapper = dict(\n'
    text += '    optimizer=dict(\n'
    text += "        type='SGD',\n"
    text += f'        lr={lr:g},\n'
    text += '        momentum=0.9,\n'
    text += '        weight_decay=0.0005,\n'
    text += '        nesterov=True))\n'
    text += f'auto_scale_lr = dict(enable=False, base_batch_size={total})\n\n'

    text += _wrap(
        'Counts confusions and recomputes the Motion Families, in runner '
        'epochs (see family_start_epoch). Class names for its log and JSON: '
        '--cfg-options custom_hooks.0.class_names=FILE (one name a line).')
    text += 'custom_hooks = [\n'
    text += ("    dict(type='MotionFamilyHook', "
             'start_epoch=family_start_epoch)\n')
    text += ']\n'
    text += 'default_hooks = dict(\n'
    text += ('    checkpoint=dict(interval=1, max_keep_ckpts=3, '
             "save_best='auto'),\n")
    text += '    logger=dict(interval=100))\n'
    return text


def full_config(bm: Benchmark) -> str:
    """The complete config: ACLNet, ST-GCN++, joint stream."""
    path = config_path('aclnet', 'stgcnpp', 'joint', bm)
    text = _header(bm, path)
    text += f"_base_ = '../{SCHEDULE_BASE}'\n\n"
    text += ("custom_imports = dict(imports=['aclnet_plugin'], "
             'allow_failed_imports=False)\n\n')
    text += f"ann_file = 'data/skeleton/{bm.ann_file}'\n"
    if bm.kpfile_dir:
        text += f"kpfile_dir = 'data/skeleton/{bm.kpfile_dir}'\n"
    text += f'num_classes = {bm.num_classes}\n'
    text += f'clip_len = {CLIP_LEN}\n'
    text += '\n'

    if bm.dim == '3d':
        graph = "dict(layout='nturgb+d', mode='spatial')"
        text += _wrap('3D: 25 Kinect v2 joints, (x, y, z) each, on the '
                      "'nturgb+d' graph.")
    else:
        indent = ' ' * len('                inward=[')
        # '\0' keeps each pair on one line
        pairs = ', '.join(f'[{a},\0{b}]' for a, b in COCO20_GRAPH['inward'])
        inward = textwrap.fill(
            pairs, 78, initial_indent=indent, subsequent_indent=indent,
            break_long_words=False).lstrip().replace('\0', ' ')
        graph = ('dict(\n'
                 '            layout=dict(\n'
                 f"                num_node={COCO20_GRAPH['num_node']},\n"
                 f'                inward=[{inward}],\n'
                 f"                center={COCO20_GRAPH['center']}),\n"
                 "            mode='spatial')")
        text += _wrap(
            '2D: the 17 COCO keypoints plus hip centre, shoulder centre and '
            'their midpoint (Coco17To20), (x, y, score) each, on the '
            "'coco20' graph of aclnet_plugin.datasets.layouts "
            "(get_layout('coco20').graph_cfg(), written out).")
    text += 'model = dict(\n'
    text += "    type='RecognizerGCN',\n"
    text += '    backbone=dict(\n'
    text += "        type='STGCN',\n"
    text += '        in_channels=3,\n'
    text += "        gcn_adaptive='init',\n"
    text += '        gcn_with_res=True,\n'
    text += "        tcn_type='mstcn',\n"
    text += f'        graph_cfg={graph}),\n'
    text += '    cls_head=dict(\n'
    text += "        type='AffinityContrastHead',\n"
    text += '        num_classes=num_classes,\n'
    text += '        in_channels=256,\n'
    text += _wrap(
        "The paper's settings, written out: a 256-d projection, K = 10 "
        'confused classes, n_a = 4 (family threshold 0.4), prototype '
        'momentum 0.9, lambda1 = lambda2 = 0.1, margin 0.1, tau 0.1, family '
        'temperatures 0.1 / 0.5 / 1.0.', indent=' ' * 8)
    text += '        embed_dim=256,\n'
    text += '        num_neighbors=10,\n'
    text += '        overlap_threshold=4,\n'
    text += '        prototype_momentum=0.9,\n'
    text += ("        loss_inter=dict(type='AffinityContrastLoss', "
             'loss_weight=0.1),\n')
    text += '        loss_intra=dict(\n'
    text += "            type='MarginalContrastLoss',\n"
    text += '            margin=0.1,\n'
    text += '            temperature=0.1,\n'
    text += '            loss_weight=0.1),\n'
    text += '        family_temperature=dict(\n'
    text += "            type='FamilyAwareTemperature',\n"
    text += '            temperatures=(0.1, 0.5, 1.0)),\n'
    text += _memory_queue(bm)

    if bm.dim == '3d':
        text += _wrap(
            "PySKL's 3D recipe: PreNormalize3D, then in training a random "
            'rotation of up to 0.2 rad about each axis (RandomRot). The '
            'stream is computed on the whole clip, before sampling.')
    else:
        text += _wrap(
            ('DecompressPose keeps the two most confident persons of every '
             'frame (sorted by keypoint score when a frame has more). '
             if bm.kpfile_dir else '') +
            'Coco17To20 adds the three centre joints and merges the score '
            'into the keypoints; PreNormalize2D maps x, y to [-1, 1] by the '
            "video's img_shape. The stream is computed on the whole clip, "
            'before sampling; scores are averaged, not differenced.')
    text += pipelines(bm, "['j']", 'clip_len') + '\n'

    train_ds = _dataset(bm, bm.train_split, 'train_pipeline', ' ' * 8,
                        False, ')))')
    text += 'train_dataloader = dict(\n'
    text += f'    batch_size={BATCH},\n'
    text += '    num_workers=4,\n'
    text += '    persistent_workers=True,\n'
    text += "    sampler=dict(type='DefaultSampler', shuffle=True),\n"
    text += '    dataset=dict(\n'
    text += "        type='RepeatDataset',\n"
    text += '        times={{_base_.repeat_times}},\n'
    text += f'        dataset={train_ds}'
    for name, pipeline, batch in (('val', 'val_pipeline', BATCH),
                                  ('test', 'test_pipeline', 4)):
        ds = _dataset(bm, bm.val_split, pipeline, ' ' * 4, True, '))')
        text += f'{name}_dataloader = dict(\n'
        text += f'    batch_size={batch},\n'
        text += '    num_workers=4,\n'
        text += '    persistent_workers=True,\n'
        text += "    sampler=dict(type='DefaultSampler', shuffle=False),\n"
        text += f'    dataset={ds}'
    text += '\n'
    if bm.save_best != 'auto':
        text += _wrap(f'Keep the best checkpoint by {bm.save_best}.')
        text += ('default_hooks = dict(checkpoint=dict('
                 f"save_best='{bm.save_best}'))\n")
    return text


def like_config(bm: Benchmark) -> str:
    """ACLNet, ST-GCN++, joint, a benchmark of the same skeleton format as
    another: that one's complete config with this data, classes, splits and
    queue."""
    other = _benchmark(bm.like)
    path = config_path('aclnet', 'stgcnpp', 'joint', bm)
    base = osp.join('..', other.folder,
                    config_name('aclnet', 'stgcnpp', 'joint', other))
    text = _header(bm, path)
    text += f"_base_ = '{base}'\n\n"
    text += f"ann_file = 'data/skeleton/{bm.ann_file}'\n"
    text += f'num_classes = {bm.num_classes}\n\n'
    text += 'model = dict(\n'
    text += '    cls_head=dict(\n'
    text += '        num_classes=num_classes,\n'
    text += _memory_queue(bm)
    text += ('train_dataloader = dict(dataset=dict(dataset=dict(\n'
             f"    ann_file=ann_file, split='{bm.train_split}')))\n")
    for name in ('val', 'test'):
        text += (f'{name}_dataloader = dict(\n    dataset=dict('
                 f"ann_file=ann_file, split='{bm.val_split}'))\n")
    return text


def split_config(bm: Benchmark) -> str:
    """ACLNet, ST-GCN++, joint, another split: the first split's config."""
    first = _benchmark(bm.split_of)
    base = config_name('aclnet', 'stgcnpp', 'joint', first)
    text = _wrap(
        f'ACLNet on {bm.title}, ST-GCN++, joint stream: the config of '
        f'{first.title} with the {bm.train_split} / {bm.val_split} splits. '
        'The other streams and variants of this split inherit it. Written '
        'by tools/misc/generate_configs.py.')
    text += f"_base_ = './{base}'\n\n"
    text += ('train_dataloader = dict(dataset=dict(dataset=dict('
             f"split='{bm.train_split}')))\n")
    text += f"val_dataloader = dict(dataset=dict(split='{bm.val_split}'))\n"
    text += f"test_dataloader = dict(dataset=dict(split='{bm.val_split}'))\n"
    return text


def stream_config(bm: Benchmark, stream: str) -> str:
    """ACLNet, ST-GCN++, another stream: the joint config's data changed."""
    base = config_name('aclnet', 'stgcnpp', 'joint', bm)
    feat = _feat(stream)
    text = _wrap(
        f'ACLNet on {bm.title}, ST-GCN++, {_words(stream)} stream: the '
        "joint-stream config with SkeletonFeat(feats=['" + feat + "']) in "
        'its pipelines. Written by tools/misc/generate_configs.py.')
    text += f"_base_ = './{base}'\n\n"
    text += pipelines(bm, f"['{feat}']", str(CLIP_LEN)) + '\n'
    text += ('train_dataloader = dict(dataset=dict(dataset=dict('
             'pipeline=train_pipeline)))\n')
    text += 'val_dataloader = dict(dataset=dict(pipeline=val_pipeline))\n'
    text += 'test_dataloader = dict(dataset=dict(pipeline=test_pipeline))\n'
    return text


def ctrgcn_config(bm: Benchmark, stream: str) -> str:
    """ACLNet, CTR-GCN: the ST-GCN++ config of the stream, new backbone."""
    base = config_name('aclnet', 'stgcnpp', stream, bm)
    text = _wrap(
        f'ACLNet on {bm.title}, {_words(stream)} stream, with a CTR-GCN '
        'backbone (aclnet_plugin): the ST-GCN++ config of this stream with '
        'the backbone swapped; its output has 256 channels too. Written by '
        'tools/misc/generate_configs.py.')
    text += f"_base_ = './{base}'\n\n"
    text += 'model = dict(\n'
    text += '    backbone=dict(\n'
    text += '        _delete_=True,\n'
    text += "        type='CTRGCN',\n"
    text += '        in_channels=3,\n'
    text += '        base_channels=64,\n'
    text += "        graph_cfg=dict(layout='nturgb+d', mode='spatial')))\n"
    return text


def baseline_config(bm: Benchmark, backbone: str, stream: str) -> str:
    """The stock GCNHead and no hook, on top of the ACLNet config."""
    base = config_name('aclnet', backbone, stream, bm)
    text = _wrap(
        f'Baseline for ACLNet on {bm.title}, {BACKBONES[backbone]}, '
        f'{_words(stream)} stream: the ACLNet config beside this file with '
        'the stock GCNHead (no projection, no contrastive losses) and no '
        'MotionFamilyHook; data, backbone and schedule are the same. '
        'Written by tools/misc/generate_configs.py.')
    text += f"_base_ = './{base}'\n\n"
    text += 'model = dict(\n'
    text += '    cls_head=dict(\n'
    text += '        _delete_=True,\n'
    text += "        type='GCNHead',\n"
    text += f'        num_classes={bm.num_classes},\n'
    text += '        in_channels=256))\n'
    text += 'custom_hooks = []\n'
    return text


def alias_config(bm: Benchmark) -> str:
    target = config_path('aclnet', 'stgcnpp', 'joint', bm)
    text = _wrap(f'Short name for ACLNet, ST-GCN++, joint stream, on '
                 f'{bm.title}. Written by tools/misc/generate_configs.py.')
    text += _comment([f'  mim train mmaction configs/aclnet/{bm.alias}.py'])
    text += f"_base_ = './{target}'\n"
    return text


def all_configs() -> Dict[str, str]:
    """``{path relative to configs/aclnet/: text}`` of every config."""
    files = OrderedDict()
    files[SCHEDULE_BASE] = schedule_config()
    for bm in BENCHMARKS:
        for backbone in backbones_of(bm):
            for stream, _, _ in STREAMS:
                path = config_path('aclnet', backbone, stream, bm)
                if backbone == 'ctrgcn':
                    files[path] = ctrgcn_config(bm, stream)
                elif stream == 'joint':
                    files[path] = (split_config(bm) if bm.split_of else
                                   like_config(bm) if bm.like else
                                   full_config(bm))
                else:
                    files[path] = stream_config(bm, stream)
                files[config_path('baseline', backbone, stream, bm)] = \
                    baseline_config(bm, backbone, stream)
    for bm in BENCHMARKS:
        files[f'{bm.alias}.py'] = alias_config(bm)
    return files


def write(out_dir: str, check: bool = False) -> List[str]:
    """Write (or, with ``check``, compare) every config.

    Returns:
        list[str]: The paths (relative to ``out_dir``) that were written, or
        with ``check`` the ones that are missing or differ.
    """
    changed = []
    for rel, text in all_configs().items():
        path = osp.join(out_dir, rel)
        old = None
        if osp.exists(path):
            with open(path, encoding='utf-8') as f:
                old = f.read()
        if old == text:
            continue
        changed.append(rel)
        if not check:
            os.makedirs(osp.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', default=DEFAULT_OUT,
                        help='where to write (default: configs/aclnet)')
    parser.add_argument('--check', action='store_true',
                        help='write nothing; exit 1 if a config is missing '
                        'or differs from what would be written')
    args = parser.parse_args(argv)
    changed = write(args.out_dir, check=args.check)
    total = len(all_configs())
    if args.check:
        for rel in changed:
            print(f'stale or missing: {rel}')
        print(f'{total - len(changed)} of {total} configs up to date')
        return 1 if changed else 0
    print(f'{len(changed)} of {total} configs written to {args.out_dir} '
          f'({total - len(changed)} unchanged)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
