"""Convert raw NW-UCLA (folder or all_sqe.tar.gz) to a PySKL-format pickle.

    python tools/data/nw_ucla_to_pyskl.py ../shared/datasets/nw_ucla/all_sqe.tar.gz \
        --out data/skeleton/nw_ucla_3d.pkl

NW-UCLA is the Northwestern-UCLA Multiview Action3D dataset.

The raw release is a folder (or ``all_sqe.tar.gz``) of JSON files
``aXX_sYY_eZZ_vWW.json``, each ``{"file_name", "skeletons": T x 20 x 3,
"label": 1..10}``: one person, Kinect v1 joints, metres. The converter keeps
every clip with its action, subject, repetition and view, labels 0..9, and
the cross-view split: train on views 1-2 (``xview_train``), test on view 3
(``xview_val``).
"""
import argparse
import json
import os
import os.path as osp
import pickle
import re
import sys
import tarfile
from typing import Dict, Iterator, List, Tuple

import numpy as np

#: Action ids of the ten classes, in label order (label = index).
NW_UCLA_ACTIONS = (1, 2, 3, 4, 5, 6, 8, 9, 11, 12)
NW_UCLA_CLASSES = ('pick up with one hand', 'pick up with two hands',
                   'drop trash', 'walk around', 'sit down', 'stand up',
                   'donning', 'doffing', 'throw', 'carry')
NUM_JOINTS = 20
TRAIN_VIEWS = (1, 2)
_NAME = re.compile(r'^a(\d+)_s(\d+)_e(\d+)_v(\d+)$')


class NWUCLAFormatError(ValueError):
    """A raw NW-UCLA file that cannot be read as a clip."""


def _iter_raw(source: str) -> Iterator[Tuple[str, bytes]]:
    """(file name, bytes) of every clip JSON in a folder or a tar(.gz)."""
    if osp.isdir(source):
        for name in sorted(os.listdir(source)):
            if name.endswith('.json'):
                with open(osp.join(source, name), 'rb') as f:
                    yield osp.join(source, name), f.read()
    elif tarfile.is_tarfile(source):
        with tarfile.open(source) as tar:
            # archive order: reading a gzip tar out of order re-decompresses
            for member in tar:
                if not (member.isfile() and member.name.endswith('.json')):
                    continue
                yield f'{source}:{member.name}', tar.extractfile(
                    member).read()
    else:
        raise FileNotFoundError(
            f'{source}: neither a folder of NW-UCLA JSON files nor a tar '
            'archive of them')


def parse_clip(path: str, raw: bytes) -> Dict:
    """One raw clip as a PySKL annotation; a clear error if malformed."""
    try:
        record = json.loads(raw)
    except ValueError as error:
        raise NWUCLAFormatError(f'{path}: not valid JSON ({error})') from None
    stem = osp.splitext(osp.basename(path.split(':')[-1]))[0]
    for field in ('file_name', 'skeletons', 'label'):
        if field not in record:
            raise NWUCLAFormatError(f'{path}: sample {stem!r} has no field '
                                    f'{field!r}')
    name = record['file_name']
    match = _NAME.match(str(name))
    if match is None:
        raise NWUCLAFormatError(
            f'{path}: sample {stem!r} field "file_name" = {name!r} is not of '
            'the form aXX_sYY_eZZ_vWW')
    action, subject, repetition, view = map(int, match.groups())
    if action not in NW_UCLA_ACTIONS:
        raise NWUCLAFormatError(f'{path}: sample {name!r} has unknown action '
                                f'a{action:02d} in field "file_name"')
    label = record['label']
    if label != NW_UCLA_ACTIONS.index(action) + 1:
        raise NWUCLAFormatError(
            f'{path}: sample {name!r} field "label" = {label!r} does not '
            f'match its action a{action:02d} (expected '
            f'{NW_UCLA_ACTIONS.index(action) + 1})')
    try:
        keypoint = np.asarray(record['skeletons'], dtype=np.float32)
    except (TypeError, ValueError):
        raise NWUCLAFormatError(
            f'{path}: sample {name!r} field "skeletons" is not a T x 20 x 3 '
            'array of numbers') from None
    if keypoint.ndim != 3 or keypoint.shape[1:] != (NUM_JOINTS, 3) \
            or keypoint.shape[0] < 1:
        raise NWUCLAFormatError(
            f'{path}: sample {name!r} field "skeletons" has shape '
            f'{keypoint.shape}, expected (T >= 1, 20, 3)')
    if not np.isfinite(keypoint).all():
        raise NWUCLAFormatError(f'{path}: sample {name!r} field "skeletons" '
                                'holds NaN or infinite coordinates')
    return dict(
        frame_dir=name,
        label=label - 1,
        total_frames=keypoint.shape[0],
        keypoint=keypoint[None],  # (M=1, T, V, C)
        action=action,
        subject=subject,
        repetition=repetition,
        view=view)


def convert_nw_ucla(source: str,
                    out_file: str,
                    min_frames: int = 1,
                    overwrite: bool = False,
                    progress: bool = True) -> Dict:
    """Convert the raw NW-UCLA release to one PySKL pickle.

    Args:
        source (str): The ``all_sqe`` folder or ``all_sqe.tar.gz``.
        out_file (str): The pickle to write.
        min_frames (int): Clips shorter than this are dropped and reported.
            Defaults to 1 (keep all; the two 1-frame clips of the release
            are kept, reported, and sampled by repeating their frame).
        overwrite (bool): Replace an existing ``out_file``. Defaults to False.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: A report: ``num_clips``, ``split`` sizes, ``short_clips``
        (names and lengths of clips under 2 frames), ``dropped``.
    """
    if osp.exists(out_file) and not overwrite:
        raise FileExistsError(f'{out_file} exists; pass overwrite=True '
                              '(--overwrite) to replace it')
    raw = sorted(_iter_raw(source))
    if not raw:
        raise FileNotFoundError(f'{source}: no .json clips found')
    items = raw
    if progress:
        from mmengine.utils import track_iter_progress
        items = track_iter_progress(raw)
    annotations: List[Dict] = []
    short, dropped = [], []
    for path, data in items:
        clip = parse_clip(path, data)
        if clip['total_frames'] < 2:
            short.append((clip['frame_dir'], clip['total_frames']))
        if clip['total_frames'] < min_frames:
            dropped.append(clip['frame_dir'])
            continue
        annotations.append(clip)
    names = [a['frame_dir'] for a in annotations]
    if len(set(names)) != len(names):
        raise NWUCLAFormatError(f'{source}: duplicate clip names')
    split = dict(
        xview_train=[a['frame_dir'] for a in annotations
                     if a['view'] in TRAIN_VIEWS],
        xview_val=[a['frame_dir'] for a in annotations
                   if a['view'] not in TRAIN_VIEWS])
    out_dir = osp.dirname(osp.abspath(out_file))
    os.makedirs(out_dir, exist_ok=True)
    tmp_file = out_file + '.tmp'
    with open(tmp_file, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations), f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp_file, out_file)  # never a half-written pickle
    return dict(
        num_clips=len(annotations),
        split={k: len(v) for k, v in split.items()},
        short_clips=short,
        dropped=dropped)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source', help='all_sqe folder or all_sqe.tar.gz')
    parser.add_argument('--out', default='data/skeleton/nw_ucla_3d.pkl')
    parser.add_argument('--min-frames', type=int, default=1,
                        help='drop clips shorter than this (default: keep)')
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and not args.overwrite:
        print(f'{args.out} exists; --overwrite to convert again')
        return 0
    try:
        report = convert_nw_ucla(args.source, args.out, args.min_frames,
                                 overwrite=args.overwrite,
                                 progress=not args.no_progress)
    except (NWUCLAFormatError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'\nwrote {args.out}: {report["num_clips"]} clips, '
          f'{report["split"]}')
    for name, frames in report['short_clips']:
        kept = 'dropped' if name in report['dropped'] else 'kept'
        print(f'  degenerate clip {name}: {frames} frame(s), {kept}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
