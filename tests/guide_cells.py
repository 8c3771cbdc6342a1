"""The recurrent cell of ``keras.layers.RNN``'s docstring, written once for the
tests that run it in nnlib alone and in both libraries."""


def minimal_rnn_cell(library, ops):
    """The ``MinimalRNNCell`` class, ``h_t = x_t W + h_{t-1} U``, for ``library``
    (``keras`` or ``nnlib``) and its ``ops``."""

    class MinimalRNNCell(library.layers.Layer):

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer='uniform',
                                          name='kernel')
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units),
                initializer='uniform',
                name='recurrent_kernel')

        def call(self, inputs, states):
            prev_output = states[0]
            h = ops.matmul(inputs, self.kernel)
            output = h + ops.matmul(prev_output, self.recurrent_kernel)
            return output, [output]

    return MinimalRNNCell
