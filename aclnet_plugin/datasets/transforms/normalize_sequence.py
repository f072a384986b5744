"""Body-centred normalisation of whole sequences, for gait and re-id."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ...utils import check_int
from ._utils import check_keypoint


@TRANSFORMS.register_module()
class NormalizeSequence(BaseTransform):
    """Centre every frame on the body and bring a sequence to one scale.

    Meant for long walks (gait recognition, person re-identification),
    before a window is sampled from them: every frame is normalised on its
    own, so any window of the result is normalised too.

    1. Translation, per frame: the mean of ``center_joints`` becomes the
       origin (e.g. the hip centre).
    2. Heading, per frame (3D, optional): a rotation about the
       ``vertical_axis`` turns the horizontal part of ``yaw_joints[1] -
       yaw_joints[0]`` (e.g. right hip to left hip) onto the +x axis, so
       that a walker on a curved path always faces the same way.
    3. Scale, per sequence (optional, for pixel coordinates): everything is
       divided by the median over frames of the distance between the means
       of the two joint groups of ``scale_joints`` (e.g. shoulders and
       hips: the torso length), so a walker far from the camera and one
       close to it have the same size. Metric 3D skeletons keep their
       metres: body size identifies people.

    All-zero joints (missing detections) stay zero and are left out of the
    means; a frame whose centre joints are all missing is left as it is.

    Required Keys:

        - keypoint: (M, T, V, C), C >= 2 (coordinates first; a third 2D
          channel such as a score is not touched when ``num_coords=2``).

    Modified Keys:

        - keypoint: float32.

    Args:
        center_joints (Sequence[int]): Joints whose mean is each frame's
            origin.
        yaw_joints (Sequence[int], optional): ``(a, b)``: the direction
            from joint a to joint b is turned onto +x. 3D only. Defaults to
            None (no rotation).
        vertical_axis (int): The coordinate axis that points up, for
            ``yaw_joints``. Defaults to 1 (y, as Kinect's camera frame).
        scale_joints (Sequence[Sequence[int]], optional): Two joint groups
            whose mean positions' distance is the unit length. Defaults to
            None (no scaling).
        num_coords (int): The coordinate channels (2 or 3); further
            channels are left alone. Defaults to 3.
    """

    def __init__(self,
                 center_joints: Sequence[int],
                 yaw_joints: Optional[Sequence[int]] = None,
                 vertical_axis: int = 1,
                 scale_joints: Optional[Sequence[Sequence[int]]] = None,
                 num_coords: int = 3) -> None:
        if num_coords not in (2, 3):
            raise ValueError(f'NormalizeSequence: num_coords must be 2 or 3, '
                             f'got {num_coords!r}')
        self.center_joints = [check_int('center_joints', j, 0,
                                        'NormalizeSequence')
                              for j in center_joints]
        if not self.center_joints:
            raise ValueError('NormalizeSequence: center_joints is empty')
        if yaw_joints is not None:
            if num_coords != 3 or len(yaw_joints) != 2:
                raise ValueError('NormalizeSequence: yaw_joints must be two '
                                 'joints, and only with num_coords=3')
            yaw_joints = [check_int('yaw_joints', j, 0, 'NormalizeSequence')
                          for j in yaw_joints]
        self.yaw_joints = yaw_joints
        self.vertical_axis = check_int('vertical_axis', vertical_axis, 0,
                                       'NormalizeSequence')
        if self.vertical_axis >= num_coords:
            raise ValueError('NormalizeSequence: vertical_axis must be a '
                             f'coordinate axis (< {num_coords})')
        if scale_joints is not None:
            if len(scale_joints) != 2 or not all(scale_joints):
                raise ValueError('NormalizeSequence: scale_joints must be two '
                                 'non-empty joint groups')
            scale_joints = [[check_int('scale_joints', j, 0,
                                       'NormalizeSequence') for j in group]
                            for group in scale_joints]
        self.scale_joints = scale_joints
        self.num_coords = num_coords

    @staticmethod
    def _group_mean(xyz: np.ndarray, present: np.ndarray, joints):
        """Per person and frame, the mean of the present ``joints``; and
        whether any of them is present. (M, T, C), (M, T)."""
        weights = present[:, :, joints].astype(xyz.dtype)
        count = weights.sum(axis=2)
        total = (xyz[:, :, joints] * weights[..., None]).sum(axis=2)
        return total / np.maximum(count, 1)[..., None], count > 0

    def transform(self, results: Dict) -> Dict:
        """Normalise ``results['keypoint']``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'NormalizeSequence')
        used = [j for group in (self.center_joints, self.yaw_joints or [],
                                *(self.scale_joints or [])) for j in group]
        if max(used) >= keypoint.shape[2] or \
                keypoint.shape[-1] < self.num_coords:
            raise ValueError(
                f'NormalizeSequence: sample {results.get("frame_dir")!r}, '
                f'field "keypoint" of shape {keypoint.shape} lacks joint '
                f'{max(used)} or its {self.num_coords} coordinates')
        keypoint = keypoint.astype(np.float32)  # a copy
        n = self.num_coords
        xyz = keypoint[..., :n]
        present = (xyz != 0).any(axis=-1)  # (M, T, V)

        center, has_center = self._group_mean(xyz, present,
                                              self.center_joints)
        center *= has_center[..., None]
        xyz = np.where(present[..., None], xyz - center[:, :, None], 0)

        if self.yaw_joints is not None:
            a, b = self.yaw_joints
            up = self.vertical_axis
            u, w = [axis for axis in range(3) if axis != up]  # horizontal
            direction = xyz[:, :, b] - xyz[:, :, a]
            valid = present[:, :, a] & present[:, :, b]
            angle = np.arctan2(direction[..., w], direction[..., u])
            angle = np.where(valid, angle, 0)
            cos, sin = np.cos(angle)[..., None], np.sin(angle)[..., None]
            xu, xw = xyz[..., u].copy(), xyz[..., w].copy()
            xyz[..., u] = cos * xu + sin * xw
            xyz[..., w] = -sin * xu + cos * xw

        if self.scale_joints is not None:
            first, has_first = self._group_mean(xyz, present,
                                                self.scale_joints[0])
            second, has_second = self._group_mean(xyz, present,
                                                  self.scale_joints[1])
            length = np.linalg.norm(first - second, axis=-1)
            valid = has_first & has_second & (length > 0)
            if valid.any():
                xyz = xyz / np.median(length[valid])

        keypoint[..., :n] = xyz
        results['keypoint'] = keypoint
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'center_joints={self.center_joints}, '
                f'yaw_joints={self.yaw_joints}, '
                f'vertical_axis={self.vertical_axis}, '
                f'scale_joints={self.scale_joints}, '
                f'num_coords={self.num_coords})')


@TRANSFORMS.register_module()
class JointNoise(BaseTransform):
    """Add Gaussian noise to every present joint of a clip.

    Each coordinate of each non-zero joint gets independent noise of
    standard deviation ``std`` (``np.random``); all-zero (missing) joints
    stay zero. A small, label-preserving augmentation for gait.

    Required Keys:

        - keypoint: (M, T, V, C).

    Modified Keys:

        - keypoint: float32.

    Args:
        std (float): The noise's standard deviation, in the keypoints' units
            (e.g. 0.005 for 5 mm on metric 3D skeletons). Defaults to 0.005.
        num_coords (int): The coordinate channels to perturb; further
            channels (scores) are left alone. Defaults to 3.
    """

    def __init__(self, std: float = 0.005, num_coords: int = 3) -> None:
        if not std >= 0:
            raise ValueError(f'JointNoise: std must be >= 0, got {std!r}')
        if num_coords not in (2, 3):
            raise ValueError(f'JointNoise: num_coords must be 2 or 3, got '
                             f'{num_coords!r}')
        self.std = float(std)
        self.num_coords = num_coords

    def transform(self, results: Dict) -> Dict:
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'JointNoise')
        n = self.num_coords
        keypoint = keypoint.astype(np.float32)  # a copy
        present = (keypoint[..., :n] != 0).any(axis=-1, keepdims=True)
        noise = np.random.normal(0, self.std, keypoint[..., :n].shape)
        keypoint[..., :n] += (noise * present).astype(np.float32)
        results['keypoint'] = keypoint
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(std={self.std}, '
                f'num_coords={self.num_coords})')
