"""Occlusion of one named body part, for test-time robustness analysis."""
from typing import Dict, Union

from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ..layouts import SkeletonLayout, get_layout
from ._utils import check_keypoint


@TRANSFORMS.register_module()
class OcclusionMask(BaseTransform):
    """Zero the joints of one named part over a whole clip (occlusion).

    The paper's occlusion analysis (Table IX) trains on full skeletons and
    tests with the joints of one part (left arm, right arm, two hands, two
    legs or trunk; for a hand, a finger) set to zero. The parts are data of
    the layout (:attr:`SkeletonLayout.parts`). Every person and every frame
    is masked, deterministically; the other joints are untouched.

    Where it goes in a test pipeline: after the normalisation
    (``PreNormalize3D``, ``CenterOnJoint``, ``Coco17To20``, ...) and before
    the stream feature (``SkeletonFeat`` or ``GenSkeFeat``), e.g.::

        test_pipeline = [
            dict(type='PreNormalize3D'),
            dict(type='OcclusionMask', layout='nturgb+d', part='two_legs'),
            dict(type='SkeletonFeat', layout='nturgb+d', feats=['b']),
            dict(type='UniformSampleFrames', clip_len=100, num_clips=10,
                 test_mode=True),
            ...]

    - After the normalisation, because normalising reads joints (the spine
      it centres on, the hips and shoulders it aligns), and derives joints
      (``Coco17To20``'s centres): zeroing first would move or rotate the
      whole skeleton, not just hide a part. After it, exactly the part's
      joints are zero, i.e. placed at the body's centre.
    - Before the stream feature, so that the bone, k-bone and motion streams
      are computed from the occluded joints as from a sensor that lost
      them, and for 2D layouts while ``keypoint_score`` (zeroed too: the
      joints were not detected) is still a separate field.

    Required Keys:

        - keypoint: (M, T, V, C), V the layout's number of joints.
        - keypoint_score (optional): (M, T, V).

    Modified Keys:

        - keypoint
        - keypoint_score (if present)

    Args:
        layout (str | SkeletonLayout): A layout of
            :mod:`aclnet_plugin.datasets.layouts`. Defaults to
            ``'nturgb+d'``.
        part (str): The part to occlude, a key of the layout's ``parts``
            (``'left_arm'``, ``'right_arm'``, ``'two_hands'``,
            ``'two_legs'``, ``'trunk'``; ``'thumb'`` ... ``'pinky'`` for
            ``'fpha-hand'``). Defaults to ``'left_arm'``.
    """

    def __init__(self,
                 layout: Union[str, SkeletonLayout] = 'nturgb+d',
                 part: str = 'left_arm') -> None:
        self.layout = get_layout(layout)
        if not self.layout.parts:
            raise ValueError(f'layout {self.layout.name!r} names no '
                             'occlusion parts (its `parts` is empty)')
        if part not in self.layout.parts:
            raise ValueError(
                f'part must be one of the parts of layout '
                f'{self.layout.name!r} ({list(self.layout.parts)}), got '
                f'{part!r}')
        self.part = part
        self.joints = list(self.layout.parts[part])

    def transform(self, results: Dict) -> Dict:
        """Zero the part in ``results['keypoint']`` (and ``keypoint_score``).

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict, with new arrays (the input arrays are not
            modified).
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'OcclusionMask', self.layout)
        keypoint = keypoint.copy()
        keypoint[:, :, self.joints] = 0
        results['keypoint'] = keypoint
        if 'keypoint_score' in results:
            score = results['keypoint_score'].copy()
            score[:, :, self.joints] = 0
            results['keypoint_score'] = score
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(layout={self.layout.name!r}, '
                f'part={self.part!r})')
