"""Accuracy by difficulty (the paper's Table X) and confusion matrices.

The paper sorts the 60 NTU classes by the baseline's accuracy and reports
the mean accuracy of classes 1-5, 6-15, 16-30 and 31-60 (hardest first).
Here the groups keep those proportions of any number of classes: the first
1/12, the next 1/6, the next 1/4 and the last 1/2.
"""
from fractions import Fraction
from typing import Dict, List, Sequence, Tuple

import numpy as np

__all__ = [
    'PAPER_FRACTIONS', 'difficulty_groups', 'difficulty_table',
    'confusion_counts', 'row_normalise'
]

#: 5, 10, 15 and 30 of NTU-60's classes.
PAPER_FRACTIONS = (Fraction(1, 12), Fraction(1, 6), Fraction(1, 4),
                   Fraction(1, 2))


def difficulty_groups(
        num_classes: int,
        fractions: Sequence = PAPER_FRACTIONS) -> List[Tuple[int, int]]:
    """Split ``num_classes`` ranks into groups of the given proportions.

    Group boundaries are the cumulative fractions of ``num_classes``,
    rounded half up (exactly: fractions are kept as ``Fraction``), then
    moved where needed so that every group holds at least one class.

    Args:
        num_classes (int): The number of ranked classes, at least the number
            of groups.
        fractions (Sequence): The groups' shares, summing to 1. Defaults to
            :data:`PAPER_FRACTIONS` (60 classes: 5, 10, 15, 30).

    Returns:
        list[tuple[int, int]]: ``(start, stop)`` rank ranges (0-based, stop
        exclusive), hardest first, covering ``0 .. num_classes``.
    """
    fractions = [Fraction(f) for f in fractions]
    count = len(fractions)
    if count == 0 or any(f <= 0 for f in fractions) or sum(fractions) != 1:
        raise ValueError('fractions must be positive and sum to 1, got '
                         f'{[str(f) for f in fractions]}')
    if not isinstance(num_classes, (int, np.integer)) or num_classes < count:
        raise ValueError(f'{count} difficulty groups need at least {count} '
                         f'classes, got {num_classes!r}')
    bounds, total = [], Fraction(0)
    for share in fractions[:-1]:
        total += share
        bounds.append(int(num_classes * total + Fraction(1, 2)))
    bounds.append(int(num_classes))
    # at least one class per group, and room for the groups after it
    previous = 0
    for k in range(count - 1):
        bounds[k] = min(max(bounds[k], previous + 1),
                        num_classes - (count - 1 - k))
        previous = bounds[k]
    starts = [0] + bounds[:-1]
    return list(zip(starts, bounds))


def difficulty_table(baseline: Sequence[float],
                     method: Sequence[float],
                     fractions: Sequence = PAPER_FRACTIONS) -> Dict:
    """Mean accuracy of the difficulty groups, for a baseline and a method.

    Classes are ranked by the baseline's accuracy, lowest (hardest) first;
    ties keep the class order. Classes whose accuracy is NaN in either (no
    test sample) are left out.

    Args:
        baseline (Sequence[float]): (C,) per-class accuracy of the baseline.
        method (Sequence[float]): (C,) per-class accuracy of the method.
        fractions (Sequence): Group shares, see :func:`difficulty_groups`.

    Returns:
        dict: ``order`` (the ranked class indices), ``left_out`` (classes
        without samples) and ``groups``: one dict per group with ``start``,
        ``stop`` (1-based inclusive ranks ``start + 1 .. stop``),
        ``classes``, ``baseline`` and ``method`` (mean accuracies).
    """
    baseline = np.asarray(baseline, dtype=np.float64)
    method = np.asarray(method, dtype=np.float64)
    if baseline.shape != method.shape or baseline.ndim != 1:
        raise ValueError('baseline and method must be (C,) of one shape, '
                         f'got {baseline.shape} and {method.shape}')
    valid = np.isfinite(baseline) & np.isfinite(method)
    present = np.flatnonzero(valid)
    order = present[np.argsort(baseline[present], kind='stable')]
    groups = []
    for start, stop in difficulty_groups(len(order), fractions):
        classes = order[start:stop]
        groups.append(
            dict(start=start, stop=stop, classes=classes.tolist(),
                 baseline=float(baseline[classes].mean()),
                 method=float(method[classes].mean())))
    return dict(order=order.tolist(),
                left_out=np.flatnonzero(~valid).tolist(), groups=groups)


def confusion_counts(labels: Sequence[int], predictions: Sequence[int],
                     num_classes: int) -> np.ndarray:
    """Confusion matrix: ``[i, j]`` counts samples of class i predicted j.

    Args:
        labels (Sequence[int]): (N,) true classes.
        predictions (Sequence[int]): (N,) predicted classes.
        num_classes (int): C.

    Returns:
        np.ndarray: (C, C) int64 counts, the diagonal the correct ones.
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    predictions = np.asarray(predictions, dtype=np.int64).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f'{labels.size} labels for {predictions.size} '
                         'predictions')
    both = np.concatenate([labels, predictions])
    if both.size and (both.min() < 0 or both.max() >= num_classes):
        raise ValueError(f'classes must be in [0, {num_classes})')
    flat = np.bincount(labels * num_classes + predictions,
                       minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def row_normalise(matrix: np.ndarray) -> np.ndarray:
    """Every row divided by its sum (rows summing to 0 stay 0)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix),
                     where=sums > 0)
