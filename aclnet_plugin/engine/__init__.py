from .hooks import MotionFamilyHook

__all__ = ['MotionFamilyHook']
