"""Random dropping of one limb of skeleton clips."""
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ..layouts import SkeletonLayout, get_layout
from ._utils import check_keypoint, check_probability


@TRANSFORMS.register_module()
class LimbDrop(BaseTransform):
    """Zero the joints of one random limb over a whole clip.

    With probability ``p`` (``np.random``, one draw per clip) one limb is
    chosen uniformly from ``limbs`` and its joints are set to zero in every
    person and frame, in ``keypoint`` and, if present, ``keypoint_score``.
    Other joints are untouched.

    Required Keys:

        - keypoint: (M, T, V, C).
        - keypoint_score (optional): (M, T, V).

    Modified Keys:

        - keypoint
        - keypoint_score (if present)

    Args:
        layout (str | SkeletonLayout): A layout of
            :mod:`aclnet_plugin.datasets.layouts`. Defaults to
            ``'nturgb+d'``.
        limbs (Sequence[str], optional): The names of the limbs to choose
            from (keys of the layout's ``limbs``). Defaults to None: all of
            them.
        p (float): The probability of dropping a limb. Defaults to 0.5.
    """

    def __init__(self,
                 layout: Union[str, SkeletonLayout] = 'nturgb+d',
                 limbs: Optional[Sequence[str]] = None,
                 p: float = 0.5) -> None:
        self.layout = get_layout(layout)
        if limbs is None:
            limbs = list(self.layout.limbs)
        if isinstance(limbs, str):
            limbs = [limbs]
        limbs = list(limbs)
        unknown = [name for name in limbs if name not in self.layout.limbs]
        if not limbs or unknown:
            raise ValueError(
                f'limbs must be a non-empty list of limbs of layout '
                f'{self.layout.name!r} ({sorted(self.layout.limbs)}), '
                f'got {limbs!r}')
        self.limbs = limbs
        self.p = check_probability(p)

    def transform(self, results: Dict) -> Dict:
        """Drop a limb of ``results['keypoint']`` (and ``keypoint_score``).

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'LimbDrop', self.layout)
        if np.random.rand() >= self.p:
            return results
        limb = self.limbs[np.random.randint(len(self.limbs))]
        joints = list(self.layout.limbs[limb])
        keypoint = keypoint.copy()
        keypoint[:, :, joints] = 0
        results['keypoint'] = keypoint
        if 'keypoint_score' in results:
            score = results['keypoint_score'].copy()
            score[:, :, joints] = 0
            results['keypoint_score'] = score
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(layout={self.layout.name!r}, '
                f'limbs={self.limbs}, p={self.p})')
