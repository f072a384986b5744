"""Test predictions dumped by mmaction2: reading them and scoring them."""
import pickle

import numpy as np
from mmaction.evaluation.functional import (mean_class_accuracy,
                                            top_k_accuracy)


def to_numpy(value):
    if hasattr(value, 'detach'):  # torch.Tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _sample_label(label, path, index):
    label = to_numpy(label).reshape(-1)
    if label.size != 1:
        raise ValueError(
            f'{path}: sample {index} has gt_label {label.tolist()}; only '
            'single-label dumps can be fused')
    return int(label[0])


def load_dump(path):
    """Read one dump; return ``(scores (N, C) float64, labels (N,) int64)``.

    ``labels`` is None for a dump without labels (a plain array of scores).
    """
    with open(path, 'rb') as f:
        data = pickle.load(f)
    if isinstance(data, np.ndarray) or hasattr(data, 'detach'):
        scores = to_numpy(data).astype(np.float64)
        if scores.ndim != 2:
            raise ValueError(f'{path}: a score array must be (N, C), got '
                             f'shape {scores.shape}')
        return scores, None
    if not isinstance(data, (list, tuple)) or len(data) == 0:
        raise ValueError(
            f'{path}: expected a non-empty list of per-sample predictions '
            f'(the pickle of `--dump`), got {type(data).__name__}'
            + (' of length 0' if isinstance(data, (list, tuple)) else ''))

    if not isinstance(data[0], dict) and not hasattr(data[0], 'to_dict'):
        # mmaction2 0.x `--out`: a list of score vectors, no labels
        rows = [to_numpy(row).reshape(-1) for row in data]
        if len({row.size for row in rows}) != 1:
            raise ValueError(f'{path}: the score vectors differ in length')
        return np.stack(rows).astype(np.float64), None

    scores, labels = [], []
    for index, sample in enumerate(data):
        if hasattr(sample, 'to_dict'):  # an ActionDataSample pickled as is
            sample = sample.to_dict()
        if not isinstance(sample, dict) or 'pred_score' not in sample:
            raise ValueError(f'{path}: sample {index} has no pred_score; is '
                             'this the pickle written by `--dump`?')
        score = sample['pred_score']
        if isinstance(score, dict):
            raise ValueError(
                f'{path}: sample {index} holds a dict of scores '
                f'({sorted(score)}); pass one score per stream')
        score = to_numpy(score).astype(np.float64)
        while score.ndim > 1 and score.shape[0] == 1:
            score = score[0]
        if score.ndim != 1:
            raise ValueError(f'{path}: sample {index} has pred_score of '
                             f'shape {score.shape}, expected (num_classes,)')
        if index and score.shape != scores[0].shape:
            raise ValueError(
                f'{path}: sample {index} has {score.shape[0]} class scores, '
                f'sample 0 has {scores[0].shape[0]}')
        scores.append(score)
        if 'gt_label' in sample:
            labels.append(_sample_label(sample['gt_label'], path, index))
        elif labels:
            raise ValueError(f'{path}: sample {index} has no gt_label')
    if labels and len(labels) != len(scores):
        raise ValueError(f'{path}: sample 0 has no gt_label, others do')
    return (np.stack(scores),
            np.asarray(labels, dtype=np.int64) if labels else None)


def accuracies(scores, labels):
    """Top-1, top-5 and mean-class accuracy (fractions), as AccMetric.

    mmaction's mean-class accuracy averages the per-class recall over the
    classes that occur in the labels or the predictions (a class predicted
    but absent from the labels counts 0); on a test set holding every
    class this is the usual mean per-class recall.
    """
    labels = [int(x) for x in labels]
    top1, top5 = top_k_accuracy(scores, labels, (1, 5))
    return dict(top1=float(top1), top5=float(top5),
                mean_class=float(mean_class_accuracy(scores, labels)))


def per_class_accuracy(scores, labels):
    """Recall of every class (NaN for a class absent from the labels)."""
    preds = np.asarray(scores).argmax(axis=1)
    labels = np.asarray(labels)
    return [float((preds[labels == c] == c).mean()) if (labels == c).any()
            else float('nan') for c in range(np.asarray(scores).shape[1])]
