"""Argument checks shared by the plugin's components, and what the tools
record of the machine they measured on."""
import numbers
import platform


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


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what platform
    knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
