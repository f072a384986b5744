"""Argument checks shared by the plugin's components."""
import numbers


def check_int(name: str, value, minimum: int = 0, owner: str = '') -> int:
    """``value`` if it is an integer >= ``minimum``, else a ValueError.

    Args:
        name (str): The argument's name, for the message.
        value: The value to check; ``bool`` is refused although it is an int.
        minimum (int): The smallest value allowed. Defaults to 0.
        owner (str): The component, prefixed to the message (e.g.
            ``'MotionFamilyHook'``). Defaults to ''.

    Returns:
        int: ``value``.
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < minimum):
        prefix = f'{owner}: ' if owner else ''
        raise ValueError(f'{prefix}{name} must be an integer >= {minimum}, '
                         f'got {value!r}')
    return int(value)
