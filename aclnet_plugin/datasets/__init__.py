from .check import (DataCheckError, DataCheckReport, check_annotation_file,
                    check_annotations, load_annotations,
                    pipeline_expectation)
from .layouts import LAYOUTS, SkeletonLayout, get_layout, register_layout
from .transforms import (CenterOnJoint, Coco17To20, FastPreNormalize3D,
                         FastUniformSampleFrames, JointNoise, LimbDrop,
                         NormalizeSequence, OcclusionMask, RandomRot,
                         RandomScale, SkeletonFeat, SkeletonFlip)

__all__ = [
    'DataCheckError', 'DataCheckReport', 'check_annotation_file',
    'check_annotations', 'load_annotations', 'pipeline_expectation',
    'LAYOUTS', 'SkeletonLayout', 'get_layout', 'register_layout',
    'CenterOnJoint', 'Coco17To20', 'FastPreNormalize3D',
    'FastUniformSampleFrames', 'JointNoise', 'LimbDrop', 'NormalizeSequence', 'OcclusionMask', 'RandomRot',
    'RandomScale', 'SkeletonFeat', 'SkeletonFlip'
]
