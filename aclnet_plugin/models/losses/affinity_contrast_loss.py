"""Inter-class affinity contrastive loss (eq. 8)."""
import torch
import torch.nn.functional as F
from torch import Tensor

from mmaction.models.losses import BaseWeightedLoss
from mmaction.registry import MODELS


def affinity_contrast_loss(embeddings: Tensor, labels: Tensor,
                           prototypes: Tensor, family_mask: Tensor,
                           temperatures: Tensor) -> Tensor:
    """Pull each sample to its class prototype, away from its family's (eq. 8).

    For sample n of class i with a non-empty Motion Family W(i)::

        l_n = -log(exp(f_n . m_i / t_i) /
                   (exp(f_n . m_i / t_i) + sum_{a in W(i)} exp(f_n . m_a / t_i)))

    with prototypes L2-normalised, averaged over the samples whose class has
    a family. Computed in float32 as one (N, C) score matrix with
    non-members masked out, then a cross-entropy. A class may be in its own
    family (the authors' recipe): its prototype is then in the denominator
    twice, once as the target and once as a member, as the public code has
    it.

    Args:
        embeddings (Tensor): (N, D) L2-normalised embeddings.
        labels (Tensor): (N,) integer labels.
        prototypes (Tensor): (C, D) class prototypes (normalised here; a
            gradient they carry is kept).
        family_mask (Tensor): (C, C) bool or 0/1, row i the family of class i.
        temperatures (Tensor): (C,) temperature of each class's family.

    Returns:
        Tensor: Scalar loss; 0 (attached to the graph) when no sample's class
        has a family.
    """
    labels = labels.reshape(-1).long()
    members = family_mask.bool()[labels]  # (N, C)
    allowed = members.scatter(1, labels[:, None], True)
    prototypes = F.normalize(prototypes.float(), dim=1)
    scores = embeddings.float() @ prototypes.T
    scores = scores / temperatures.float()[labels, None]
    scores = scores.masked_fill(~allowed, float('-inf'))
    sample_loss = F.cross_entropy(scores, labels, reduction='none')
    # own class a member too: -s_y + log(Z + e^s_y) = CE + log(1 + p_y)
    in_own = members.gather(1, labels[:, None]).squeeze(1)
    sample_loss = torch.where(
        in_own, sample_loss + torch.log1p(torch.exp(-sample_loss)),
        sample_loss)
    has_family = members.any(dim=1).to(scores.dtype)
    return (sample_loss * has_family).sum() / has_family.sum().clamp(min=1)


@MODELS.register_module()
class AffinityContrastLoss(BaseWeightedLoss):
    """Inter-class affinity contrastive loss of ACLNet (eq. 8).

    See :func:`affinity_contrast_loss`; computed in float32 with autocast
    off, whatever the precision of the rest of the step.

    Args:
        loss_weight (float): lambda1, the weight of the loss.
            Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__(check_loss_weight(loss_weight))

    def _forward(self, embeddings: Tensor, labels: Tensor,
                 prototypes: Tensor, family_mask: Tensor,
                 temperatures: Tensor) -> Tensor:
        """Unweighted loss; see :func:`affinity_contrast_loss` for the args."""
        with torch.autocast(embeddings.device.type, enabled=False):
            return affinity_contrast_loss(embeddings, labels, prototypes,
                                          family_mask, temperatures)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'


def check_loss_weight(loss_weight: float) -> float:
    """``loss_weight`` as a float, or a ValueError if it is negative."""
    if loss_weight < 0:
        raise ValueError(f'loss_weight must be >= 0, got {loss_weight!r}')
    return float(loss_weight)
