"""SimpleRNN: the plain recurrence, one activation of the input and the last state."""
import numpy as np

from ..registry import register
from .rnn import Recurrent, RecurrentCell, activate, new_record, sample_initializers, slope


class SimpleRNNCell(RecurrentCell):
    """One step of a simple recurrent network (Elman's):

    .. math::

        z_t = x_t W + h_{t-1} U + b, \\qquad h_t = f(z_t)

    with ``kernel`` :math:`W` ``(d, u)``, ``recurrent_kernel`` :math:`U`
    ``(u, u)``, ``bias`` :math:`b` ``(u,)`` and :math:`f` the activation
    (``tanh``).  Backward through the step, given
    :math:`\\partial L/\\partial h_t`:

    .. math::

        \\delta_t = f'(z_t) \\odot \\frac{\\partial L}{\\partial h_t}, \\qquad
        \\frac{\\partial L}{\\partial h_{t-1}} = \\delta_t U^\\top

    so each step back multiplies the gradient by :math:`\\operatorname{diag}
    (f'(z_t))\\, U^\\top`: unless :math:`U`'s singular values sit near 1 (an
    orthogonal start helps) and the units stay out of saturation, the product
    of many such factors vanishes or explodes.
    """

    def build(self, input_shape):
        self.add_weights(input_shape[-1], 1, (self.units,))

    def start(self, x, steps, batch):
        xw = x @ self.kernel.value  # x_t W + b for every step at once
        if self.use_bias:
            xw += self.bias.value
        return new_record(z=xw.reshape(steps, batch, self.units), W=self.kernel.value,
                          U=self.recurrent_kernel.value)

    def step(self, t, history, record):
        z = record.z[t]
        z += history[0][t] @ record.U
        activate(self.activation, z, history[0][t + 1])

    def begin_backward(self, record, history):
        return new_record(delta=np.empty_like(record.z))

    def step_backward(self, t, d_states, history, record, back):
        delta = back.delta[t]
        np.multiply(d_states[0], slope(self.activation, record.z[t], history[0][t + 1]),
                    out=delta)
        return [delta @ record.U.T]



@register("layer", family="Recurrent", aliases=("simple_rnn",),
          description="Processes sequences", use_case="Time series or text")
class SimpleRNN(Recurrent):
    """A fully connected recurrent layer: the output feeds back as the next
    step's state (the maths is ``SimpleRNNCell``'s, the loop and BPTT
    ``Recurrent``'s).

    Args:
        units: size of the state and output, a whole number ``>= 1``.
        activation: ``"tanh"`` by default; any element-wise activation.
        use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer: Keras's defaults, ``True``, ``"glorot_uniform"``,
            ``"orthogonal"``, ``"zeros"``.
        The arguments every recurrent layer takes (``return_sequences``,
        ``return_state``, ``go_backwards``...) are ``Recurrent``'s.

    Weights (in ``layer.cell``, as in Keras): ``kernel`` ``(features, units)``,
    ``recurrent_kernel`` ``(units, units)``, ``bias`` ``(units,)``.

    >>> layer = SimpleRNN(4, return_sequences=True)
    >>> layer(np.ones((2, 5, 3))).shape
    (2, 5, 4)
    >>> list(layer.named_weights())
    ['simple_rnn_cell.kernel', 'simple_rnn_cell.recurrent_kernel', 'simple_rnn_cell.bias']
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.cell = SimpleRNNCell(**self.cell_arguments(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer), name="simple_rnn_cell")

    @classmethod
    def gradient_check_sample(cls, rng):
        return (cls(3, return_sequences=True, **sample_initializers(0)),
                (rng.normal(size=(2, 4, 3)),))

    @classmethod
    def contract_sample(cls, rng):
        return (cls(3, return_state=True, go_backwards=True, **sample_initializers(0)),
                (rng.normal(size=(2, 4, 3)),))
