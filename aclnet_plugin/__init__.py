"""ACLNet (Affinity Contrastive Learning) as an MMAction2 1.x plugin.

Importing the package applies the stack's compatibility fixes (see
:mod:`aclnet_plugin.compat`) and registers the components in mmaction's
registries: ``AffinityContrastHead``, ``AffinityContrastLoss``,
``MarginalContrastLoss``, ``FamilyAwareTemperature``, ``CTRGCN`` (MODELS),
``MotionFamilyHook``, ``DataCheckHook`` and ``FiniteLossHook`` (HOOKS),
``SkipNonFiniteOptimWrapper`` (OPTIM_WRAPPERS), the skeleton
transforms (TRANSFORMS) and ``EmbeddingRetrievalMetric`` (METRICS).
"""
from .compat import apply_all as _apply_compat

_apply_compat()

# Imported for their registration as much as for their names.
from .datasets import (CenterOnJoint, Coco17To20, LimbDrop,  # noqa: E402
                       RandomRot, RandomScale, SkeletonFeat, SkeletonFlip,
                       get_layout, register_layout)
from .engine import (DataCheckHook, FiniteLossHook,  # noqa: E402
                     MotionFamilyHook, SkipNonFiniteOptimWrapper)
from .evaluation import EmbeddingRetrievalMetric  # noqa: E402
from .models import (CTRGCN, AffinityContrastHead,  # noqa: E402
                     AffinityContrastLoss, FamilyAwareTemperature,
                     MarginalContrastLoss, affinity_similarity,
                     motion_families)
from .version import __version__  # noqa: E402

__all__ = [
    '__version__', 'AffinityContrastHead', 'AffinityContrastLoss',
    'MarginalContrastLoss', 'FamilyAwareTemperature', 'MotionFamilyHook',
    'DataCheckHook', 'FiniteLossHook', 'SkipNonFiniteOptimWrapper',
    'EmbeddingRetrievalMetric', 'CTRGCN', 'affinity_similarity', 'motion_families',
    'CenterOnJoint', 'Coco17To20', 'LimbDrop', 'RandomRot', 'RandomScale',
    'SkeletonFeat', 'SkeletonFlip', 'get_layout', 'register_layout'
]
