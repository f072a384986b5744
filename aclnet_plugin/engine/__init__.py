from .hooks import DataCheckHook, FiniteLossHook, MotionFamilyHook
from .optimizers import SkipNonFiniteOptimWrapper

__all__ = [
    'DataCheckHook', 'FiniteLossHook', 'MotionFamilyHook',
    'SkipNonFiniteOptimWrapper'
]
