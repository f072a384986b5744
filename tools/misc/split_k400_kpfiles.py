#!/usr/bin/env python
"""Split PySKL's Kinetics-400 kpfiles into one keypoint file per video.

    python tools/misc/split_k400_kpfiles.py KPFILES data/skeleton/kpfiles \
        --ann-file data/skeleton/k400_hrnet.pkl

PySKL's ``k400_hrnet.pkl`` holds no keypoints: each annotation names, in
``raw_file``, one of a few large *kpfiles*, pickles of
``{frame_dir: {'keypoint': (N, 17, 3) array}}`` (one row per detected person
and frame, ``x, y, score``; the frame of each row is the annotation's
``frame_inds``). mmaction2 1.x's ``PoseDataset`` instead reads
``{data_prefix['skeleton']}/{frame_dir}.pkl`` for every sample and merges its
keys into the sample, where ``DecompressPose`` unpacks them. This tool writes
those per-video files from the kpfiles.

``KPFILES`` is a kpfile, or a folder searched recursively for ``*.pkl``.
Videos whose file already exists are skipped, so an interrupted run can be
restarted. With ``--ann-file``, the videos of the annotation file that still
have no keypoint file are reported, and the exit status is 1 if there are any.
"""
import argparse
import glob
import os
import os.path as osp
import pickle
import sys
from typing import Dict, Iterable, List


def find_kpfiles(source: str) -> List[str]:
    """The kpfiles: ``source`` itself, or the ``*.pkl`` under it."""
    if osp.isfile(source):
        return [source]
    if not osp.isdir(source):
        raise FileNotFoundError(f'{source} is neither a file nor a folder')
    files = sorted(
        glob.glob(osp.join(source, '**', '*.pkl'), recursive=True))
    if not files:
        raise FileNotFoundError(f'no *.pkl under {source}')
    return files


def video_path(out_dir: str, frame_dir: str) -> str:
    """Where ``PoseDataset`` looks for the keypoints of ``frame_dir``."""
    return osp.join(out_dir, frame_dir + '.pkl')


def split_kpfile(path: str, out_dir: str, overwrite: bool = False) -> Dict:
    """Write one file per video of a kpfile.

    Returns:
        dict: ``written`` and ``skipped`` counts.
    """
    with open(path, 'rb') as f:
        videos = pickle.load(f)
    if not isinstance(videos, dict):
        raise ValueError(f'{path}: expected a dict of frame_dir -> '
                         f'{{"keypoint": array}}, got {type(videos).__name__}')
    written = skipped = 0
    for frame_dir, item in videos.items():
        if not isinstance(item, dict) or 'keypoint' not in item:
            raise ValueError(f'{path}: the entry of {frame_dir!r} has no '
                             '"keypoint"')
        out = video_path(out_dir, frame_dir)
        if not overwrite and osp.exists(out):
            skipped += 1
            continue
        os.makedirs(osp.dirname(out), exist_ok=True)
        tmp = out + '.tmp'
        with open(tmp, 'wb') as f:
            pickle.dump(dict(item), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, out)  # never leave a half-written file behind
        written += 1
    return dict(written=written, skipped=skipped)


def missing_videos(ann_file: str, out_dir: str) -> List[str]:
    """The ``frame_dir`` of the annotations without a keypoint file."""
    with open(ann_file, 'rb') as f:
        data = pickle.load(f)
    annotations: Iterable = data['annotations'] if isinstance(
        data, dict) else data
    return [
        a['frame_dir'] for a in annotations
        if not osp.exists(video_path(out_dir, a['frame_dir']))
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('kpfiles', help='a kpfile, or a folder of them')
    parser.add_argument('out_dir', help='where the per-video files go')
    parser.add_argument('--ann-file',
                        help='k400_hrnet.pkl: report its videos left '
                        'without a keypoint file')
    parser.add_argument('--overwrite', action='store_true',
                        help='rewrite files that already exist')
    args = parser.parse_args(argv)

    total = dict(written=0, skipped=0)
    for path in find_kpfiles(args.kpfiles):
        counts = split_kpfile(path, args.out_dir, args.overwrite)
        for key in total:
            total[key] += counts[key]
        print(f'{path}: {counts["written"]} written, '
              f'{counts["skipped"]} already there')
    print(f'{total["written"]} videos written, {total["skipped"]} skipped, '
          f'into {args.out_dir}')
    if args.ann_file:
        missing = missing_videos(args.ann_file, args.out_dir)
        if missing:
            print(f'{len(missing)} videos of {args.ann_file} have no '
                  f'keypoint file, e.g. {missing[:5]}')
            return 1
        print(f'every video of {args.ann_file} has its keypoint file')
    return 0


if __name__ == '__main__':
    sys.exit(main())
