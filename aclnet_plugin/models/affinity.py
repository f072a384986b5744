"""Class affinity and Motion Families from confusion statistics (eq. 3-6).

Pure functions of tensors, no state. ``confusion[i, j]`` counts training
samples of class ``i`` predicted as class ``j``; the diagonal is ignored.
"""
import torch
from torch import Tensor

from ..utils import check_int


def _check_square(name: str, matrix: Tensor) -> None:
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f'{name} must be a square (C, C) matrix, got shape '
                         f'{tuple(matrix.shape)}')


def effective_num_neighbors(num_classes: int, num_neighbors: int) -> int:
    """K_eff = min(K, C - 1): a class has at most C - 1 other classes."""
    check_int('num_neighbors', num_neighbors, 1)
    return min(num_neighbors, num_classes - 1)


def confusion_neighbors(confusion: Tensor, num_neighbors: int = 10) -> Tensor:
    """Indicator I of the K_eff most confused classes of every class (eq. 3).

    ``I[i, j] = 1`` when ``j != i`` is among the K_eff classes with the
    largest ``confusion[i, j]``. Zero counts are never neighbours, and ties
    go to the lower class index.

    Args:
        confusion (Tensor): (C, C) counts, any real dtype.
        num_neighbors (int): K, the number of neighbours. Defaults to 10.

    Returns:
        Tensor: (C, C) float64 0/1 matrix.
    """
    _check_square('confusion', confusion)
    indicator, _ = _neighbors(confusion, num_neighbors)
    return indicator


def _neighbors(confusion: Tensor, num_neighbors: int):
    """I (C, C) float64 and the (C, K_eff) neighbour indices, -1 if none."""
    num_classes = confusion.shape[0]
    k = effective_num_neighbors(num_classes, num_neighbors)
    counts = confusion.detach().to(torch.float64)
    if k == 0:
        return torch.zeros_like(counts), torch.empty(
            num_classes, 0, dtype=torch.long, device=counts.device)
    # The K_eff largest counts of each row, ties going to the lower index:
    # everything above the K_eff-th largest value, then the first tied ones.
    ranked = counts.clone()
    ranked.fill_diagonal_(-1.0)  # behind every count
    kth = ranked.topk(k, dim=1).values[:, -1:]
    above = ranked > kth
    tied = ranked == kth
    free = k - above.sum(dim=1, keepdim=True)
    selected = above | (tied & (tied.cumsum(dim=1) <= free))
    selected &= counts > 0  # never confused: no neighbour
    indicator = selected.to(counts.dtype)
    # the (at most K_eff) selected columns of each row come first
    top = indicator.topk(k, dim=1).indices
    confused = indicator.gather(1, top) > 0
    return indicator, top.masked_fill(~confused, -1)


def affinity_similarity(confusion: Tensor, num_neighbors: int = 10) -> Tensor:
    """Affinity w between classes from their confusion counts (eq. 3-5).

    ``w[i, j] = I[i, j] / 2 + Mc[i, j] / max(sum_p I[i, p], 1)`` with
    ``Mc = I @ I^T`` the number of shared neighbours; the diagonal is 0.

    Args:
        confusion (Tensor): (C, C) counts, ``confusion[i, j]`` the number of
            samples of class i predicted as class j.
        num_neighbors (int): K, the number of neighbours. Defaults to 10.

    Returns:
        Tensor: (C, C) float64 affinity (float64 keeps the threshold of
        :func:`motion_families` exact).
    """
    _check_square('confusion', confusion)
    indicator, top = _neighbors(confusion, num_neighbors)
    # Mc[i, j] = sum over the neighbours p of i of I[j, p]: gathering the K
    # neighbour columns costs O(C^2 K) instead of the O(C^3) of I @ I^T.
    # Counts of 0/1 terms are exact in float32, which halves the traffic.
    valid = top >= 0
    columns = indicator.T.to(torch.float32).contiguous()
    common = columns[top.clamp(min=0)].masked_fill_(~valid[..., None], 0)
    common = common.sum(dim=1).to(indicator.dtype)
    degree = valid.sum(dim=1, keepdim=True).clamp(min=1)
    affinity = indicator / 2 + common / degree
    affinity.fill_diagonal_(0)
    return affinity


def motion_families(affinity: Tensor,
                    overlap_threshold: int = 4,
                    num_neighbors: int = 10) -> Tensor:
    """Motion Family membership (eq. 6): ``j in W(i)`` iff ``w[i, j] > n_a / K_eff``.

    Affinities are ratios of small integers, so ties at the threshold are
    common; the strict comparison is decided exactly, with a tolerance of a
    quarter of the smallest possible gap between two distinct affinity values
    (``1 / (2 K_eff^2)``), far above float rounding.

    Args:
        affinity (Tensor): (C, C) output of :func:`affinity_similarity`.
        overlap_threshold (int): n_a. Defaults to 4.
        num_neighbors (int): K, as used for the affinity. Defaults to
            10.

    Returns:
        Tensor: (C, C) bool, row i the members of class i's family; the
        diagonal is False.
    """
    _check_square('affinity', affinity)
    if overlap_threshold < 0:
        raise ValueError('overlap_threshold must be >= 0, got '
                         f'{overlap_threshold!r}')
    num_classes = affinity.shape[0]
    k = effective_num_neighbors(num_classes, num_neighbors)
    if k == 0:
        return torch.zeros_like(affinity, dtype=torch.bool)
    tolerance = 1.0 / (4 * k * k)
    members = affinity.to(torch.float64) > overlap_threshold / k + tolerance
    members.fill_diagonal_(False)
    return members
