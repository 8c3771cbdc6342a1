"""Argument checks shared by every component: one place for the rules and the
wording of the errors.

Each check returns the value it accepted (converted where that is safe, as
an ``int`` for a whole number) or raises an error that names the owner (the
component, e.g. ``Dense 'dense_1'``), the argument, what was expected and
what was given.

>>> whole_number("Dense", "units", 3.0)
3
>>> whole_number("Dense", "units", 2.7)
Traceback (most recent call last):
...
ValueError: Dense: units must be a whole number >= 1, got 2.7
"""
import difflib
import math
import numbers


def whole_number(owner, name, value, minimum=1):
    """``value`` as an ``int`` ``>= minimum``; floats only if they are whole."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(value) or value != int(value) or value < minimum:
        raise (TypeError if not isinstance(value, numbers.Real) or isinstance(value, bool)
               else ValueError)(f"{owner}: {name} must be a whole number >= {minimum}, "
                                f"got {value!r}")
    return int(value)


def real_number(owner, name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a finite ``float`` within ``[low, high]`` (a bound is left
    out if ``None``, excluded if ``low_open``/``high_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    value = float(value)
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or below or above:
        raise ValueError(f"{owner}: {name} must be a finite number"
                         f"{interval(low, high, low_open, high_open)}, got {value!r}")
    return value


def interval(low, high, low_open, high_open):
    """`` in [0, 1)``, `` > 0``... for messages."""
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def closest(name, candidates):
    """`` (did you mean 'x'?)`` for the candidate closest to ``name``, or ``""``.

    >>> closest("mean_squared_eror", ["mse", "mean_squared_error", "mae"])
    " (did you mean 'mean_squared_error'?)"
    """
    match = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
