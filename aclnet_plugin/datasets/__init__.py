from .layouts import LAYOUTS, SkeletonLayout, get_layout, register_layout
from .transforms import (CenterOnJoint, Coco17To20, FastPreNormalize3D,
                         JointNoise, LimbDrop, NormalizeSequence, RandomRot,
                         RandomScale, SkeletonFeat, SkeletonFlip)

__all__ = [
    'LAYOUTS', 'SkeletonLayout', 'get_layout', 'register_layout',
    'CenterOnJoint', 'Coco17To20', 'FastPreNormalize3D', 'JointNoise',
    'LimbDrop', 'NormalizeSequence', 'RandomRot', 'RandomScale',
    'SkeletonFeat', 'SkeletonFlip'
]
