"""An untrained identity baseline: nearest neighbours on bone lengths.

    python tools/analysis/body_shape_baseline.py data/skeleton/kgbd_reid.pkl

Body shape alone identifies people well on metric 3D skeletons, so a learned
gait model must be compared with it. Every probe and gallery sequence (or
every ``--clip-len``-frame window of it) becomes the median length of each
bone of its layout over its frames; each bone's length is standardised over
all probe and gallery items (no labels used), and probes are ranked against
the gallery by cosine similarity with the project's retrieval scores (the
same ranking, ties and mAP as the EmbeddingRetrievalMetric). Nothing is
trained.
"""
import argparse
import pickle
import sys

import numpy as np
import torch

from aclnet_plugin.datasets import get_layout
from aclnet_plugin.evaluation import retrieval_scores


def bone_lengths(keypoint: np.ndarray, bones) -> np.ndarray:
    """(T, B) length of each bone in each frame of person 0, NaN where a
    joint of the bone is missing (all zero)."""
    xyz = keypoint[0].astype(np.float64)  # (T, V, C)
    child, parent = np.array(bones).T
    lengths = np.linalg.norm(xyz[:, child] - xyz[:, parent], axis=-1)
    missing = ~(xyz != 0).any(-1)
    return np.where(missing[:, child] | missing[:, parent], np.nan, lengths)


def shape_features(annotations, bones, clip_len=None):
    """Median bone lengths per sequence (``clip_len`` None) or per window
    of ``clip_len`` frames (non-overlapping); returns (features (N, B),
    subjects (N,), frame_dirs)."""
    features, subjects, names = [], [], []
    for ann in annotations:
        lengths = bone_lengths(ann['keypoint'], bones)
        if clip_len is None:
            windows = [lengths]
        else:
            count = max(1, len(lengths) // clip_len)
            windows = [lengths[i * clip_len:(i + 1) * clip_len]
                       for i in range(count)]
        for window in windows:
            features.append(np.nanmedian(window, axis=0))
            subjects.append(ann['subject'])
            names.append(ann['frame_dir'])
    return np.array(features), np.array(subjects), names


def evaluate(ann_file, probe_split='probe', gallery_split='gallery',
             layout='nw-ucla', clip_len=None):
    """Rank-1, rank-5 and mAP (percent) of the bone-length baseline."""
    with open(ann_file, 'rb') as f:
        data = pickle.load(f)
    bones = get_layout(layout).bones
    by_name = {a['frame_dir']: a for a in data['annotations']}
    roles = {}
    for role, split in (('probe', probe_split), ('gallery', gallery_split)):
        if split not in data['split']:
            raise KeyError(f'{ann_file}: no split {split!r} (it has '
                           f'{sorted(data["split"])})')
        roles[role] = [by_name[name] for name in data['split'][split]]
    feats = {role: shape_features(anns, bones, clip_len)
             for role, anns in roles.items()}
    both = np.concatenate([feats['probe'][0], feats['gallery'][0]])
    mean, std = np.nanmean(both, axis=0), np.nanstd(both, axis=0)

    def standard(x):
        x = (x - mean) / np.where(std > 0, std, 1)
        return torch.from_numpy(np.nan_to_num(x)).float()

    scores = retrieval_scores(
        standard(feats['probe'][0]), torch.from_numpy(feats['probe'][1]),
        standard(feats['gallery'][0]),
        torch.from_numpy(feats['gallery'][1]))
    return dict(rank1=scores['rank1'], rank5=scores['rank5'],
                mAP=scores['mAP'], num_probes=len(feats['probe'][0]),
                num_gallery=len(feats['gallery'][0]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='a PySKL pickle with probe and '
                        'gallery splits and a subject per sample')
    parser.add_argument('--probe-split', default='probe')
    parser.add_argument('--gallery-split', default='gallery')
    parser.add_argument('--layout', default='nw-ucla',
                        help='the skeleton layout whose bones are measured')
    parser.add_argument('--clip-len', type=int, nargs='*', default=[],
                        help='also score windows of these many frames')
    args = parser.parse_args(argv)
    print('| level | probes | gallery | rank-1 (%) | rank-5 (%) | mAP (%) |')
    print('| --- | --- | --- | --- | --- | --- |')
    for clip_len in [None] + args.clip_len:
        result = evaluate(args.ann_file, args.probe_split, args.gallery_split,
                          args.layout, clip_len)
        level = 'sequence' if clip_len is None else f'{clip_len}-frame clip'
        print(f'| {level} | {result["num_probes"]} | '
              f'{result["num_gallery"]} | {result["rank1"]:.1f} | '
              f'{result["rank5"]:.1f} | {result["mAP"]:.1f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
