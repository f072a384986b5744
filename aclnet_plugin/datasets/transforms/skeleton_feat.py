"""Multi-stream skeleton features (joint, bone, k-bone and their motion)."""
from typing import Dict, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from ..layouts import SkeletonLayout, get_layout
from ._utils import check_keypoint

FEATS = ('j', 'b', 'k', 'jm', 'bm', 'km')


@TRANSFORMS.register_module()
class SkeletonFeat(BaseTransform):
    """Generate multi-stream skeleton features for any layout.

    A layout-driven counterpart of mmaction's ``GenSkeFeat``, with the
    k-bone stream added. The streams:

    - ``'j'``: the joints.
    - ``'b'``: bones, every joint minus its parent (the root: zero). For
      ``'nturgb+d'`` and ``'coco'`` this is mmaction's ``JointToBone``.
    - ``'k'``: k-bones, every joint minus its grandparent (the parent of its
      parent; the root: zero, the root's children: their bones).
    - ``'jm'``, ``'bm'``, ``'km'``: the motion of a stream, the difference
      of frame ``t + 1`` and frame ``t``; the last frame is zero.

    Several feats are concatenated along ``axis`` in the given order, as
    ``GenSkeFeat`` does; ``feats=['j', 'b']`` gives the same array as
    ``GenSkeFeat(feats=['j', 'b'])``.

    For 2D layouts (``layout.ndim == 2``), a ``keypoint_score`` is first
    appended to the keypoints as a third channel (and removed from the
    results), and a third channel is treated as a score, not a coordinate:
    a bone's score is the mean of its two joints' scores and a motion's
    score the mean of the two frames' scores (as ``GenSkeFeat`` does for
    ``'coco'``).

    Required Keys:

        - keypoint: (M, T, V, C).
        - keypoint_score (optional, 2D layouts only): (M, T, V).

    Modified Keys:

        - keypoint: (M, T, V, C * len(feats)) with the default ``axis``.

    Removed Keys:

        - keypoint_score (if present)

    Args:
        layout (str | SkeletonLayout): A layout of
            :mod:`aclnet_plugin.datasets.layouts`. Defaults to
            ``'nturgb+d'``.
        feats (Sequence[str]): The streams, each one of ``'j'``, ``'b'``,
            ``'k'``, ``'jm'``, ``'bm'``, ``'km'``. Defaults to ``['j']``.
        axis (int): The axis along which the streams are joined.
            Defaults to -1.
    """

    def __init__(self,
                 layout: Union[str, SkeletonLayout] = 'nturgb+d',
                 feats: Sequence[str] = ['j'],
                 axis: int = -1) -> None:
        self.layout = get_layout(layout)
        if isinstance(feats, str):
            feats = [feats]
        feats = list(feats)
        if not feats or any(f not in FEATS for f in feats):
            raise ValueError(f'feats must be a non-empty list of {FEATS}, '
                             f'got {feats!r}')
        self.feats = feats
        self.axis = axis
        self.parents = np.array(self.layout.parents)
        self.grandparents = np.array(self.layout.grandparents)

    @staticmethod
    def relative(data: np.ndarray, index: np.ndarray,
                 with_score: bool) -> np.ndarray:
        """Every joint minus joint ``index[v]``.

        Args:
            data (np.ndarray): (M, T, V, C) joints.
            index (np.ndarray): (V, ) the joint to subtract from each.
            with_score (bool): Whether the last channel is a score, averaged
                instead of subtracted.

        Returns:
            np.ndarray: (M, T, V, C).
        """
        out = data - data[:, :, index]
        if with_score:
            out[..., -1] = (data[..., -1] + data[:, :, index, -1]) / 2
        return out

    @staticmethod
    def motion(data: np.ndarray, with_score: bool) -> np.ndarray:
        """Frame differences, the last frame zero.

        Args:
            data (np.ndarray): (M, T, V, C).
            with_score (bool): Whether the last channel is a score, averaged
                over the two frames instead of subtracted.

        Returns:
            np.ndarray: (M, T, V, C).
        """
        out = np.zeros_like(data)
        out[:, :-1] = data[:, 1:] - data[:, :-1]
        if with_score:
            out[:, :-1, :, -1] = (data[:, :-1, :, -1] + data[:, 1:, :, -1]) / 2
        return out

    def transform(self, results: Dict) -> Dict:
        """Replace ``results['keypoint']`` with the requested streams.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        keypoint = results['keypoint']
        check_keypoint(keypoint, 'SkeletonFeat', self.layout)
        name = self.layout.name
        if 'keypoint_score' in results:
            if self.layout.ndim != 2 or keypoint.shape[-1] != 2:
                raise ValueError(
                    f'keypoint_score is only for 2D keypoints of a 2D layout;'
                    f' got layout {name!r} and keypoint of shape '
                    f'{keypoint.shape}')
            score = results.pop('keypoint_score')
            keypoint = np.concatenate([keypoint, score[..., None]], axis=-1)
        with_score = self.layout.ndim == 2 and keypoint.shape[-1] == 3

        streams = dict(j=keypoint)
        if 'b' in self.feats or 'bm' in self.feats:
            streams['b'] = self.relative(keypoint, self.parents, with_score)
        if 'k' in self.feats or 'km' in self.feats:
            streams['k'] = self.relative(keypoint, self.grandparents,
                                         with_score)
        for feat in ('jm', 'bm', 'km'):
            if feat in self.feats:
                streams[feat] = self.motion(streams[feat[0]], with_score)
        results['keypoint'] = np.concatenate(
            [streams[feat] for feat in self.feats], axis=self.axis)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(layout={self.layout.name!r}, '
                f'feats={self.feats}, axis={self.axis})')
