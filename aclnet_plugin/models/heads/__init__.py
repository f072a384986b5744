from .affinity_contrast_head import AffinityContrastHead

__all__ = ['AffinityContrastHead']
