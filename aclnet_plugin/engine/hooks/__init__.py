from .data_check_hook import DataCheckHook, check_dataset_labels
from .finite_loss_hook import FiniteLossHook
from .motion_family_hook import MotionFamilyHook

__all__ = [
    'DataCheckHook', 'FiniteLossHook', 'MotionFamilyHook',
    'check_dataset_labels'
]
