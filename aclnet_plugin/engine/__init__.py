from .hooks import (DataCheckHook, FiniteLossHook, MotionFamilyHook,
                    TopologyMonitorHook)
from .optimizers import SkipNonFiniteOptimWrapper

__all__ = [
    'DataCheckHook', 'FiniteLossHook', 'MotionFamilyHook',
    'SkipNonFiniteOptimWrapper', 'TopologyMonitorHook'
]
