"""Elementwise ops: arithmetic, comparisons, functions of one value and the
activations. Each op's vector-Jacobian product (vjp) sits beside it: given
the upstream gradient :math:`\\bar y` (``dy``), it returns the gradient of each
input; broadcasting is undone by the tape (``unbroadcast``).
"""
import math

import numpy as np

from nnlib.activations import erf as erf_float64
from nnlib.activations import logistic
from nnlib.backend import floatx
from nnlib.ops.tape import trace


# -- arithmetic -----------------------------------------------------------------------

def add(x1, x2):
    """:math:`y = x_1 + x_2`; vjp :math:`\\bar x_1 = \\bar y,\\ \\bar x_2 = \\bar y`."""
    return trace(np.add, add_vjp, x1, x2)


def add_vjp(dy, y, x1, x2):
    return dy, dy


def subtract(x1, x2):
    """:math:`y = x_1 - x_2`; vjp :math:`\\bar x_1 = \\bar y,\\ \\bar x_2 = -\\bar y`."""
    return trace(np.subtract, subtract_vjp, x1, x2)


def subtract_vjp(dy, y, x1, x2):
    return dy, -dy


def multiply(x1, x2):
    """:math:`y = x_1 x_2`; vjp :math:`\\bar x_1 = \\bar y x_2,\\ \\bar x_2 = \\bar y x_1`."""
    return trace(np.multiply, multiply_vjp, x1, x2)


def multiply_vjp(dy, y, x1, x2):
    return dy * x2, dy * x1


def divide(x1, x2):
    """:math:`y = x_1 / x_2`; vjp :math:`\\bar x_1 = \\bar y / x_2,\\
    \\bar x_2 = -\\bar y\\, y / x_2`."""
    return trace(np.true_divide, divide_vjp, x1, x2)


def divide_vjp(dy, y, x1, x2):
    return dy / x2, -dy * y / x2


def negative(x):
    """:math:`y = -x`; vjp :math:`\\bar x = -\\bar y`."""
    return trace(np.negative, negative_vjp, x)


def negative_vjp(dy, y, x):
    return (-dy,)


def power(x1, x2):
    """:math:`y = x_1^{x_2}`; vjp :math:`\\bar x_1 = \\bar y\\, x_2 x_1^{x_2 - 1},\\
    \\bar x_2 = \\bar y\\, y \\log x_1` (taken as 0 where :math:`x_1 \\le 0`)."""
    return trace(np.power, power_vjp, x1, x2)


def power_vjp(dy, y, x1, x2):
    positive = np.asarray(x1) > 0
    log_x1 = np.log(np.where(positive, x1, 1.0))
    return dy * x2 * np.power(x1, np.subtract(x2, 1)), dy * y * log_x1


def maximum(x1, x2):
    """:math:`y = \\max(x_1, x_2)`, elementwise; vjp :math:`\\bar x_1 = \\bar y`
    where :math:`x_1 > x_2`, :math:`\\bar x_2 = \\bar y` where :math:`x_2 > x_1`,
    and :math:`\\bar y / 2` to each where they tie."""
    return trace(np.maximum, pairwise_extremum_vjp, x1, x2)


def minimum(x1, x2):
    """:math:`y = \\min(x_1, x_2)`, elementwise; vjp as for ``maximum``: the
    gradient goes to the input equal to :math:`y` (half to each on a tie)."""
    return trace(np.minimum, pairwise_extremum_vjp, x1, x2)


def pairwise_extremum_vjp(dy, y, x1, x2):
    picked_1, picked_2 = np.equal(x1, y), np.equal(x2, y)  # both on a tie
    share = dy / (picked_1.astype(np.result_type(dy)) + picked_2)
    return share * picked_1, share * picked_2


# -- comparisons: boolean results, no gradient -----------------------------------------

def equal(x1, x2):
    """:math:`x_1 = x_2`, elementwise (booleans, no gradient)."""
    return trace(np.equal, None, x1, x2)


def not_equal(x1, x2):
    """:math:`x_1 \\ne x_2`, elementwise (booleans, no gradient)."""
    return trace(np.not_equal, None, x1, x2)


def greater(x1, x2):
    """:math:`x_1 > x_2`, elementwise (booleans, no gradient)."""
    return trace(np.greater, None, x1, x2)


def greater_equal(x1, x2):
    """:math:`x_1 \\ge x_2`, elementwise (booleans, no gradient)."""
    return trace(np.greater_equal, None, x1, x2)


def less(x1, x2):
    """:math:`x_1 < x_2`, elementwise (booleans, no gradient)."""
    return trace(np.less, None, x1, x2)


def less_equal(x1, x2):
    """:math:`x_1 \\le x_2`, elementwise (booleans, no gradient)."""
    return trace(np.less_equal, None, x1, x2)


# -- functions of one value -------------------------------------------------------------

def exp(x):
    """:math:`y = e^x`; vjp :math:`\\bar x = \\bar y\\, y`."""
    return trace(np.exp, exp_vjp, x)


def exp_vjp(dy, y, x):
    return (dy * y,)


def expm1(x):
    """:math:`y = e^x - 1`, exact for small :math:`x`; vjp :math:`\\bar x = \\bar y (y + 1)`."""
    return trace(np.expm1, expm1_vjp, x)


def expm1_vjp(dy, y, x):
    return (dy * (y + 1),)


def log(x):
    """:math:`y = \\log x`; vjp :math:`\\bar x = \\bar y / x`."""
    return trace(np.log, log_vjp, x)


def log_vjp(dy, y, x):
    return (dy / x,)


def sqrt(x):
    """:math:`y = \\sqrt{x}`; vjp :math:`\\bar x = \\bar y / (2y)`."""
    return trace(np.sqrt, sqrt_vjp, x)


def sqrt_vjp(dy, y, x):
    return (dy / (2 * y),)


def square(x):
    """:math:`y = x^2`; vjp :math:`\\bar x = 2 x \\bar y`."""
    return trace(np.square, square_vjp, x)


def square_vjp(dy, y, x):
    return (2 * x * dy,)


def abs(x):
    """:math:`y = |x|`; vjp :math:`\\bar x = \\bar y \\operatorname{sign}(x)` (0 at 0)."""
    return trace(np.abs, abs_vjp, x)


def abs_vjp(dy, y, x):
    return (dy * np.sign(x),)


def tanh(x):
    """:math:`y = \\tanh x`; vjp :math:`\\bar x = \\bar y (1 - y^2)`."""
    return trace(np.tanh, tanh_vjp, x)


def tanh_vjp(dy, y, x):
    return (dy * (1 - y * y),)


def erf_forward(x):
    x = np.asarray(x)
    return erf_float64(x).astype(x.dtype if x.dtype.kind == "f" else floatx())


def erf(x):
    """:math:`y = \\operatorname{erf} x = \\frac{2}{\\sqrt\\pi} \\int_0^x e^{-t^2} dt`;
    vjp :math:`\\bar x = \\bar y \\frac{2}{\\sqrt\\pi} e^{-x^2}`."""
    return trace(erf_forward, erf_vjp, x)


def erf_vjp(dy, y, x):
    return (dy * 2 / math.sqrt(math.pi) * np.exp(-np.square(x)),)


def clip(x, x_min, x_max):
    """:math:`y = \\min(\\max(x, x_{min}), x_{max})`; vjp :math:`\\bar x = \\bar y`
    where :math:`x_{min} \\le x \\le x_{max}`, else 0."""
    return trace(np.clip, clip_vjp, x, x_min, x_max)


def clip_vjp(dy, y, x, x_min, x_max):
    inside = (x >= x_min) & (x <= x_max)
    return dy * inside, None, None


def where(condition, x1=None, x2=None):
    """:math:`y = x_1` where the condition holds, else :math:`x_2`; vjp
    :math:`\\bar x_1 = \\bar y` where it holds (else 0), :math:`\\bar x_2` the rest."""
    if x1 is None or x2 is None:
        raise ValueError("where: x1 and x2 are both needed here (for the positions where "
                         "the condition holds, use np.nonzero(condition))")
    return trace(np.where, where_vjp, condition, x1, x2)


def where_vjp(dy, y, condition, x1, x2):
    condition = np.asarray(condition, dtype=bool)
    return None, np.where(condition, dy, 0), np.where(condition, 0, dy)


# -- activations ------------------------------------------------------------------------

def relu(x):
    """:math:`y = \\max(x, 0)`; vjp :math:`\\bar x = \\bar y [x > 0]`."""
    return trace(relu_forward, relu_vjp, x)


def relu_forward(x):
    return np.maximum(x, 0)


def relu_vjp(dy, y, x):
    return (dy * (x > 0),)


def sigmoid(x):
    """:math:`y = \\sigma(x) = 1/(1 + e^{-x})`, without overflow; vjp
    :math:`\\bar x = \\bar y\\, y (1 - y)`."""
    return trace(logistic, sigmoid_vjp, x, name="sigmoid")


def sigmoid_vjp(dy, y, x):
    return (dy * y * (1 - y),)


def softplus_forward(x):
    return np.logaddexp(x, 0)


def softplus(x):
    """:math:`y = \\log(1 + e^x)`, without overflow; vjp
    :math:`\\bar x = \\bar y\\, \\sigma(x)`."""
    return trace(softplus_forward, softplus_vjp, x)


def softplus_vjp(dy, y, x):
    return (dy * logistic(x),)


def log_sum_exp(x, axis):
    """:math:`\\log \\sum_j e^{x_j}` along ``axis`` (kept), shifted by the
    maximum so that no exponential overflows."""
    x = np.asarray(x)
    shift = x.max(axis=axis, keepdims=True)
    return shift + np.log(np.exp(x - shift).sum(axis=axis, keepdims=True))


def log_softmax_forward(x, axis):
    return x - log_sum_exp(x, axis)


def log_softmax(x, axis=-1):
    """:math:`y_i = x_i - \\log \\sum_j e^{x_j}`; vjp
    :math:`\\bar x = \\bar y - \\operatorname{softmax}(x) \\sum_j \\bar y_j`."""
    return trace(log_softmax_forward, log_softmax_vjp, x, axis=axis)


def log_softmax_vjp(dy, y, x, axis):
    return (dy - np.exp(y) * dy.sum(axis=axis, keepdims=True),)


def softmax_forward(x, axis):
    x = np.asarray(x)
    exps = np.exp(x - x.max(axis=axis, keepdims=True))  # shifted: no exponential overflows
    return exps / exps.sum(axis=axis, keepdims=True)


def softmax(x, axis=-1):
    """:math:`y_i = e^{x_i} / \\sum_j e^{x_j}`; vjp
    :math:`\\bar x = y \\odot (\\bar y - \\sum_j \\bar y_j y_j)`."""
    return trace(softmax_forward, softmax_vjp, x, axis=axis)


def softmax_vjp(dy, y, x, axis):
    return (y * (dy - (dy * y).sum(axis=axis, keepdims=True)),)
