#!/usr/bin/env python
"""Write the formulaic leaves of the ACLNet benchmark configs.

    python tools/misc/generate_configs.py            # (re)write them
    python tools/misc/generate_configs.py --check    # exit 1 if any is stale

Each benchmark folder of ``configs/aclnet/`` has one complete config, written
by hand: ACLNet, ST-GCN++, joint stream, first split (``ntu60/``,
``ntu120/``, ``pku_mmd/``, ``k400/``, ``gym/``). Everything else there is a
leaf that inherits one config and changes one thing, and this script writes
those:

- the second split (NTU-60 X-View, NTU-120 X-Set, PKU-MMD X-View): the first
  split's config with other splits (and that split's augmentation);
- the other five streams of every split (bone, k-bone and the motions): the
  joint config with the stream's ``SkeletonFeat`` and augmentation;
- the baseline of every split: the stock ``GCNHead``, no MotionFamilyHook;
- on NTU, the CTR-GCN backbone (ACLNet and baseline);
- the paper's model on every split (``aclnetgcn``): the joint config with
  the authors' backbone (``ACLNetGCN``), the head fed by its learned
  topology and trained in the authors' recipe; its five other streams and its
  baseline (cross-entropy alone on the same backbone);
- the short aliases (``configs/aclnet/ntu120_xset.py``, ...), which train
  the paper's model.

The augmentation follows the ACLNet authors' public configs (``RECIPES``).
Running it again gives the same bytes; ``--check`` is what the tests run.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List

DEFAULT_OUT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'aclnet')

# name in file names: (SkeletonFeat feat, words)
STREAMS = {
    'joint': ('j', 'joint'),
    'bone': ('b', 'bone (joint minus its parent)'),
    'kbone': ('k', 'k-bone (joint minus its grandparent)'),
    'joint-motion': ('jm', 'joint motion'),
    'bone-motion': ('bm', 'bone motion'),
    'kbone-motion': ('km', 'k-bone motion'),
}
# The public configs add a left/right joint swap ('flip') or a limb drop
# ('drop') to some streams of the 3D benchmarks; nothing on the 2D ones.
RECIPES = {
    'ntu60-xsub': dict(b='flip', k='flip', bm='flip', km='flip'),
    'ntu60-xview': dict(k='drop', km='drop'),
    'ntu120-xsub': dict(j='flip', b='flip', k='drop', jm='flip', bm='flip',
                        km='drop'),
    'ntu120-xset': dict(b='flip', k='flip', bm='flip', km='flip'),
    'pku-mmd-xsub': {f: 'drop' for f in ('j', 'b', 'k', 'jm', 'bm', 'km')},
    'pku-mmd-xview': {f: 'drop' for f in ('j', 'b', 'k', 'jm', 'bm', 'km')},
}
AUGMENT = {
    'flip': ("dict(type='SkeletonFlip', layout='nturgb+d', p=0.5, "
             'axis=None),',
             'a left/right joint swap (p = 0.5, coordinates not mirrored)'),
    'drop': ("dict(type='LimbDrop', layout='nturgb+d', p=0.2,\n"
             "         limbs=['left_arm', 'right_arm', 'left_leg', "
             "'right_leg']),",
             'a limb drop (p = 0.2, one arm or leg zeroed over the clip)'),
}


class Split:
    """One benchmark split; ``first`` is the split of the complete config."""

    def __init__(self, key, folder, title, dim, clip_len, alias, splits,
                 first=None, ctrgcn=False):
        self.key, self.folder, self.title, self.dim = key, folder, title, dim
        self.clip_len, self.alias, self.splits = clip_len, alias, splits
        self.first, self.ctrgcn = first, ctrgcn

    def name(self, arm='aclnet', backbone='stgcnpp', stream='joint'):
        return (f'{arm}_{backbone}_8xb16-{stream}-u{self.clip_len}-150e_'
                f'{self.key}-keypoint-{self.dim}.py')

    def aug(self, feat):
        return RECIPES.get(self.key, {}).get(feat)


SPLITS = [
    Split('ntu60-xsub', 'ntu60', 'NTU RGB+D 60, cross-subject', '3d', 100,
          'ntu60_xsub', ('xsub_train', 'xsub_val'), ctrgcn=True),
    Split('ntu60-xview', 'ntu60', 'NTU RGB+D 60, cross-view', '3d', 100,
          'ntu60_xview', ('xview_train', 'xview_val'), 'ntu60-xsub', True),
    Split('ntu120-xsub', 'ntu120', 'NTU RGB+D 120, cross-subject', '3d', 100,
          'ntu120_xsub', ('xsub_train', 'xsub_val'), ctrgcn=True),
    Split('ntu120-xset', 'ntu120', 'NTU RGB+D 120, cross-setup', '3d', 100,
          'ntu120_xset', ('xset_train', 'xset_val'), 'ntu120-xsub', True),
    Split('pku-mmd-xsub', 'pku_mmd', 'PKU-MMD, cross-subject', '3d', 50,
          'pku_mmd_xsub', ('xsub_train', 'xsub_val')),
    Split('pku-mmd-xview', 'pku_mmd', 'PKU-MMD, cross-view', '3d', 50,
          'pku_mmd_xview', ('xview_train', 'xview_val'), 'pku-mmd-xsub'),
    Split('k400', 'k400', 'Kinetics-400', '2d', 100, 'kinetics',
          ('train', 'val')),
    Split('gym', 'gym', 'FineGYM', '2d', 100, 'finegym', ('train', 'val')),
]
BY_KEY = {split.key: split for split in SPLITS}


def comment(*paragraphs: str) -> str:
    """Prose as '# ' lines filled to 79 columns."""
    import textwrap
    lines = []
    for paragraph in paragraphs:
        lines += textwrap.wrap(paragraph, 77, break_on_hyphens=False) + ['']
    return ''.join(f'# {line}'.rstrip() + '\n' for line in lines[:-1])


def recipe_words(split: Split, feat: str) -> str:
    aug = split.aug(feat)
    what = AUGMENT[aug][1] if aug else 'no joint swap or limb drop'
    return (f"Augmentation as the ACLNet authors' public config for "
            f'{split.title}, this stream: {what}.')


def pipelines(split: Split, feat: str) -> str:
    """The three pipelines of a split and stream, as config text."""
    if split.dim == '3d':
        head, layout, persons = ["dict(type='FastPreNormalize3D'),"], \
            'nturgb+d', 2
    else:
        head, layout, persons = ["dict(type='Coco17To20'),"], 'coco20', 2
        if split.key == 'k400':
            head.insert(0, "dict(type='DecompressPose', squeeze=True, "
                        'max_person=2),')
        else:
            persons = 1
    stream = f"dict(type='SkeletonFeat', layout='{layout}', feats=['{feat}']),"
    aug = split.aug(feat)
    train = head + (["dict(type='RandomRot', theta=0.2),"]
                    if split.dim == '3d' else [])
    train += ([AUGMENT['flip'][0], stream] if aug == 'flip' else
              [stream, AUGMENT['drop'][0]] if aug == 'drop' else [stream])
    sample = "dict(type='FastUniformSampleFrames', clip_len=clip_len"
    tail = ["dict(type='PoseDecode'),",
            f"dict(type='FormatGCNInput', num_person={persons}),",
            "dict(type='PackActionInputs')"]
    text = 'clip_len = {{_base_.clip_len}}\n'
    for name, steps, clips in (('train', train, None),
                               ('val', head + [stream], 1),
                               ('test', head + [stream], 10)):
        steps = steps + [sample + ('),' if clips is None else
                                   f', num_clips={clips},\n'
                                   '         test_mode=True),')] + tail
        text += f'{name}_pipeline = [\n'
        text += ''.join(f'    {step}\n' for step in steps) + ']\n'
    return text


def loaders(splits=None, pipelines=False) -> str:
    """The dataloader overrides: splits and / or pipelines."""
    text = ''
    for name in ('train', 'val', 'test'):
        args = []
        if splits:
            args.append(f"split='{splits[0 if name == 'train' else 1]}'")
        if pipelines:
            args.append(f'pipeline={name}_pipeline')
        sep = ',\n    ' if len(args) > 1 else ', '
        inner = f'dict({sep.join(args)})'
        if name == 'train':
            inner = f'dict(dataset={inner})'
        text += f'{name}_dataloader = dict(dataset={inner})\n'
    return text


def split_config(split: Split) -> str:
    first = BY_KEY[split.first]
    train, val = split.splits
    text = comment(
        f'ACLNet on {split.title}, ST-GCN++, joint stream: the config of '
        f'{first.title} with the {train} / {val} splits. The other streams, '
        'variants and the baseline of this split inherit it.')
    text += f"_base_ = './{first.name()}'\n\n"
    if split.aug('j') == first.aug('j'):
        return text + loaders(split.splits)
    text += comment(recipe_words(split, 'j')) + pipelines(split, 'j')
    return text + loaders(split.splits, pipelines=True)


BACKBONES = dict(stgcnpp='ST-GCN++', ctrgcn='CTR-GCN',
                 aclnetgcn="the paper's model (ACLNetGCN, topology input)")


def stream_config(split: Split, stream: str) -> str:
    feat, words = STREAMS[stream]
    text = comment(
        f'ACLNet on {split.title}, ST-GCN++, {words} stream: the joint-stream '
        f"config with SkeletonFeat(feats=['{feat}']) in its pipelines.",
        recipe_words(split, feat))
    text += f"_base_ = './{split.name()}'\n\n" + pipelines(split, feat)
    return text + loaders(pipelines=True)


def paper_config(split: Split, stream: str) -> str:
    """The paper's model: the ST-GCN++ config of the split and stream with
    ACLNetGCN and the topology-fed head (``_base_/models/aclnetgcn.py``)."""
    words = STREAMS[stream][1]
    text = comment(
        f"ACLNet as the paper builds it, on {split.title}, {words} stream: "
        'the ST-GCN++ config of this split and stream with the authors\' '
        'backbone (ACLNetGCN) and the head fed by its last block\'s learned '
        "topology, trained as the authors' public code trains it "
        "(recipe='authors'; both in ../_base_/models/aclnetgcn.py). Data, "
        'augmentation and schedule '
        '(150 epochs, cosine by iteration, no warm-up, families from epoch '
        '30) are those of the ST-GCN++ config.')
    text += (f"_base_ = [\n    './{split.name(stream=stream)}',\n"
             "    '../_base_/models/aclnetgcn.py'\n]\n\n")
    return text + (
        f'model = dict(\n    backbone={{{{_base_.aclnetgcn_{split.dim}}}}},\n'
        f'    cls_head={{{{_base_.topology_head_{split.dim}}}}})\n')


def ctrgcn_config(split: Split) -> str:
    text = comment(
        f'ACLNet on {split.title}, joint stream, with the CTR-GCN backbone '
        'of aclnet_plugin: the ST-GCN++ config with the backbone swapped '
        '(its output has 256 channels too).')
    text += f"_base_ = './{split.name()}'\n\n"
    text += ("model = dict(\n    backbone=dict(\n        _delete_=True,\n"
             "        type='CTRGCN',\n        in_channels=3,\n"
             '        base_channels=64,\n'
             "        graph_cfg=dict(layout='nturgb+d', mode='spatial')))\n")
    return text


def baseline_config(split: Split, backbone: str) -> str:
    paper = backbone == 'aclnetgcn'
    text = comment(
        f'Baseline for ACLNet on {split.title}, {BACKBONES[backbone]}, '
        'joint stream: the ACLNet config beside this file with the stock '
        'GCNHead (no projection, no contrastive losses) and no '
        'MotionFamilyHook' + (' (the backbone returns no topology)'
                              if paper else '') +
        '; data, backbone and schedule are the same.')
    text += f"_base_ = './{split.name(backbone=backbone)}'\n\n"
    text += 'model = dict(\n'
    if paper:
        text += '    backbone=dict(out_topology=False),\n'
    text += ("    cls_head=dict(\n        _delete_=True,\n"
             "        type='GCNHead',\n"
             '        num_classes={{_base_.num_classes}},\n'
             f'        in_channels={384 if paper else 256}))\n'
             'custom_hooks = []\n')
    return text


def alias_config(split: Split) -> str:
    text = comment(f"Short name for ACLNet as the paper builds it (the "
                   "authors' backbone, the topology-fed losses), joint "
                   f'stream, on {split.title}.')
    text += f'#   mim train mmaction configs/aclnet/{split.alias}.py\n'
    return text + (f"_base_ = './{split.folder}/"
                   f"{split.name(backbone='aclnetgcn')}'\n")


def all_configs() -> Dict[str, str]:
    """``{path relative to configs/aclnet/: text}`` of every leaf."""
    files = {}
    for split in SPLITS:
        def add(name, text, folder=split.folder):
            files[f'{folder}/{name}'] = text

        if split.first:
            add(split.name(), split_config(split))
        for stream in STREAMS:
            if stream != 'joint':
                add(split.name(stream=stream), stream_config(split, stream))
        add(split.name('baseline'), baseline_config(split, 'stgcnpp'))
        if split.ctrgcn:
            add(split.name(backbone='ctrgcn'), ctrgcn_config(split))
            add(split.name('baseline', 'ctrgcn'),
                baseline_config(split, 'ctrgcn'))
        for stream in STREAMS:
            add(split.name(stream=stream, backbone='aclnetgcn'),
                paper_config(split, stream))
        add(split.name('baseline', 'aclnetgcn'),
            baseline_config(split, 'aclnetgcn'))
        files[f'{split.alias}.py'] = alias_config(split)
    return files


def write(out_dir: str, check: bool = False) -> List[str]:
    """Write (or with ``check`` only compare) every leaf; return the paths
    (relative to ``out_dir``) written, or with ``check`` the stale ones."""
    changed = []
    for rel, text in all_configs().items():
        path = osp.join(out_dir, rel)
        if osp.exists(path):
            with open(path, encoding='utf-8') as f:
                if f.read() == text:
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
                        help='write nothing; exit 1 if a leaf is missing or '
                        'differs from what would be written')
    args = parser.parse_args(argv)
    changed = write(args.out_dir, check=args.check)
    total = len(all_configs())
    if args.check:
        for rel in changed:
            print(f'stale or missing: {rel}')
        print(f'{total - len(changed)} of {total} leaves up to date')
        return 1 if changed else 0
    print(f'{len(changed)} of {total} leaves written to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
