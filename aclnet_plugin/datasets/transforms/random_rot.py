"""Random 3D (or in-plane 2D) rotation of skeleton clips."""
import numbers
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ._utils import check_keypoint, check_probability


@TRANSFORMS.register_module()
class RandomRot(BaseTransform):
    """Rotate a skeleton clip by a random rotation.

    With probability ``p``, three angles ``(ax, ay, az)`` are drawn uniformly
    from ``[-theta, theta]`` radians (``np.random``, one draw per clip) and
    every joint of every person and frame is rotated by
    ``R = Rz(az) @ Ry(ay) @ Rx(ax)`` (about x first, then y, then z;
    counter-clockwise, right-handed). The origin stays fixed, so zero joints
    (padded persons or frames) stay zero; bone lengths and joint distances
    are kept. With ``num_coords=2`` a single angle is drawn and the (x, y)
    plane is rotated.

    Use it on centred coordinates, e.g. after ``PreNormalize3D`` and before
    ``GenSkeFeat`` / :class:`SkeletonFeat`.

    Required Keys:

        - keypoint: (M, T, V, C) with C >= ``num_coords``.

    Modified Keys:

        - keypoint: its first ``num_coords`` channels rotated; further
          channels (e.g. a confidence score) unchanged.

    Args:
        theta (float): The largest angle about each axis, in radians, >= 0.
            Defaults to 0.3.
        p (float): The probability of rotating a clip. Defaults to 1.0.
        num_coords (int): The coordinate channels: 3 for (x, y, z) rotated in
            3D, 2 for (x, y) rotated in-plane. Defaults to 3.
    """

    def __init__(self,
                 theta: float = 0.3,
                 p: float = 1.0,
                 num_coords: int = 3) -> None:
        if (isinstance(theta, bool) or not isinstance(theta, numbers.Real)
                or not theta >= 0):
            raise ValueError(f'theta must be a number >= 0, got {theta!r}')
        if num_coords not in (2, 3):
            raise ValueError(f'num_coords must be 2 or 3, got {num_coords!r}')
        self.theta = float(theta)
        self.p = check_probability(p)
        self.num_coords = num_coords

    @staticmethod
    def rotation_matrix(angles) -> np.ndarray:
        """The rotation ``Rz(az) @ Ry(ay) @ Rx(ax)``.

        Args:
            angles (Sequence[float]): ``(ax, ay, az)`` in radians, or a
                single angle ``(a, )`` for a 2D rotation.

        Returns:
            np.ndarray: A (3, 3) or, for one angle, (2, 2) rotation matrix.
        """
        angles = np.asarray(angles, dtype=np.float64).reshape(-1)
        if angles.size == 1:
            c, s = np.cos(angles[0]), np.sin(angles[0])
            return np.array([[c, -s], [s, c]])
        cx, cy, cz = np.cos(angles)
        sx, sy, sz = np.sin(angles)
        rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
        return rz @ ry @ rx

    def transform(self, results: Dict) -> Dict:
        """Rotate ``results['keypoint']``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'RandomRot')
        n = self.num_coords
        if keypoint.shape[-1] < n:
            raise ValueError(f'RandomRot(num_coords={n}) needs keypoint with '
                             f'at least {n} channels, got shape '
                             f'{keypoint.shape}')
        if np.random.rand() >= self.p:
            return results
        num_angles = 3 if n == 3 else 1
        angles = np.random.uniform(-self.theta, self.theta, size=num_angles)
        rot = self.rotation_matrix(angles)
        keypoint = keypoint.copy()
        # x' = R x for every joint: (..., n) @ R^T
        keypoint[..., :n] = keypoint[..., :n] @ rot.T.astype(keypoint.dtype)
        results['keypoint'] = keypoint
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(theta={self.theta}, p={self.p}, '
                f'num_coords={self.num_coords})')
