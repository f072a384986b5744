"""mmaction2's ``PreNormalize3D`` without its per-frame Python loop."""
import numbers
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS

# ``np.isclose(x, 0)`` with its default tolerances is ``|x| <= atol``
# (``rtol * |0|`` vanishes), compared in the keypoint's own dtype.
_ZERO_ATOL = 1e-8
# The thresholds below which mmaction2 treats a vector or angle as zero.
_DEGENERATE = 1e-6
_Z_AXIS = np.array([0., 0., 1.])
_X_AXIS = np.array([1., 0., 0.])


def _rotation_onto(vector: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation that turns ``vector`` towards ``target``, as mmaction2.

    Rotates counter-clockwise by the angle between the two vectors about
    their cross product (Rodrigues' formula), so that ``R @ vector`` points
    along ``target``. The identity when the L1 norm of ``vector`` is below
    1e-6, when that of the cross product is (parallel *or antiparallel*
    vectors: an upside-down spine is not flipped) or when the angle is.

    The unit vector of ``vector`` is taken in ``vector``'s own dtype (float32
    for the first rotation of a float32 clip) before the dot product in
    float64: mmaction2 does so, and near-parallel vectors make ``arccos``
    amplify that rounding well beyond 1e-5.

    Args:
        vector (np.ndarray): (3, ), any float dtype.
        target (np.ndarray): (3, ) float64 unit vector.

    Returns:
        np.ndarray: (3, 3) float64 rotation matrix, applied as ``R @ x``.
    """
    if np.abs(vector).sum() < _DEGENERATE:
        return np.eye(3)
    cos = np.clip(np.dot(vector / np.linalg.norm(vector), target), -1., 1.)
    theta = np.arccos(cos)
    # np.cross, spelt out: it costs more than the rest of this function
    axis = np.array([vector[1] * target[2] - vector[2] * target[1],
                     vector[2] * target[0] - vector[0] * target[2],
                     vector[0] * target[1] - vector[1] * target[0]])
    if np.abs(axis).sum() < _DEGENERATE or np.abs(theta) < _DEGENERATE:
        return np.eye(3)
    axis = axis / np.sqrt(np.dot(axis, axis))
    cross = np.array([[0., -axis[2], axis[1]],
                      [axis[2], 0., -axis[0]],
                      [-axis[1], axis[0], 0.]])
    return (np.cos(theta) * np.eye(3) + np.sin(theta) * cross +
            (1. - np.cos(theta)) * np.outer(axis, axis))


@TRANSFORMS.register_module()
class FastPreNormalize3D(BaseTransform):
    """mmaction2 1.2.0's ``PreNormalize3D``, vectorised (same results).

    Steps, all on array operations (no loop over frames or persons):

    1. A clip whose ``keypoint.sum()`` is exactly 0 (all zero, no frames,
       or values that cancel) is returned untouched: no key added or
       changed.
    2. A frame of a person is *empty* when all its ``V * 3`` coordinates
       are within 1e-8 of zero (``np.isclose(x, 0)``: ``|x| <= 1e-8`` in the
       keypoint's dtype; NaN and inf count as non-zero). With two persons,
       person 1 becomes person 0 (they swap) when it has strictly more
       non-empty frames. The clip is cut to the frames where the (new)
       person 0 is non-empty; frames holding only the other person are
       dropped.
    3. ``align_center``: every joint that is not exactly zero in all three
       coordinates is translated by ``-c``, ``c`` being the centre joint of
       person 0 in the first kept frame; exactly-zero joints stay zero
       (multiplied by 0, as mmaction2: ``NaN``/``inf`` in ``c`` turns them
       into NaN). The centre joint is ``center_joint`` if given, else
       mmaction2's choice: joint 1 for 25-joint skeletons, the *last* joint
       for any other layout (the right foot of NW-UCLA's 20 joints).
    4. ``align_spine``: rotate so that ``zaxis[0] -> zaxis[1]`` of person 0,
       first frame, points along +z; then ``align_shoulder``: rotate (about
       the new coordinates) so that ``xaxis[1] -> xaxis[0]`` points along +x
       (which in general tilts the spine off +z again).
       See :func:`_rotation_onto` for the angle, axis and degenerate cases.
       Either rotation makes ``keypoint`` float64 (mmaction2 multiplies by a
       float64 matrix), even when the matrix is the identity.

    Deviations from mmaction2 1.2.0, all where it crashes or asserts:
    ``align_center=False`` works (mmaction2 raises ``UnboundLocalError`` at
    the end); a clip whose coordinates are all within 1e-8 of zero but do not
    sum to 0 raises a ValueError (mmaction2: ``IndexError`` from indexing
    with an empty float array); a bad shape, more than two persons, a
    ``total_frames`` that is not ``T`` or a missing joint raise ValueErrors
    naming the sample and field (mmaction2: ``AssertionError`` /
    ``IndexError``; it lets an all-zero clip of any M through).

    Required Keys:

        - keypoint (np.ndarray): (M, T, V, 3), M in {1, 2}.
        - total_frames (int, optional): must equal T when present.

    Modified Keys:

        - keypoint: (M, T', V, 3), T' the kept frames; persons swapped,
          centred and rotated as above. float64 when ``align_spine`` or
          ``align_shoulder``, else the input dtype.
        - total_frames: set (added when absent) to T' as a Python int.

    Added Keys:

        - body_center (np.ndarray): (3, ) in the input dtype, the point
          subtracted in step 3 (zeros when ``align_center=False``).

    ``keypoint_score``, if present, is neither cut nor swapped (nor is it by
    mmaction2): with a score field, T' != T leaves the two misaligned.

    Args:
        zaxis (list[int]): Joints (bottom, top) whose vector is turned onto
            +z. Defaults to ``[0, 1]`` (NTU hip centre -> spine mid).
        xaxis (list[int]): Joints (right, left) whose vector (left -> right)
            is turned onto +x. Defaults to ``[8, 4]`` (NTU right and left
            shoulder).
        align_spine (bool): Whether to do the z rotation. Defaults to True.
        align_shoulder (bool): Whether to do the x rotation. Defaults to
            True.
        align_center (bool): Whether to centre (step 3). Defaults to True.
        center_joint (int, optional): 0-based centre joint (negative counts
            from the end), e.g. 1 for NW-UCLA's spine. Defaults to None:
            mmaction2's choice, see step 3. Not quite ``PreNormalize3D``
            followed by ``CenterOnJoint``: that chain also zeroes mmaction2's
            centre joint in the first frame (exactly zero after the first
            centring, then taken for padding); this keeps it.
    """

    def __init__(self,
                 zaxis: Sequence[int] = (0, 1),
                 xaxis: Sequence[int] = (8, 4),
                 align_spine: bool = True,
                 align_shoulder: bool = True,
                 align_center: bool = True,
                 center_joint: Optional[int] = None) -> None:
        self.zaxis = self._check_pair(zaxis, 'zaxis')
        self.xaxis = self._check_pair(xaxis, 'xaxis')
        if center_joint is not None and not self._is_int(center_joint):
            raise ValueError(f'{self.__class__.__name__}: center_joint must '
                             f'be an integer or None, got {center_joint!r}')
        if center_joint is not None and not align_center:
            raise ValueError(f'{self.__class__.__name__}: center_joint='
                             f'{center_joint} has no effect with '
                             f'align_center=False')
        self.align_spine = bool(align_spine)
        self.align_shoulder = bool(align_shoulder)
        self.align_center = bool(align_center)
        self.center_joint = center_joint

    @staticmethod
    def _is_int(value) -> bool:
        return (isinstance(value, numbers.Integral)
                and not isinstance(value, bool))

    def _check_pair(self, pair, name: str) -> List[int]:
        if (isinstance(pair, (str, bytes)) or not hasattr(pair, '__len__')
                or len(pair) != 2 or not all(map(self._is_int, pair))):
            raise ValueError(f'{self.__class__.__name__}: {name} must be two '
                             f'joint indices, got {pair!r}')
        return [int(joint) for joint in pair]

    def _check(self, results: Dict) -> None:
        """ValueError naming sample and field unless the input is usable."""
        name = self.__class__.__name__
        sample = results.get('frame_dir')
        keypoint = results['keypoint']
        shape = getattr(keypoint, 'shape', None)
        if (not isinstance(keypoint, np.ndarray) or keypoint.ndim != 4
                or shape[-1] != 3 or shape[0] not in (1, 2)):
            raise ValueError(
                f'{name}: sample {sample!r}, field "keypoint" must be an '
                f'(M, T, V, 3) array with M in (1, 2), got '
                f'{type(keypoint).__name__} of shape {shape}')
        total_frames = results.get('total_frames', shape[1])
        if total_frames != shape[1]:
            raise ValueError(
                f'{name}: sample {sample!r}, field "total_frames" is '
                f'{total_frames} but "keypoint" has {shape[1]} frames')
        num_joints = shape[2]
        used = []
        if self.align_center:
            used.append(('center_joint', self._center_joint(num_joints)))
        if self.align_spine:
            used += [('zaxis', joint) for joint in self.zaxis]
        if self.align_shoulder:
            used += [('xaxis', joint) for joint in self.xaxis]
        for arg, joint in used:
            if not -num_joints <= joint < num_joints:
                raise ValueError(
                    f'{name}: {arg} joint {joint} does not exist in sample '
                    f'{sample!r}, field "keypoint" of shape {shape}')

    def _center_joint(self, num_joints: int) -> int:
        if self.center_joint is not None:
            return self.center_joint
        return 1 if num_joints == 25 else -1

    def transform(self, results: Dict) -> Dict:
        """Cut, swap, centre and rotate ``results['keypoint']``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        self._check(results)
        keypoint = results['keypoint']
        if keypoint.sum() == 0:
            return results

        # (M, T): a frame is empty when every coordinate is close to 0
        flat = keypoint.reshape(keypoint.shape[:2] + (-1, ))
        empty = np.all((flat <= _ZERO_ATOL) & (flat >= -_ZERO_ATOL), axis=-1)
        num_valid = keypoint.shape[1] - empty.sum(axis=1)
        main = 1 if len(num_valid) == 2 and num_valid[0] < num_valid[1] else 0
        if num_valid[main] == 0:
            raise ValueError(
                f'{self.__class__.__name__}: sample '
                f'{results.get("frame_dir")!r}, field "keypoint" has no '
                f'frame with a coordinate farther than {_ZERO_ATOL} from 0, '
                f'yet does not sum to 0')
        # a copy: persons swapped (reversed) when person 1 is the main one
        skeleton = (keypoint[::-1] if main else keypoint)[:, ~empty[main]]
        shape = skeleton.shape
        # (3, M * T' * V) planes: every step below runs along long rows
        planes = np.ascontiguousarray(skeleton.reshape(-1, 3).T)

        if self.align_center:
            center = skeleton[0, 0, self._center_joint(shape[2])].copy()
            present = (planes[0] != 0) | (planes[1] != 0) | (planes[2] != 0)
            planes -= center[:, None]
            planes *= present
        else:
            center = np.zeros(3, dtype=keypoint.dtype)

        if self.align_spine or self.align_shoulder:
            rotation = np.eye(3)
            frame = planes[:, :shape[2]].T  # person 0, first kept frame
            if self.align_spine:
                bottom, top = self.zaxis
                rotation = _rotation_onto(frame[top] - frame[bottom], _Z_AXIS)
                frame = frame @ rotation.T
            if self.align_shoulder:
                right, left = self.xaxis
                rotation = _rotation_onto(frame[right] - frame[left],
                                          _X_AXIS) @ rotation
            skeleton = planes.astype(np.float64).T @ np.ascontiguousarray(
                rotation.T)
        elif self.align_center:
            skeleton = np.ascontiguousarray(planes.T)
        skeleton = skeleton.reshape(shape)

        results['keypoint'] = skeleton
        results['total_frames'] = skeleton.shape[1]
        results['body_center'] = center
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(zaxis={self.zaxis}, '
                f'xaxis={self.xaxis}, align_center={self.align_center}, '
                f'align_spine={self.align_spine}, '
                f'align_shoulder={self.align_shoulder}, '
                f'center_joint={self.center_joint})')
