"""Tiny skeleton pickles of every kind the benchmark configs read: 3D NTU-like,
2D COCO with scores (FineGYM-like), and Kinetics' compressed per-video files.
"""
import os.path as osp
import pickle

import numpy as np

SPLITS = ('xsub_train', 'xsub_val', 'xview_train', 'xview_val', 'xset_train',
          'xset_val', 'train', 'val')
NUM_LABELS = 51  # labels of the tiny data: valid for every benchmark


def _skeleton_3d(rng, frames):
    """A wobbling 25-joint body, joints spread around a spine."""
    base = rng.normal(0, 0.3, size=(25, 3)).astype(np.float32)
    base[0] = [0, 0, 0]
    base[1] = [0, 0, 0.3]  # spine up the z axis
    base[4], base[8] = [-0.2, 0, 0.5], [0.2, 0, 0.5]  # shoulders
    drift = rng.normal(0, 0.01, size=(frames, 25, 3)).cumsum(0)
    return base[None] + drift.astype(np.float32) + np.float32([0, 0, 2.5])


def _names(count, prefix):
    return [f'{prefix}{i:03d}' for i in range(count)]


def _split(names):
    names = list(names)
    return {split: list(names) for split in SPLITS}


def write_3d(path, count=6, seed=0):
    rng = np.random.default_rng(seed)
    annotations = []
    for i, name in enumerate(_names(count, 'S001C001P001R001A')):
        frames = int(rng.integers(12, 20))
        persons = 1 + i % 2
        keypoint = np.stack(
            [_skeleton_3d(rng, frames) for _ in range(persons)])
        annotations.append(
            dict(frame_dir=name, label=int(i * 7 % NUM_LABELS),
                 total_frames=frames, keypoint=keypoint))
    with open(path, 'wb') as f:
        pickle.dump(dict(split=_split(a['frame_dir'] for a in annotations),
                         annotations=annotations), f)


def _coco_pixels(rng, frames, persons):
    centre = rng.uniform([400, 300], [1500, 800], size=(persons, 1, 1, 2))
    offsets = rng.normal(0, 60, size=(persons, 1, 17, 2))
    drift = rng.normal(0, 3, size=(persons, frames, 17, 2)).cumsum(1)
    return (centre + offsets + drift).astype(np.float32)


def write_2d(path, count=6, seed=1):
    """FineGYM-like: keypoints and scores in the annotations, one person."""
    rng = np.random.default_rng(seed)
    annotations = []
    for i, name in enumerate(_names(count, 'gym_')):
        frames = int(rng.integers(12, 20))
        annotations.append(
            dict(frame_dir=name, label=int(i * 5 % NUM_LABELS),
                 total_frames=frames, img_shape=(1080, 1920),
                 original_shape=(1080, 1920),
                 keypoint=_coco_pixels(rng, frames, 1),
                 keypoint_score=rng.uniform(
                     0.2, 1, size=(1, frames, 17)).astype(np.float32)))
    with open(path, 'wb') as f:
        pickle.dump(dict(split=_split(a['frame_dir'] for a in annotations),
                         annotations=annotations), f)


def write_kinetics(path, kpfile, count=6, seed=2):
    """Kinetics-like: a table of contents and one PySKL-style kpfile.

    Frames hold 0 to 3 persons (some none, squeezed out by DecompressPose;
    some three, of which it keeps two).
    """
    rng = np.random.default_rng(seed)
    annotations, videos = [], {}
    for i, name in enumerate(_names(count, 'k400_')):
        frames = int(rng.integers(14, 22))
        rows, inds = [], []
        for t in range(frames):
            persons = [1, 2, 3, 0][(t + i) % 4] if t else 1
            for _ in range(persons):
                xy = _coco_pixels(rng, 1, 1)[0, 0]
                score = rng.uniform(0.1, 1, size=(17, 1))
                rows.append(np.concatenate([xy, score], axis=1))
                inds.append(t)
        videos[name] = dict(keypoint=np.stack(rows).astype(np.float16))
        annotations.append(
            dict(frame_dir=name, label=int(i * 3 % NUM_LABELS),
                 total_frames=frames, img_shape=(720, 1280),
                 original_shape=(720, 1280),
                 frame_inds=np.array(inds, dtype=np.int16),
                 box_score=rng.uniform(0.3, 1, len(inds)).astype(np.float16),
                 raw_file=osp.basename(kpfile)))
    with open(path, 'wb') as f:
        pickle.dump(dict(split=_split(videos), annotations=annotations), f)
    with open(kpfile, 'wb') as f:
        pickle.dump(videos, f)
