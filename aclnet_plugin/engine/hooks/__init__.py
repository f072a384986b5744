from .data_check_hook import DataCheckHook, check_dataset_labels
from .motion_family_hook import MotionFamilyHook

__all__ = ['DataCheckHook', 'MotionFamilyHook', 'check_dataset_labels']
