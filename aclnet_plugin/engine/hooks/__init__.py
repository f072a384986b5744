from .data_check_hook import DataCheckHook, check_dataset_labels
from .finite_loss_hook import FiniteLossHook
from .motion_family_hook import MotionFamilyHook
from .topology_monitor_hook import TopologyMonitorHook

__all__ = [
    'DataCheckHook', 'FiniteLossHook', 'MotionFamilyHook',
    'TopologyMonitorHook', 'check_dataset_labels'
]
