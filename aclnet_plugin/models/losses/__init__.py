from .affinity_contrast_loss import (AffinityContrastLoss,
                                     affinity_contrast_loss)
from .marginal_contrast_loss import (MarginalContrastLoss,
                                     marginal_contrast_loss)

__all__ = [
    'AffinityContrastLoss', 'MarginalContrastLoss', 'affinity_contrast_loss',
    'marginal_contrast_loss'
]
