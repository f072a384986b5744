"""The two training recipes of :class:`AffinityContrastHead`.

``'equations'`` follows the paper's equations (METHOD.md); ``'authors'``
trains as the authors' public code (firework8/ACLNet) does, which produced
the paper's figures. They differ in a few pure functions and facts, gathered
in one :class:`Recipe` each, which the head picks once:

====================  ================================  ===================================
                      ``'equations'``                   ``'authors'``
====================  ================================  ===================================
counts of a batch     errors at (true, predicted)       errors, and for every sample i and
                                                        every sample j of another class
                                                        predicted as i's class, one count at
                                                        (class of i, class of j)
families from counts  the K most confused classes       the K highest counts, zeros and the
                      (never-confused ones left out),   class itself included (ties to the
                      plus every class whose affinity   lower index), plus every other class
                      passes n_a / K (eq. 3-6)          sharing more than n_a of those K
prototypes            EMA of the normalised inter       EMA of the raw inter projections of
                      embeddings, first sight sets      the correctly classified samples,
                      them, updated after the loss      from N(0, 1), updated before the
                      (no gradient)                     loss: this step's share keeps its
                                                        gradient
intra contrast set    the batch and the whole queue     0 until the queue is full; then the
                                                        batch and the newest (queue - batch)
                                                        entries, every anchor in the mean
families refreshed    at the end of an epoch            at the first step of every pass
                                                        after the start, once it is counted
====================  ================================  ===================================

Every function here works on whole tensors: no loop over samples or classes
and no host synchronisation.
"""
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .affinity import affinity_similarity, motion_families


# ----------------------------------------------------------------------
# Counts of a batch
# ----------------------------------------------------------------------
def error_counts(labels: Tensor, preds: Tensor, valid: Tensor,
                 num_classes: int) -> Tensor:
    """(C, C) float counts of a batch's errors: 1 at (true, predicted) for
    every valid sample predicted wrongly (METHOD.md section 1).

    Args:
        labels (Tensor): (N,) class indices.
        preds (Tensor): (N,) predicted classes.
        valid (Tensor): (N,) bool, the rows that count.
        num_classes (int): C.
    """
    C = num_classes
    wrong = ((preds != labels) & valid).float()
    counts = wrong.new_zeros(C * C)
    return counts.index_add_(0, labels * C + preds, wrong).view(C, C)


def error_and_pair_counts(labels: Tensor, preds: Tensor, valid: Tensor,
                          num_classes: int) -> Tensor:
    """The public code's counts of a batch: :func:`error_counts`, plus, for
    every sample i and every sample j of another class predicted as i's
    class, 1 at (class of i, class of j).

    The second term sums to ``n[a] * #{j: pred_j = a, label_j = b}`` at
    (a, b), a != b, with ``n[a]`` the batch's samples of class a: it depends
    on how the batch is composed (a class that appears twice counts every
    false positive into it twice).
    """
    C = num_classes
    weight = valid.float()[:, None]
    onehot_labels = F.one_hot(labels, C).float() * weight
    onehot_preds = F.one_hot(preds, C).float() * weight
    per_class = onehot_labels.sum(dim=0)
    predicted_as = onehot_preds.T @ onehot_labels  # [a, b]: label b -> a
    pairs = (per_class[:, None] * predicted_as).fill_diagonal_(0)
    return error_counts(labels, preds, valid, num_classes) + pairs


# ----------------------------------------------------------------------
# Families from counts
# ----------------------------------------------------------------------
def affinity_families(confusion: Tensor, num_neighbors: int,
                      overlap_threshold: int) -> Tensor:
    """Motion Families of the paper's equations (eq. 3-6): see
    :func:`affinity_similarity` and :func:`motion_families`. (C, C) bool,
    the diagonal False."""
    affinity = affinity_similarity(confusion, num_neighbors)
    return motion_families(affinity, overlap_threshold, num_neighbors)


def top_count_families(confusion: Tensor, num_neighbors: int,
                       overlap_threshold: int) -> Tensor:
    """Motion Families as the public code forms them.

    Each class's list is its ``min(K, C)`` highest counts, zero counts and
    its own column included, ties going to the lower class index (so when
    a class was confused with fewer than K others, low-index classes fill
    its list, and it can be in its own). Its family is that list plus every
    other class whose list shares more than ``overlap_threshold`` classes
    with it. Every family has at least ``min(K, C)`` members.

    Args:
        confusion (Tensor): (C, C) counts.
        num_neighbors (int): K.
        overlap_threshold (int): n_a.

    Returns:
        Tensor: (C, C) bool, row i the family of class i (the diagonal True
        where a class is in its own list).
    """
    C = confusion.shape[0]
    k = min(num_neighbors, C)
    # a stable descending sort keeps equal counts in index order
    order = torch.sort(confusion.detach().to(torch.float64), dim=1,
                       descending=True, stable=True).indices[:, :k]
    listed = torch.zeros(C, C, dtype=torch.bool, device=confusion.device)
    listed.scatter_(1, order, True)
    # shared list members, exact in float32 (at most K)
    shared = listed.float() @ listed.float().T
    others = ~torch.eye(C, dtype=torch.bool, device=confusion.device)
    return listed | ((shared > overlap_threshold) & others)


# ----------------------------------------------------------------------
# Intra contrast set
# ----------------------------------------------------------------------
def whole_queue(queue_labels: Tensor, queue_ptr: Tensor,
                num_new: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
    """The paper's rule: every filled slot of the queue joins the contrast
    set, from the first step. Returns the queue's labels (empty slots are
    -1) and no switch."""
    return queue_labels, None


def newest_entries_when_full(queue_labels: Tensor, queue_ptr: Tensor,
                             num_new: Tensor
                             ) -> Tuple[Tensor, Optional[Tensor]]:
    """The public code's rule: with Q slots and a batch of B rows, the
    newest Q - B entries join the batch (a contrast set of Q rows), and
    only once the queue holds at least Q - B: before that the loss is 0.

    Args:
        queue_labels (Tensor): (Q,) labels of the slots, -1 for empty ones.
        queue_ptr (Tensor): (1,) the slot the next entry goes to (the
            oldest entry once the queue has wrapped).
        num_new (Tensor): () the batch's valid rows (every rank's).

    Returns:
        tuple: the labels with the slots left out set to -1, and a () bool
        tensor, whether the loss counts this step.
    """
    Q = queue_labels.numel()
    slots = torch.arange(Q, device=queue_labels.device)
    age = (queue_ptr.long() - 1 - slots) % Q  # 0: the newest entry
    keep = Q - num_new
    labels = torch.where(age < keep, queue_labels,
                         torch.full_like(queue_labels, -1))
    full = (queue_labels >= 0).sum() >= keep
    return labels, full


# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Recipe:
    """What one recipe chooses. See the module's table.

    Attributes:
        name (str): ``'equations'`` or ``'authors'``.
        batch_counts (callable): ``(labels, preds, valid, C) -> (C, C)``
            confusion counts of a batch.
        families (callable): ``(confusion, K, n_a) -> (C, C) bool``.
        contrast_queue (callable): ``(queue_labels, queue_ptr, num_new) ->
            (labels, switch)``: which queue entries join the intra contrast
            set, and a () bool tensor that switches the loss on, or None.
        prototype_input (str): ``'normalised'`` or ``'raw'`` inter
            embeddings are averaged into the prototypes.
        prototypes_in_loss (str): ``'previous'`` (the state before this
            step, no gradient) or ``'updated'`` (this step's update, with
            the gradient of its share).
        prototype_init (str): ``'first_sight'`` (zeros, set by a class's
            first batch) or ``'normal'`` (N(0, 1), every class seen).
        prototype_samples (str): default of the head's argument.
        refresh (str): when :class:`MotionFamilyHook` recomputes the
            families: ``'epoch_end'`` or ``'pass_start'``.
        loss_intra (dict): the intra loss's defaults in this recipe.
    """
    name: str
    batch_counts: Callable
    families: Callable
    contrast_queue: Callable
    prototype_input: str
    prototypes_in_loss: str
    prototype_init: str
    prototype_samples: str
    refresh: str
    loss_intra: Dict


RECIPES = {
    'equations':
    Recipe(
        name='equations',
        batch_counts=error_counts,
        families=affinity_families,
        contrast_queue=whole_queue,
        prototype_input='normalised',
        prototypes_in_loss='previous',
        prototype_init='first_sight',
        prototype_samples='all',
        refresh='epoch_end',
        loss_intra=dict(margin=0.1)),
    'authors':
    Recipe(
        name='authors',
        batch_counts=error_and_pair_counts,
        families=top_count_families,
        contrast_queue=newest_entries_when_full,
        prototype_input='raw',
        prototypes_in_loss='updated',
        prototype_init='normal',
        prototype_samples='correct',
        refresh='pass_start',
        # the public code: a margin of 0.1 in logits at tau 0.1, every
        # anchor in the mean, 1e-6 in the log (after shifting by the max)
        loss_intra=dict(margin=0.01, anchors='all', log_epsilon=1e-6)),
}


def get_recipe(name: str) -> Recipe:
    """The :class:`Recipe` called ``name``, or a ValueError naming both."""
    if name not in RECIPES:
        raise ValueError(f'recipe must be one of {sorted(RECIPES)}, got '
                         f'{name!r}')
    return RECIPES[name]


def ema_prototypes(prototypes: Tensor, seen: Tensor, sums: Tensor,
                   counts: Tensor, momentum: float) -> Tuple[Tensor, Tensor]:
    """Prototype update (eq. 7), both recipes: a class present in the batch
    takes ``momentum * m + (1 - momentum) * mean``, or the mean itself when
    it was never seen; the others keep theirs.

    Args:
        prototypes (Tensor): (C, D) state.
        seen (Tensor): (C,) bool.
        sums (Tensor): (C, D) sums of the batch's embeddings per class.
        counts (Tensor): (C,) how many (weights) each sum holds.
        momentum (float): gamma.

    Returns:
        tuple: the new prototypes (C, D) and seen (C,).
    """
    present = counts > 0
    mean = sums / counts.clamp(min=1)[:, None]
    ema = momentum * prototypes + (1 - momentum) * mean
    updated = torch.where(seen[:, None], ema, mean)
    return torch.where(present[:, None], updated, prototypes), seen | present
