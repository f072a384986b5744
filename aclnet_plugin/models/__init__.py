from .affinity import (affinity_similarity, confusion_neighbors,
                       motion_families)
from .backbones import ACLNetGCN, CTRGCN
from .family_temperature import FamilyAwareTemperature
from .heads import AffinityContrastHead
from .init import PyTorchDefaultInit
from .losses import (AffinityContrastLoss, MarginalContrastLoss,
                     affinity_contrast_loss, marginal_contrast_loss)

__all__ = [
    'ACLNetGCN', 'CTRGCN', 'affinity_similarity', 'confusion_neighbors',
    'motion_families', 'FamilyAwareTemperature', 'AffinityContrastHead',
    'AffinityContrastLoss', 'MarginalContrastLoss', 'affinity_contrast_loss',
    'marginal_contrast_loss', 'PyTorchDefaultInit'
]
