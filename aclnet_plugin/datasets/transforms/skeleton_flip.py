"""Random left/right flip of skeleton clips."""
from typing import Dict, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ..layouts import SkeletonLayout, get_layout
from ._utils import check_keypoint, check_probability


@TRANSFORMS.register_module()
class SkeletonFlip(BaseTransform):
    """Mirror a skeleton clip, swapping its left and right joints.

    With probability ``p`` (``np.random``, one draw per clip) the coordinate
    ``axis`` is negated and the joints are permuted with the layout's
    ``flip_index``, so that the left arm of the mirrored body is again on
    the left-arm joints. A flip applied twice is the identity; zero joints
    stay zero.

    The mirror is about the plane ``axis = 0``: use it on centred
    coordinates (after ``PreNormalize3D`` or ``PreNormalize2D``).

    Required Keys:

        - keypoint: (M, T, V, C).
        - keypoint_score (optional): (M, T, V).

    Modified Keys:

        - keypoint
        - keypoint_score (if present): permuted like the joints.

    Args:
        layout (str | SkeletonLayout): A layout of
            :mod:`aclnet_plugin.datasets.layouts`. Defaults to
            ``'nturgb+d'``.
        p (float): The probability of flipping a clip. Defaults to 0.5.
        axis (int): The coordinate channel to negate. Defaults to 0 (x).
    """

    def __init__(self,
                 layout: Union[str, SkeletonLayout] = 'nturgb+d',
                 p: float = 0.5,
                 axis: int = 0) -> None:
        self.layout = get_layout(layout)
        self.p = check_probability(p)
        if isinstance(axis, bool) or not isinstance(axis, int) or axis < 0:
            raise ValueError(f'axis must be an integer >= 0, got {axis!r}')
        self.axis = axis
        self.flip_index = np.array(self.layout.flip_index)

    def transform(self, results: Dict) -> Dict:
        """Flip ``results['keypoint']`` (and ``keypoint_score``).

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'SkeletonFlip')
        if keypoint.shape[2] != self.layout.num_joints:
            raise ValueError(
                f'SkeletonFlip(layout={self.layout.name!r}) expects '
                f'{self.layout.num_joints} joints, got keypoint of shape '
                f'{keypoint.shape}')
        if self.axis >= keypoint.shape[-1]:
            raise ValueError(f'axis {self.axis} is out of range for keypoint '
                             f'of shape {keypoint.shape}')
        if np.random.rand() >= self.p:
            return results
        keypoint = keypoint[:, :, self.flip_index].copy()
        keypoint[..., self.axis] *= -1
        results['keypoint'] = keypoint
        if 'keypoint_score' in results:
            results['keypoint_score'] = \
                results['keypoint_score'][:, :, self.flip_index].copy()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(layout={self.layout.name!r}, '
                f'p={self.p}, axis={self.axis})')
