"""``RNN(cell)``: Keras's generic recurrent layer, for a cell of your own.

SimpleRNN, LSTM and GRU write backpropagation through time by hand
(``nnlib.layers.rnn``).  A cell of your own, written as Keras writes one,
has no backward pass::

    class MinimalRNNCell(nnlib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):          # one step's input: (batch, features)
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units))

        def call(self, inputs, states):         # -> (output, new states)
            output = ops.matmul(inputs, self.kernel) + \\
                ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

``RNN(cell)`` loops over the steps in its own ``call``, so the gradient tape
records every step, and its reverse walk *is* backpropagation through time:
the same sums over steps that ``nnlib.layers.rnn`` writes out.
"""
import numpy as np

from .. import ops
from ..checks import describe, flag
from .base import Layer
from .rnn import RecurrentCell
from .taped import call_arguments


class RNN(Layer):
    """Run ``cell`` over the steps of a sequence ``(batch, steps, features)``.

    Args:
        cell: a layer with ``state_size`` (an int, or a list of ints for
            several states) and ``call(inputs, states) -> (output,
            new_states)``, written with ``nnlib.ops``.
        return_sequences: return every step's output, ``(batch, steps, ...)``,
            not only the last.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: run from the last step to the first (the returned
            sequence is in that order, as in Keras).
        zero_output_for_mask: at a masked step, output zeros instead of the
            previous output.
        stateful, unroll: Keras's arguments; only ``False`` (states are not
            kept between batches; the loop is always a Python loop).

    Call: ``layer(x, initial_state=[...], mask=m)``; a masked step (``m`` false)
    keeps the states and repeats the previous output, as in Keras.
    """

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        if isinstance(cell, RecurrentCell):
            raise TypeError(f"{owner}: {type(cell).__name__} has a hand-written backward "
                            f"pass through time; use the layer built on it "
                            f"({type(cell).__name__.removesuffix('Cell')}(units, ...)), or "
                            f"give RNN a cell written with call(inputs, states)")
        if not isinstance(cell, Layer) or not callable(getattr(cell, "call", None)) \
                or not hasattr(cell, "state_size"):
            raise TypeError(f"{owner}: cell must be a Layer with state_size and "
                            f"call(inputs, states) -> (output, new_states), got {cell!r}")
        self.cell = cell
        self.return_sequences = flag(owner, "return_sequences", return_sequences)
        self.return_state = flag(owner, "return_state", return_state)
        self.go_backwards = flag(owner, "go_backwards", go_backwards)
        self.zero_output_for_mask = flag(owner, "zero_output_for_mask", zero_output_for_mask)
        for name, value in (("stateful", stateful), ("unroll", unroll)):
            if flag(owner, name, value):
                raise ValueError(f"{owner}: {name}=True is not supported; states are not kept "
                                 f"between batches (pass them with initial_state)")

    @property
    def state_sizes(self):
        """The cell's ``state_size`` as a list, one size per state."""
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    def build(self, input_shape):
        if isinstance(input_shape, list) or len(input_shape) != 3 or input_shape[-1] is None:
            raise self.error(f"expected one input of shape (batch, steps, features) with a "
                             f"known last axis, got shape {input_shape}")
        self.cell.ensure_built((input_shape[0], input_shape[-1]))

    def compute_mask(self, inputs, mask):
        """The input's mask on the output sequence; none on a last output or a state."""
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * len(self.state_sizes) if self.return_state \
            else output_mask

    def call(self, sequences, initial_state=None, mask=None, training=None):
        """The loop over time: ``output_t, states = cell(x_t, states)``."""
        batch, steps = np.shape(sequences)[:2]
        if initial_state is None:
            states = [ops.zeros((batch, size), self.dtype) for size in self.state_sizes]
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            if len(states) != len(self.state_sizes):
                raise self.error(f"initial_state must hold {len(self.state_sizes)} array(s), "
                                 f"one per state, got {len(states)}")
        keywords = call_arguments(self.cell, training, {})
        outputs, previous = [], None
        for t in (reversed(range(steps)) if self.go_backwards else range(steps)):
            output, new_states = self.cell.call(sequences[:, t], states, **keywords)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) \
                else [new_states]
            if mask is not None:  # a masked step keeps the states, repeats the output
                kept = np.asarray(mask)[:, t:t + 1]
                if previous is None or self.zero_output_for_mask:
                    previous = ops.zeros_like(output)
                output = ops.where(kept, output, previous)
                new_states = [ops.where(kept, new, old) for new, old in zip(new_states, states)]
            outputs.append(output)
            states, previous = new_states, output
        y = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return (y, *states) if self.return_state else y
