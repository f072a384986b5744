"""ACLNet (Affinity Contrastive Learning) as an MMAction2 1.x plugin.

Importing the package applies the stack's compatibility fixes (see
:mod:`aclnet_plugin.compat`) and registers the components in mmaction's
registries: ``AffinityContrastHead``, ``AffinityContrastLoss``,
``MarginalContrastLoss``, ``FamilyAwareTemperature`` (MODELS) and
``MotionFamilyHook`` (HOOKS).
"""
from .compat import apply_all as _apply_compat

_apply_compat()

from .engine import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403
from .datasets import *  # noqa: E402,F401,F403
from .version import __version__  # noqa: E402

__all__ = [
    '__version__', 'AffinityContrastHead', 'AffinityContrastLoss',
    'MarginalContrastLoss', 'FamilyAwareTemperature', 'MotionFamilyHook',
    'affinity_similarity', 'motion_families'
]
