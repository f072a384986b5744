"""Argument and input checks shared by the skeleton transforms."""
import numbers
from typing import Optional

from ..layouts import SkeletonLayout


def check_probability(p, name: str = 'p') -> float:
    """``p`` as a float, or ValueError naming the argument if not in [0, 1]."""
    if (isinstance(p, bool) or not isinstance(p, numbers.Real)
            or not 0 <= p <= 1):
        raise ValueError(f'{name} must be a number in [0, 1], got {p!r}')
    return float(p)


def check_keypoint(keypoint,
                   transform: str,
                   layout: Optional[SkeletonLayout] = None) -> None:
    """ValueError unless ``keypoint`` is an (M, T, V, C) array.

    Args:
        keypoint (np.ndarray): The ``keypoint`` field.
        transform (str): The transform, for the message (with its layout's
            name when ``layout`` is given).
        layout (SkeletonLayout, optional): When given, V must be its
            number of joints. Defaults to None.
    """
    if getattr(keypoint, 'ndim', None) != 4:
        shape = getattr(keypoint, 'shape', None)
        raise ValueError(f'{transform} expects keypoint of shape '
                         f'(M, T, V, C), got {shape}')
    if layout is not None and keypoint.shape[2] != layout.num_joints:
        raise ValueError(
            f'{transform}(layout={layout.name!r}) expects '
            f'{layout.num_joints} joints, got keypoint of shape '
            f'{keypoint.shape}')
