"""Intra-class marginal contrastive loss (eq. 10-15)."""
from typing import Optional

import torch
from torch import Tensor

from mmaction.models.losses import BaseWeightedLoss
from mmaction.registry import MODELS
from .affinity_contrast_loss import check_loss_weight


def marginal_contrast_loss(embeddings: Tensor,
                           labels: Tensor,
                           contrast_embeddings: Optional[Tensor] = None,
                           contrast_labels: Optional[Tensor] = None,
                           margin: float = 0.1,
                           temperature: float = 0.1,
                           anchors: str = 'with_positives',
                           log_epsilon: float = 0.0) -> Tensor:
    """Every positive pair must beat every negative by ``margin`` (eq. 15).

    For anchor a, positive u and negatives Q(a), with cosine similarities s::

        l_au = -log(exp(s_au / t) /
                    (exp((s_au - margin) / t) + sum_{v in Q(a)} exp(s_av / t)))

    averaged over the positives of an anchor, then over the anchors that have
    a positive (``anchors='with_positives'``) or over every anchor, one
    without a positive counting 0 (``'all'``, the public code). The contrast
    set is the batch itself followed by
    ``contrast_embeddings`` (other ranks' samples, a memory queue), which
    serve as positives and negatives but are not anchors. Computed in
    float32 whatever the input dtype.

    Args:
        embeddings (Tensor): (N, D) L2-normalised anchors.
        labels (Tensor): (N,) integer labels.
        contrast_embeddings (Tensor, optional): (M, D) extra L2-normalised
            embeddings. Defaults to None.
        contrast_labels (Tensor, optional): (M,) their labels; entries < 0
            (empty queue slots) are ignored. Defaults to None.
        margin (float): eps, in cosine units. Defaults to 0.1.
        temperature (float): t. Defaults to 0.1.
        anchors (str): Which anchors the mean is over: ``'with_positives'``
            or ``'all'``. Defaults to 'with_positives'.
        log_epsilon (float): The public code's stabiliser: each anchor's
            logits are shifted so that the largest over its contrast set
            (itself included) is 0, and ``log_epsilon`` is added to every
            denominator before the log. 0 computes the loss as written.
            Defaults to 0.

    Returns:
        Tensor: Scalar loss; 0 (attached to the graph) when no anchor has a
        positive. Bounded below by ``-margin / temperature``.
    """
    _check_intra_arguments(margin, temperature, anchors, log_epsilon)
    average_all = anchors == 'all'
    anchors = embeddings.float()
    labels = labels.reshape(-1)
    num = anchors.shape[0]
    if (contrast_embeddings is None) != (contrast_labels is None):
        raise ValueError('contrast_embeddings and contrast_labels go '
                         'together')
    if contrast_embeddings is None:
        keys, key_labels = anchors, labels
    else:
        keys = torch.cat([anchors, contrast_embeddings.float()])
        key_labels = torch.cat([labels, contrast_labels.reshape(-1).to(
            labels.dtype)])
    logits = anchors @ keys.T / temperature  # (N, N + M)
    valid = key_labels >= 0
    same = labels[:, None] == key_labels[None, :]
    not_self = torch.ones_like(same)
    not_self[:, :num].fill_diagonal_(False)
    positive = same & not_self & valid
    negative = ~same & valid
    fill = torch.finfo(logits.dtype).min
    if log_epsilon:
        # every logit <= 0 after the shift: the sums cannot overflow
        shift = logits.masked_fill(~valid, fill).amax(dim=1, keepdim=True)
        logits = logits - shift.detach()
        negative_sum = (logits.exp() * negative).sum(dim=1, keepdim=True)
        pair_loss = torch.log(
            (logits - margin / temperature).exp() + negative_sum +
            log_epsilon) - logits
    else:
        # log sum_v exp(s_av / t) over the negatives of each anchor; a
        # finite fill (not -inf) keeps the gradient finite for anchors
        # with none.
        negative_lse = logits.masked_fill(~negative, fill).logsumexp(dim=1)
        pair_loss = torch.logaddexp(logits - margin / temperature,
                                    negative_lse[:, None]) - logits
    positive = positive.to(logits.dtype)
    num_positives = positive.sum(dim=1)
    anchor_loss = (pair_loss * positive).sum(dim=1) / num_positives.clamp(
        min=1)
    if average_all:
        return anchor_loss.sum() / max(num, 1)
    has_positive = (num_positives > 0).to(logits.dtype)
    return (anchor_loss * has_positive).sum() / has_positive.sum().clamp(
        min=1)


def _check_intra_arguments(margin: float, temperature: float,
                           anchors: str = 'with_positives',
                           log_epsilon: float = 0.0) -> None:
    if margin < 0:
        raise ValueError(f'margin must be >= 0, got {margin!r}')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature!r}')
    if anchors not in ('with_positives', 'all'):
        raise ValueError("anchors must be 'with_positives' or 'all', got "
                         f'{anchors!r}')
    if log_epsilon < 0:
        raise ValueError(f'log_epsilon must be >= 0, got {log_epsilon!r}')


@MODELS.register_module()
class MarginalContrastLoss(BaseWeightedLoss):
    """Intra-class marginal contrastive loss of ACLNet (eq. 15).

    See :func:`marginal_contrast_loss`; computed in float32 with autocast
    off, whatever the precision of the rest of the step.

    Args:
        margin (float): eps, the margin in cosine units. Defaults to 0.1.
        temperature (float): Temperature. Defaults to 0.1.
        loss_weight (float): lambda2, the weight of the loss.
            Defaults to 1.0.
        anchors (str): The mean over the anchors ``'with_positives'`` (the
            paper) or ``'all'`` (the public code). Defaults to
            'with_positives'.
        log_epsilon (float): The public code's stabiliser (1e-6 there), see
            :func:`marginal_contrast_loss`. Defaults to 0.
    """

    def __init__(self,
                 margin: float = 0.1,
                 temperature: float = 0.1,
                 loss_weight: float = 1.0,
                 anchors: str = 'with_positives',
                 log_epsilon: float = 0.0) -> None:
        super().__init__(check_loss_weight(loss_weight))
        _check_intra_arguments(margin, temperature, anchors, log_epsilon)
        self.margin = float(margin)
        self.temperature = float(temperature)
        self.anchors = anchors
        self.log_epsilon = float(log_epsilon)

    def _forward(self,
                 embeddings: Tensor,
                 labels: Tensor,
                 contrast_embeddings: Optional[Tensor] = None,
                 contrast_labels: Optional[Tensor] = None) -> Tensor:
        """Unweighted loss; see :func:`marginal_contrast_loss` for the args."""
        with torch.autocast(embeddings.device.type, enabled=False):
            return marginal_contrast_loss(embeddings, labels,
                                          contrast_embeddings,
                                          contrast_labels, self.margin,
                                          self.temperature, self.anchors,
                                          self.log_epsilon)

    def extra_repr(self) -> str:
        return (f'margin={self.margin}, temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}, anchors={self.anchors!r}, '
                f'log_epsilon={self.log_epsilon}')
