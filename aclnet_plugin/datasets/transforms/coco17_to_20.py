"""COCO 17 keypoints to the 20-joint Kinetics / FineGYM layout."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ._utils import check_keypoint

# COCO indices
_L_SHOULDER, _R_SHOULDER, _L_HIP, _R_HIP = 5, 6, 11, 12


@TRANSFORMS.register_module()
class Coco17To20(BaseTransform):
    """Add the hip centre, shoulder centre and spine to COCO keypoints.

    The 17 COCO keypoints become the ``'coco20'`` layout of
    :mod:`aclnet_plugin.datasets.layouts`: the 17 points, then

    - 17: hip centre, the mean of the hips (11, 12);
    - 18: shoulder centre, the mean of the shoulders (5, 6);
    - 19: spine, the mean of joints 17 and 18.

    Each new joint's score is the mean of its two source joints' scores.
    The score becomes the third channel of ``keypoint`` (``merge_score``,
    the default) or stays in ``keypoint_score``. A ``keypoint`` that already
    holds the score as its third channel (and no ``keypoint_score``) is
    accepted too.

    Required Keys:

        - keypoint: (M, T, 17, 2), or (M, T, 17, 3) with the score last.
        - keypoint_score: (M, T, 17), unless ``keypoint`` holds the score.

    Modified Keys:

        - keypoint: float32 (M, T, 20, 3), or (M, T, 20, 2) with
          ``merge_score=False``.
        - keypoint_score: (M, T, 20) with ``merge_score=False``; removed
          otherwise.

    Args:
        merge_score (bool): Whether to put the score into ``keypoint`` as
            its third channel. Defaults to True.
    """

    def __init__(self, merge_score: bool = True) -> None:
        self.merge_score = bool(merge_score)

    def transform(self, results: Dict) -> Dict:
        """Convert ``results['keypoint']`` (and ``keypoint_score``).

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'Coco17To20')
        C = keypoint.shape[-1]
        if keypoint.shape[2] != 17 or C not in (2, 3):
            raise ValueError(f'Coco17To20 expects keypoint of shape '
                             f'(M, T, 17, 2) or (M, T, 17, 3), got '
                             f'{keypoint.shape}')
        if 'keypoint_score' in results:
            if C != 2:
                raise ValueError('Coco17To20 got both keypoint_score and '
                                 f'keypoint of shape {keypoint.shape}')
            score = results.pop('keypoint_score')
            keypoint = np.concatenate([keypoint, score[..., None]], axis=-1)
        elif C != 3:
            raise ValueError('Coco17To20 needs keypoint_score, or keypoint '
                             'with the score as its third channel')
        keypoint = keypoint.astype(np.float32, copy=False)

        hip = (keypoint[:, :, _L_HIP] + keypoint[:, :, _R_HIP]) / 2
        shoulder = (keypoint[:, :, _L_SHOULDER] +
                    keypoint[:, :, _R_SHOULDER]) / 2
        spine = (hip + shoulder) / 2
        keypoint = np.concatenate(
            [keypoint, np.stack([hip, shoulder, spine], axis=2)], axis=2)

        if self.merge_score:
            results['keypoint'] = keypoint
        else:
            results['keypoint'] = keypoint[..., :2].copy()
            results['keypoint_score'] = keypoint[..., 2].copy()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(merge_score={self.merge_score})'
