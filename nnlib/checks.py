"""Argument checks shared by every component: one place for the rules and the
wording of the errors.

Each check returns the value it accepted (converted where that is safe, as
an ``int`` for a whole number) or raises an error that names the owner (the
component, e.g. ``Dense 'dense_1'``), the argument, what was expected and
what was given: a ``TypeError`` for a value of the wrong kind (a string for
a number), a ``ValueError`` for one of the right kind out of range.

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

import numpy as np


def describe(component):
    """``Dense 'dense_1'``: a named component as messages name it."""
    return f"{type(component).__name__} '{component.name}'"


def short_repr(value, limit=200):
    """``repr(value)``, cut to ``limit`` characters: data quoted in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def is_number(value):
    """Whether ``value`` is a real number, and not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def is_whole(value, minimum=None):
    """Whether ``value`` is a finite whole number ``>= minimum`` (``None``: any)."""
    return (is_number(value) and math.isfinite(value) and value == int(value)
            and (minimum is None or value >= minimum))


def whole_number(owner, name, value, minimum=1):
    """``value`` as an ``int`` ``>= minimum`` (any integer if ``minimum`` is
    ``None``); floats only if they are whole."""
    if not is_whole(value, minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise (ValueError if is_number(value) else TypeError)(
            f"{owner}: {name} must be a whole number{bound}, got {value!r}")
    return int(value)


def whole_numbers(owner, name, value, length=None, minimum=1, also=(), single=False):
    """``value``, a tuple or list of whole numbers ``>= minimum`` (``None``: any)
    or of the values in ``also`` (``None`` for an unknown size, ``-1`` for an
    inferred one), as a tuple of ``length`` entries if ``length`` is given.

    With ``single``, one number stands for all of them (``3`` is ``(3, 3)``
    for a 2-D window); without, one number is refused with the fix, since
    ``Input(64)`` means ``Input((64,))``.

    >>> whole_numbers("Input", "shape", [28, 28.0, None], also=(None,))
    (28, 28, None)
    >>> whole_numbers("Conv2D", "strides", 2, length=2, single=True)
    (2, 2)
    >>> whole_numbers("Input", "shape", 64)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: Input: shape must be a tuple ..., got 64; for one axis of 64 write shape=(64,)
    """
    bound = "" if minimum is None else f" >= {minimum}"
    if single:
        count = "them" if length is None else f"{length} of them"
        what = f"a whole number{bound} or a tuple of {count}"
    else:
        size = "" if length is None else f"{length} "
        what = f"a tuple of {size}whole numbers{bound}" + "".join(f" or {a!r}" for a in also)
    values = [value] * (length or 1) if single and is_number(value) else value
    if not isinstance(values, (tuple, list)):
        fix = f"; for one axis of {value!r} write {name}=({value!r},)" if is_number(value) else ""
        raise TypeError(f"{owner}: {name} must be {what}, got {value!r}{fix}")
    special = [any(v is a if a is None else is_number(v) and v == a for a in also)
               for v in values]
    wrong = [v for v, s in zip(values, special) if not s and not is_whole(v, minimum)]
    if wrong or (length is not None and len(values) != length):
        kind = TypeError if any(not is_number(v) for v in wrong) else ValueError
        raise kind(f"{owner}: {name} must be {what}, got {value!r}")
    return tuple(v if s and v is None else int(v) for v, s in zip(values, special))


def real_number(owner, name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a finite ``float`` within ``[low, high]`` (a bound is left
    out if ``None``, excluded if ``low_open``/``high_open``)."""
    if not is_number(value):
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


def flag(owner, name, value):
    """``value`` as a ``bool``: ``True`` or ``False`` only, so that
    ``use_bias="no"`` is an error rather than true."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def one_of(owner, name, value, allowed, also=None):
    """``value`` in lower case, which must be one of the strings ``allowed``
    (``also`` names what else the caller accepts, for the message).

    >>> one_of("Conv2D", "padding", "SAME", ("valid", "same"))
    'same'
    >>> one_of("Conv2D", "padding", "sme", ("valid", "same"))
    Traceback (most recent call last):
    ...
    ValueError: Conv2D: padding must be one of ('valid', 'same'), got 'sme' (did you mean 'same'?)
    """
    allowed = tuple(allowed)
    expected = f"one of {allowed}" + ("" if also is None else f" or {also}")
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {name} must be {expected}, got {value!r}")
    if value.lower() not in allowed:
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}"
                         f"{closest(value, allowed)}")
    return value.lower()


def component(owner, name, get, identifier):
    """``get(identifier)`` (a lookup such as ``activations.get``), its error
    prefixed with the owner and the argument, so that an unknown name fails
    where it is given: ``Dense 'dense': activation: unknown activation 'rleu'...``."""
    try:
        return get(identifier)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{owner}: {name}: {error}") from None


def closest(name, candidates):
    """`` (did you mean 'x'?)`` for the candidate closest to ``name``, or ``""``.

    Case and underscores are ignored, as the registry ignores them; among
    candidates that only differ in them, the first one listed is suggested.

    >>> closest("mean_squared_eror", ["mse", "mean_squared_error", "mae"])
    " (did you mean 'mean_squared_error'?)"
    >>> closest("GlorotUnifrom", ["glorot_uniform", "GlorotUniform"])
    " (did you mean 'glorot_uniform'?)"
    """
    keys = {}
    for candidate in candidates:
        keys.setdefault(_key(candidate), candidate)
    match = difflib.get_close_matches(_key(name), list(keys), n=1, cutoff=0.6)
    return f" (did you mean {keys[match[0]]!r}?)" if match else ""


def _key(name):
    return str(name).replace("_", "").lower()
