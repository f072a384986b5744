"""Argument checks shared by the skeleton transforms."""
import numbers


def check_probability(p, name: str = 'p') -> float:
    """``p`` as a float, or ValueError naming the argument if not in [0, 1]."""
    if (isinstance(p, bool) or not isinstance(p, numbers.Real)
            or not 0 <= p <= 1):
        raise ValueError(f'{name} must be a number in [0, 1], got {p!r}')
    return float(p)


def check_keypoint(keypoint, transform: str):
    """ValueError unless ``keypoint`` is an (M, T, V, C) array."""
    if getattr(keypoint, 'ndim', None) != 4:
        shape = getattr(keypoint, 'shape', None)
        raise ValueError(f'{transform} expects keypoint of shape '
                         f'(M, T, V, C), got {shape}')
