from .motion_family_hook import MotionFamilyHook, check_dataset_labels

__all__ = ['MotionFamilyHook', 'check_dataset_labels']
