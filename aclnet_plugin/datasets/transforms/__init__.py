"""Skeleton transforms PySKL has and mmaction2 1.2.0 lacks, and a few more.

Registered in mmaction's ``TRANSFORMS``. (PySKL's ``UniformSample`` is
deliberately not registered: mmaction's ``UniformSampleFrames`` does its
job.)
"""
from .center_on_joint import CenterOnJoint
from .coco17_to_20 import Coco17To20
from .limb_drop import LimbDrop
from .normalize_sequence import JointNoise, NormalizeSequence
from .occlusion_mask import OcclusionMask
from .pre_normalize_3d import FastPreNormalize3D
from .random_rot import RandomRot
from .random_scale import RandomScale
from .skeleton_feat import SkeletonFeat
from .skeleton_flip import SkeletonFlip
from .uniform_sample_frames import FastUniformSampleFrames

__all__ = [
    'CenterOnJoint', 'Coco17To20', 'FastPreNormalize3D',
    'FastUniformSampleFrames', 'JointNoise', 'LimbDrop', 'NormalizeSequence',
    'OcclusionMask', 'RandomRot', 'RandomScale', 'SkeletonFeat',
    'SkeletonFlip'
]
