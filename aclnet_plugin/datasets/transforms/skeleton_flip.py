"""Random left/right flip of skeleton clips."""
from typing import Dict, Optional, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ...utils import check_int
from ..layouts import SkeletonLayout, get_layout
from ._utils import check_keypoint, check_probability


@TRANSFORMS.register_module()
class SkeletonFlip(BaseTransform):
    """Mirror a skeleton clip, swapping its left and right joints.

    With probability ``p`` (``np.random``, one draw per clip) the joints are
    permuted with the layout's ``flip_index``, so that the left arm becomes
    the right arm, and the coordinate ``axis`` is negated, so that the body
    is mirrored (its left arm is again on the left-arm joints). A flip
    applied twice is the identity; zero joints stay zero.

    With ``axis=None`` only the joints are swapped and no coordinate is
    negated: the recipe of the ACLNet authors' public configs (p = 0.5).
    A layout without left/right pairs (one hand) is refused: mirroring alone
    would turn it into the other hand.
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
        axis (int, optional): The coordinate channel to negate, or None to
            swap the joints only. Defaults to 0 (x).
    """

    def __init__(self,
                 layout: Union[str, SkeletonLayout] = 'nturgb+d',
                 p: float = 0.5,
                 axis: Optional[int] = 0) -> None:
        self.layout = get_layout(layout)
        self.p = check_probability(p)
        self.axis = None if axis is None else check_int('axis', axis, 0)
        if not self.layout.left:
            raise ValueError(
                f'SkeletonFlip: layout {self.layout.name!r} has no left/right '
                'joint pairs: a flip would swap nothing and at most mirror '
                'the coordinates (a right hand into a left one); remove it '
                'from the pipeline')
        self.flip_index = np.array(self.layout.flip_index)

    def transform(self, results: Dict) -> Dict:
        """Flip ``results['keypoint']`` (and ``keypoint_score``).

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'SkeletonFlip', self.layout)
        if self.axis is not None and self.axis >= keypoint.shape[-1]:
            raise ValueError(f'axis {self.axis} is out of range for keypoint '
                             f'of shape {keypoint.shape}')
        if np.random.rand() >= self.p:
            return results
        keypoint = keypoint[:, :, self.flip_index].copy()
        if self.axis is not None:
            keypoint[..., self.axis] *= -1
        results['keypoint'] = keypoint
        if 'keypoint_score' in results:
            results['keypoint_score'] = \
                results['keypoint_score'][:, :, self.flip_index].copy()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(layout={self.layout.name!r}, '
                f'p={self.p}, axis={self.axis})')
