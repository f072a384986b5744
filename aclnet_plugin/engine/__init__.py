from .hooks import DataCheckHook, MotionFamilyHook

__all__ = ['DataCheckHook', 'MotionFamilyHook']
