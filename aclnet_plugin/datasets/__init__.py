from .demo_skeleton import (DEMO_CLASSES, DEMO_GROUPS, TWO_PERSON_CLASSES,
                            generate_demo_annotations, write_demo_dataset)
from .layouts import LAYOUTS, SkeletonLayout, get_layout, register_layout
from .nw_ucla import NW_UCLA_CLASSES, convert_nw_ucla
from .transforms import (CenterOnJoint, Coco17To20, LimbDrop, RandomRot,
                         RandomScale, SkeletonFeat, SkeletonFlip)

__all__ = [
    'DEMO_CLASSES', 'DEMO_GROUPS', 'TWO_PERSON_CLASSES',
    'generate_demo_annotations', 'write_demo_dataset', 'LAYOUTS',
    'SkeletonLayout', 'get_layout', 'register_layout', 'NW_UCLA_CLASSES',
    'convert_nw_ucla', 'CenterOnJoint', 'Coco17To20', 'LimbDrop', 'RandomRot',
    'RandomScale', 'SkeletonFeat', 'SkeletonFlip'
]
