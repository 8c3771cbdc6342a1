"""LSTM: long short-term memory, a cell state that gates add to and erase."""
import numpy as np

from .. import activations, initializers
from ..backend import standardize_dtype
from ..initializers import Initializer
from ..registry import register
from .rnn import Recurrent, RecurrentCell, activate, new_record, sample_initializers, slope


class UnitForgetBias(Initializer):
    """The LSTM bias of ``unit_forget_bias``: ``bias_initializer``'s values with
    the forget gate's block set to 1, as Keras builds it."""

    def __init__(self, bias_initializer, units):
        super().__init__()
        self.bias_initializer = initializers.get(bias_initializer)
        self.units = units

    def __call__(self, shape, dtype=None):
        u = self.units
        return np.concatenate([self.bias_initializer((u,), dtype),
                               np.ones(u, standardize_dtype(dtype)),
                               self.bias_initializer((2 * u,), dtype)])


class LSTMCell(RecurrentCell):
    """One LSTM step (Hochreiter and Schmidhuber; Keras's gate order i, f, c, o):

    .. math::

        z_t &= x_t W + h_{t-1} U + b = [z^i, z^f, z^c, z^o] \\\\
        i_t &= \\sigma(z^i), \\quad f_t = \\sigma(z^f), \\quad
            g_t = \\tanh(z^c), \\quad o_t = \\sigma(z^o) \\\\
        c_t &= f_t \\odot c_{t-1} + i_t \\odot g_t \\\\
        h_t &= o_t \\odot \\tanh(c_t)

    The input gate :math:`i` decides how much of the candidate :math:`g`
    enters the cell state :math:`c`, the forget gate :math:`f` how much of
    the old state stays, the output gate :math:`o` how much of the state is
    shown as :math:`h`.  :math:`\\sigma` is ``recurrent_activation`` and
    :math:`\\tanh` ``activation``.  Weights: ``kernel`` :math:`W` ``(d, 4u)``,
    ``recurrent_kernel`` :math:`U` ``(u, 4u)``, ``bias`` :math:`b` ``(4u,)``,
    each the four gates' blocks side by side in the order i, f, c, o.

    Backward through the step, given :math:`\\partial L/\\partial h_t` and
    :math:`\\partial L/\\partial c_t` (from step :math:`t+1`):

    .. math::

        \\bar c_t &= \\frac{\\partial L}{\\partial c_t}
            + \\frac{\\partial L}{\\partial h_t} \\odot o_t \\odot
              \\tanh'(c_t) \\\\
        \\delta_t &= \\big[\\bar c_t \\odot g_t,\\; \\bar c_t \\odot c_{t-1},\\;
            \\bar c_t \\odot i_t,\\; \\tfrac{\\partial L}{\\partial h_t} \\odot
            \\tanh(c_t)\\big] \\odot [\\sigma'(z^i), \\sigma'(z^f),
            \\tanh'(z^c), \\sigma'(z^o)] \\\\
        \\frac{\\partial L}{\\partial h_{t-1}} &= \\delta_t U^\\top, \\qquad
        \\frac{\\partial L}{\\partial c_{t-1}} = \\bar c_t \\odot f_t

    The cell state's path back, :math:`\\partial L/\\partial c_{t-1} =
    \\bar c_t \\odot f_t`, is a product with the forget gate only, no weight
    matrix and no squashing: with :math:`f \\approx 1` the gradient crosses
    many steps undiminished.  ``unit_forget_bias`` starts :math:`f` near
    :math:`\\sigma(1) \\approx 0.73` for that reason.

    A call's record keeps the gates block by block, ``(T, 4, n, u)``, so that
    each of i, f, g, o is one contiguous array; ``begin_backward`` computes
    the factors of :math:`\\delta` above for every step at once, leaving a few
    products and one matrix product to each step back.
    """

    state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    def build(self, input_shape):
        initializer = UnitForgetBias(self.bias_initializer, self.units) \
            if self.unit_forget_bias else self.bias_initializer
        self.add_weights(input_shape[-1], 4, (4 * self.units,), initializer)

    def by_gate(self, a):
        """``(..., n, 4u)`` seen as ``(..., 4, n, u)``: the blocks of i, f, c, o (a view)."""
        return a.reshape(a.shape[:-1] + (4, self.units)).swapaxes(-3, -2)

    def start(self, x, steps, batch):
        xw = x @ self.kernel.value  # x_t W + b for every step at once
        if self.use_bias:
            xw += self.bias.value
        z = xw.reshape(steps, batch, 4 * self.units)
        return new_record(z=z, z_by_gate=self.by_gate(z),
                          gates=np.empty((steps, 4, batch, self.units), z.dtype),
                          tanh_c=np.empty((steps, batch, self.units), z.dtype),
                          W=self.kernel.value, U=self.recurrent_kernel.value)

    def step(self, t, history, record):
        h, c = history
        z = record.z[t]
        z += h[t] @ record.U
        z, gates = record.z_by_gate[t], record.gates[t]
        activate(self.recurrent_activation, z, gates)  # i, f and o (c is replaced next)
        activate(self.activation, z[2], gates[2])
        i, f, g, o = gates
        np.multiply(f, c[t], out=c[t + 1])
        c[t + 1] += i * g
        tanh_c = record.tanh_c[t]
        activate(self.activation, c[t + 1], tanh_c)
        np.multiply(o, tanh_c, out=h[t + 1])

    def gate_values(self, record):
        return dict(zip("ifgo", record.gates.swapaxes(0, 1)))

    def begin_backward(self, record, history):
        """The factors of the backward step that do not depend on the incoming
        gradients, for every step at once: :math:`\\delta_t` is linear in
        :math:`\\partial L/\\partial h_t` and :math:`\\partial L/\\partial c_t`,

        .. math::

            \\bar c_t = \\frac{\\partial L}{\\partial c_t}
                + \\frac{\\partial L}{\\partial h_t} \\odot
                  \\underbrace{o_t \\odot \\tanh'(c_t)}_{\\texttt{c\\_per\\_h}},
            \\qquad
            \\delta_t = \\big[\\bar c_t \\odot F^i_t,\\; \\bar c_t \\odot F^f_t,\\;
                \\bar c_t \\odot F^c_t,\\;
                \\tfrac{\\partial L}{\\partial h_t} \\odot F^o_t\\big]

        with the ``factors`` :math:`F = [g \\sigma'(z^i), c_{t-1} \\sigma'(z^f),
        i \\tanh'(z^c), \\tanh(c_t) \\sigma'(z^o)]`, so a step back costs a few
        products.
        """
        z, gates = self.by_gate(record.z), record.gates  # (T, 4, n, u) each
        factors = slope(self.recurrent_activation, z, gates)
        factors[:, 2] = slope(self.activation, z[:, 2], gates[:, 2])
        i, f, g, o = gates.swapaxes(0, 1)
        c_prev, c = history[1][:-1], history[1][1:]
        for k, factor in enumerate((g, c_prev, i, record.tanh_c)):
            factors[:, k] *= factor
        delta = np.empty_like(record.z)
        return new_record(factors=factors, c_per_h=o * slope(self.activation, c, record.tanh_c),
                          delta=delta, delta_by_gate=self.by_gate(delta))

    def step_backward(self, t, d_states, history, record, back):
        dh, dc = d_states
        c_bar = dc + dh * back.c_per_h[t]                          # dL/dc_t, both paths
        by_gate = back.delta_by_gate[t]
        np.multiply(back.factors[t, :3], c_bar, out=by_gate[:3])  # delta i, f, c
        np.multiply(back.factors[t, 3], dh, out=by_gate[3])       # delta o
        return [back.delta[t] @ record.U.T, c_bar * record.gates[t, 1]]


@register("layer", family="LSTM", aliases=("lstm",),
          description="Long-term dependencies", use_case="Complex sequence learning")
class LSTM(Recurrent):
    """Long short-term memory: a recurrent layer whose cell state :math:`c`
    is changed by gated additions, so that what it holds (and its gradient)
    can last many steps.  The maths is ``LSTMCell``'s, the loop and BPTT
    ``Recurrent``'s.

    Args:
        units: size of the states :math:`h`, :math:`c` and of the output.
        activation: ``"tanh"``, for the candidate and the cell state shown.
        recurrent_activation: ``"sigmoid"``, for the three gates.
        use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer: Keras's defaults, ``True``, ``"glorot_uniform"``,
            ``"orthogonal"``, ``"zeros"``.
        unit_forget_bias: ``True`` starts the forget gate's bias at 1.
        The arguments every recurrent layer takes (``return_sequences``,
        ``return_state``, ``go_backwards``...) are ``Recurrent``'s;
        ``return_state=True`` returns ``[output, h, c]``.

    Weights (in ``layer.cell``, as in Keras): ``kernel`` ``(features, 4 units)``,
    ``recurrent_kernel`` ``(units, 4 units)``, ``bias`` ``(4 units,)``, gates
    in the order i, f, c, o (PyTorch's ``nn.LSTM`` orders them i, f, g, o,
    stores the transposes and splits the bias in two).

    >>> layer = LSTM(4, return_state=True)
    >>> y, h, c = layer(np.ones((2, 5, 3)))
    >>> y.shape, c.shape
    ((2, 4), (2, 4))
    >>> [w.shape for w in layer.get_weights()]
    [(3, 16), (4, 16), (16,)]
    >>> layer.cell.bias.value[4:8]  # the forget gate's block
    array([1., 1., 1., 1.], dtype=float32)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.cell = LSTMCell(**self.cell_arguments(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer, recurrent_activation=recurrent_activation,
            unit_forget_bias=unit_forget_bias), name="lstm_cell")

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(3, go_backwards=True, **sample_initializers(7)), (rng.normal(size=(2, 4, 3)),)

    @classmethod
    def contract_sample(cls, rng):
        return cls(3, return_state=True, **sample_initializers(7)), (rng.normal(size=(2, 4, 3)),)
