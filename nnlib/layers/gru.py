"""GRU: gated recurrent unit, an LSTM with one state and two gates."""
import numpy as np

from .. import activations
from ..registry import register
from .conv_utils import column_sums
from .rnn import Recurrent, RecurrentCell, activate, new_record, sample_initializers, slope


class GRUCell(RecurrentCell):
    """One GRU step (Cho et al.; Keras's gate order z, r, h):

    .. math::

        z_t &= \\sigma(x_t W_z + h_{t-1} U_z + b_z) \\qquad
            \\text{(update gate)} \\\\
        r_t &= \\sigma(x_t W_r + h_{t-1} U_r + b_r) \\qquad
            \\text{(reset gate)} \\\\
        \\tilde h_t &= \\tanh\\big(x_t W_h + r_t \\odot (h_{t-1} U_h + b'_h)\\big)
            \\qquad \\text{(reset\\_after=True, Keras's default)} \\\\
        \\tilde h_t &= \\tanh\\big(x_t W_h + (r_t \\odot h_{t-1}) U_h + b_h\\big)
            \\qquad \\text{(reset\\_after=False)} \\\\
        h_t &= z_t \\odot h_{t-1} + (1 - z_t) \\odot \\tilde h_t

    The reset gate decides how much of the past enters the candidate
    :math:`\\tilde h`, the update gate how much of the state is kept rather
    than replaced by it: :math:`z \\approx 1` carries :math:`h` through a step
    unchanged, as an LSTM's forget gate carries :math:`c`.  Weights:
    ``kernel`` :math:`W` ``(d, 3u)``, ``recurrent_kernel`` :math:`U`
    ``(u, 3u)``, blocks z, r, h; ``bias`` ``(2, 3u)`` with ``reset_after``
    (row 0 added to :math:`xW`, row 1 to :math:`hU`: the :math:`b'_h` above
    is row 1's h block), ``(3u,)`` without.

    Backward through the step, given :math:`\\partial L/\\partial h_t`
    (written :math:`\\bar h`) and :math:`a_t` the candidate's
    pre-activation:

    .. math::

        \\delta^z &= \\bar h \\odot (h_{t-1} - \\tilde h_t) \\odot \\sigma'(\\cdot),
        \\qquad
        \\delta^h = \\bar h \\odot (1 - z_t) \\odot \\tanh'(a_t) \\\\
        \\delta^r &= \\delta^h \\odot (h_{t-1} U_h + b'_h) \\odot \\sigma'(\\cdot)
            \\quad\\text{or}\\quad
            (\\delta^h U_h^\\top) \\odot h_{t-1} \\odot \\sigma'(\\cdot) \\\\
        \\frac{\\partial L}{\\partial h_{t-1}} &= \\bar h \\odot z_t
            + [\\delta^z, \\delta^r, r_t \\odot \\delta^h]\\, U^\\top
            \\quad\\text{or}\\quad
            \\bar h \\odot z_t + [\\delta^z, \\delta^r]\\, U_{zr}^\\top
            + r_t \\odot (\\delta^h U_h^\\top)

    (``reset_after=True`` on the left).  The first term,
    :math:`\\bar h \\odot z_t`, is the GRU's additive path: no weight matrix on
    it.  Without ``reset_after`` a step takes two recurrent products, the
    second on :math:`r_t \\odot h_{t-1}`.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def build(self, input_shape):
        u = self.units
        self.add_weights(input_shape[-1], 3, (2, 3 * u) if self.reset_after else (3 * u,))

    def start(self, x, steps, batch):
        u = self.units
        xw = x @ self.kernel.value  # x_t W + b for every step at once
        if self.use_bias:
            xw += self.bias.value[0] if self.reset_after else self.bias.value
        z = xw.reshape(steps, batch, 3 * u)
        U = self.recurrent_kernel.value
        # reset_after keeps h_{t-1} U_h + b'_h (before the reset gate), else r * h_{t-1}
        return new_record(z=z, gates=np.empty_like(z),
                          kept=np.empty((steps, batch, u), z.dtype), W=self.kernel.value,
                          U=U, U_zr=U[:, :2 * u], U_h=U[:, 2 * u:],
                          b_rec=self.bias.value[1] if self.reset_after and self.use_bias
                          else None)

    def step(self, t, history, record):
        h_prev, h = history[0][t:t + 2]
        u = self.units
        z, gates, kept = record.z[t], record.gates[t], record.kept[t]
        if self.reset_after:
            inner = h_prev @ record.U
            if record.b_rec is not None:
                inner += record.b_rec
            z[:, :2 * u] += inner[:, :2 * u]
            activate(self.recurrent_activation, z[:, :2 * u], gates[:, :2 * u])
            kept[...] = inner[:, 2 * u:]
            z[:, 2 * u:] += gates[:, u:2 * u] * kept
        else:
            z[:, :2 * u] += h_prev @ record.U_zr
            activate(self.recurrent_activation, z[:, :2 * u], gates[:, :2 * u])
            np.multiply(gates[:, u:2 * u], h_prev, out=kept)
            z[:, 2 * u:] += kept @ record.U_h
        activate(self.activation, z[:, 2 * u:], gates[:, 2 * u:])
        update, candidate = gates[:, :u], gates[:, 2 * u:]
        np.subtract(h_prev, candidate, out=h)
        h *= update
        h += candidate  # h = z h_{t-1} + (1 - z) h~

    def gate_values(self, record):
        u = self.units
        return {"z": record.gates[..., :u], "r": record.gates[..., u:2 * u],
                "candidate": record.gates[..., 2 * u:]}

    def begin_backward(self, record, history):
        return new_record(delta=np.empty_like(record.z),
                          delta_inner=np.empty_like(record.z) if self.reset_after else None)

    def step_backward(self, t, d_states, history, record, back):
        dh, h_prev = d_states[0], history[0][t]
        u = self.units
        z, gates, delta = record.z[t], record.gates[t], back.delta[t]
        update, reset, candidate = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:]
        np.multiply(dh, h_prev - candidate, out=delta[:, :u])                  # dL/dz
        np.multiply(dh, 1 - update, out=delta[:, 2 * u:])                      # dL/dh~
        delta[:, 2 * u:] *= slope(self.activation, z[:, 2 * u:], candidate)    # delta^h
        gate_slope = slope(self.recurrent_activation, z[:, :2 * u], gates[:, :2 * u])
        if self.reset_after:
            np.multiply(delta[:, 2 * u:], record.kept[t], out=delta[:, u:2 * u])  # dL/dr
            delta[:, :2 * u] *= gate_slope
            inner = back.delta_inner[t]  # the gradient at h_{t-1} U + b'
            inner[:, :2 * u] = delta[:, :2 * u]
            np.multiply(delta[:, 2 * u:], reset, out=inner[:, 2 * u:])
            return [inner @ record.U.T + dh * update]
        d_reset_h = delta[:, 2 * u:] @ record.U_h.T                             # dL/d(r h)
        np.multiply(d_reset_h, h_prev, out=delta[:, u:2 * u])                  # dL/dr
        delta[:, :2 * u] *= gate_slope
        return [delta[:, :2 * u] @ record.U_zr.T + d_reset_h * reset + dh * update]

    def weight_gradients(self, x, h_prev, record, back):
        u = self.units
        delta = back.delta.reshape(-1, 3 * u)
        grads = {"kernel": x.T @ delta}
        if self.reset_after:
            inner = back.delta_inner.reshape(-1, 3 * u)
            grads["recurrent_kernel"] = h_prev.T @ inner
            if self.use_bias:
                grads["bias"] = np.stack([column_sums(delta), column_sums(inner)])
            return grads
        reset_h = record.kept.reshape(-1, u)
        grads["recurrent_kernel"] = np.concatenate([h_prev.T @ delta[:, :2 * u],
                                                    reset_h.T @ delta[:, 2 * u:]], axis=1)
        if self.use_bias:
            grads["bias"] = column_sums(delta)
        return grads


@register("layer", family="GRU", aliases=("gru",),
          description="Simplified LSTM", use_case="Faster sequence processing")
class GRU(Recurrent):
    """Gated recurrent unit: one state, an update gate that mixes old state
    and candidate, a reset gate that lets the candidate ignore the past.  A
    quarter fewer weights than an LSTM of the same size.  The maths is
    ``GRUCell``'s, the loop and BPTT ``Recurrent``'s.

    Args:
        units: size of the state and output.
        activation: ``"tanh"``, for the candidate.
        recurrent_activation: ``"sigmoid"``, for the two gates.
        use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer: Keras's defaults, ``True``, ``"glorot_uniform"``,
            ``"orthogonal"``, ``"zeros"``.
        reset_after: ``True`` (Keras's default, and cuDNN's and PyTorch's
            form) applies the reset gate after the recurrent product and keeps
            two biases, ``bias`` ``(2, 3 units)``; ``False`` applies it to the
            state before the product, with one bias ``(3 units,)``.
        The arguments every recurrent layer takes (``return_sequences``,
        ``return_state``, ``go_backwards``...) are ``Recurrent``'s.

    Weights (in ``layer.cell``): ``kernel`` ``(features, 3 units)``,
    ``recurrent_kernel`` ``(units, 3 units)``, ``bias``; gates z, r, h (PyTorch's
    ``nn.GRU`` orders them r, z, n).

    >>> layer = GRU(4)
    >>> layer(np.ones((2, 5, 3))).shape
    (2, 4)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 12), (4, 12), (2, 12)]
    >>> older = GRU(4, reset_after=False)
    >>> older(np.ones((2, 5, 3))).shape, older.cell.bias.shape
    ((2, 4), (12,))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, reset_after=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.cell = GRUCell(**self.cell_arguments(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer, recurrent_activation=recurrent_activation,
            reset_after=reset_after), name="gru_cell")

    @classmethod
    def gradient_check_sample(cls, rng):
        return (cls(3, reset_after=False, return_sequences=True, **sample_initializers(8)),
                (rng.normal(size=(2, 4, 3)),))

    @classmethod
    def contract_sample(cls, rng):
        return cls(3, return_state=True, **sample_initializers(8)), (rng.normal(size=(2, 4, 3)),)
