"""Random per-axis scaling of skeleton clips."""
import numbers
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ._utils import check_keypoint, check_probability


@TRANSFORMS.register_module()
class RandomScale(BaseTransform):
    """Scale each coordinate axis of a clip by a random factor.

    With probability ``p``, one factor per axis is drawn uniformly from
    ``[1 - scale, 1 + scale]`` (``np.random``, one draw per clip) and every
    joint's first ``num_coords`` channels are multiplied by it. The origin
    is fixed, so zero (padded) joints stay zero. Use it on centred
    coordinates, like :class:`RandomRot`.

    Required Keys:

        - keypoint: (M, T, V, C) with C >= ``num_coords``.

    Modified Keys:

        - keypoint

    Args:
        scale (float): The largest relative change, in [0, 1).
            Defaults to 0.1.
        p (float): The probability of scaling a clip. Defaults to 1.0.
        num_coords (int): Coordinate channels to scale. Defaults to 3.
    """

    def __init__(self,
                 scale: float = 0.1,
                 p: float = 1.0,
                 num_coords: int = 3) -> None:
        if (isinstance(scale, bool) or not isinstance(scale, numbers.Real)
                or not 0 <= scale < 1):
            raise ValueError(f'scale must be a number in [0, 1), got '
                             f'{scale!r}')
        if num_coords not in (2, 3):
            raise ValueError(f'num_coords must be 2 or 3, got {num_coords!r}')
        self.scale = float(scale)
        self.p = check_probability(p)
        self.num_coords = num_coords

    def transform(self, results: Dict) -> Dict:
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'RandomScale')
        if np.random.rand() >= self.p:
            return results
        factors = np.ones(keypoint.shape[-1], dtype=keypoint.dtype)
        factors[:self.num_coords] = np.random.uniform(
            1 - self.scale, 1 + self.scale, self.num_coords)
        results['keypoint'] = keypoint * factors
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, p={self.p}, '
                f'num_coords={self.num_coords})')
