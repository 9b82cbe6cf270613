"""Argument checks shared by the library and the command line.

Standard library only, so the command line can use them without importing
Keras.
"""

import math
import numbers


def int_requirement(minimum):
    """How `check_int` words its requirement: "a positive integer", ..."""
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    return f"an integer >= {minimum}"


def check_int(value, name, *, minimum=1, allow_none=False):
    """Returns `value` as an int if it is an integer of at least `minimum`.

    Python and numpy integers pass; bools, floats and strings do not.

    Args:
        value: the value to check.
        name: the argument's name, for the message.
        minimum: the smallest value allowed (1: a positive integer).
        allow_none: let None through (an optional setting).

    Returns:
        `int(value)`, or None.

    Raises:
        TypeError: `value` is not an integer.
        ValueError: `value` is below `minimum`.

    Example:

    >>> check_int(3, "batch_size")
    3
    """
    if allow_none and value is None:
        return None
    what = int_requirement(minimum) + (" or None" if allow_none else "")
    message = f"`{name}` must be {what}. Received: {name}={value!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(message)
    if value < minimum:
        raise ValueError(message)
    return int(value)


def check_positive_int(value, name, *, allow_none=False):
    """`check_int` with `minimum=1`: a positive integer (or None if allowed)."""
    return check_int(value, name, minimum=1, allow_none=allow_none)


def check_float(value, name, *, positive=False):
    """Returns `value` as a float if it is a finite number, >= 0 (or > 0).

    Anything `float()` accepts passes (ints, numpy numbers, numeric strings).

    Args:
        value: the value to check.
        name: the argument's name, for the message.
        positive: require `> 0` instead of `>= 0`.

    Returns:
        `float(value)`.

    Raises:
        TypeError: `value` is not a number.
        ValueError: `value` is negative (or 0 when `positive`), NaN or
            infinite.

    Example:

    >>> check_float(2, "style_weight")
    2.0
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        ) from None
    bound = "> 0" if positive else ">= 0"
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(
            f"`{name}` must be a finite number {bound}. Received: {name}={value!r}"
        )
    return number


def check_fraction(value, name):
    """Returns `value` as a `float`; raises unless it is a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`{name}` must be a number in [0, 1]. Received: {name}={value!r}"
        )
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"`{name}` must be in [0, 1]. Received: {name}={value!r}")
    return float(value)
