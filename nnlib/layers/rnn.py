"""Recurrent layers: the machinery SimpleRNN, LSTM and GRU share.

A recurrent layer applies one *cell* at every step of a sequence, carrying a
state from step to step.  Unrolled over :math:`T` steps it is a deep network
whose layers all share the cell's weights:

.. math::

    s_t = \\text{cell}(x_t, s_{t-1}), \\qquad y_t = h_t
    \\qquad (t = 1, \\dots, T)

where :math:`s_t` is the state (:math:`h_t` for SimpleRNN and GRU, the pair
:math:`(h_t, c_t)` for LSTM) and the output :math:`y_t` is :math:`h_t`.  Every
cell computes its gates from :math:`x_t W + h_{t-1} U + b`; the input part
:math:`x_t W + b` does not depend on the state, so all steps' projections are
one matrix product, :math:`X W + b` with :math:`X` of shape
:math:`(T \\cdot n, d)`, and each step is left with one recurrent product
:math:`h_{t-1} U`.

Backpropagation through time (BPTT) walks the unrolled graph backwards.  The
state's gradient arrives from two places, the step's own output and the next
step:

.. math::

    \\frac{\\partial L}{\\partial s_t} = \\frac{\\partial L}{\\partial y_t}
        + \\frac{\\partial L}{\\partial s_{t+1}}
          \\frac{\\partial s_{t+1}}{\\partial s_t}

and each step turns it into :math:`\\delta_t`, the gradient at its gates'
pre-activations (the cell's ``step_backward``).  Since the weights are shared,
their gradients are sums over steps, taken once at the end as matrix products
over all steps stacked:

.. math::

    \\frac{\\partial L}{\\partial W} = \\sum_t x_t^\\top \\delta_t = X^\\top \\Delta,
    \\qquad
    \\frac{\\partial L}{\\partial U} = \\sum_t h_{t-1}^\\top \\delta_t
        = H_{\\text{prev}}^\\top \\Delta,
    \\qquad
    \\frac{\\partial L}{\\partial b} = \\textstyle\\sum_{t, n} \\delta_t,
    \\qquad
    \\frac{\\partial L}{\\partial X} = \\Delta W^\\top

The product :math:`\\partial s_{t+1}/\\partial s_t` is where gradients vanish
or explode through time: :math:`k` steps back, the gradient has been
multiplied by :math:`k` such Jacobians.

``Recurrent`` holds what the three layers share, written once: the loop over
time, masks, direction, the return flags, initial states, the projection of
all inputs at once and the weight gradients summed once.  A cell
(``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``) holds the weights and the maths
of one step, forward (``step``) and backward (``step_backward``).

Masks (Keras 3's rules).  A step whose mask is ``False`` (padding, from
``Embedding(mask_zero=True)``) changes nothing: the state is carried through
unchanged and the output repeats the previous step's output (zeros before the
first kept step), or is zeros if ``zero_output_for_mask`` (which
``Bidirectional`` sets when it returns sequences).  Backward, a masked step
passes the state's gradient straight to the step before.
"""
from types import SimpleNamespace

import numpy as np

from .. import activations, initializers, regularizers
from ..activations import ElementwiseActivation, Sigmoid, Tanh
from ..backend import as_float_array
from ..checks import component, describe, flag, real_number, whole_number
from .base import Layer
from .conv_utils import column_sums


# -- argument checks shared by the three layers ----------------------------------------------

def elementwise_activation(owner, name, identifier):
    """The activation named by ``identifier``; it must act unit by unit (not softmax)."""
    activation = component(owner, name, activations.get, identifier)
    if not isinstance(activation, ElementwiseActivation):
        raise ValueError(f"{owner}: {name} must be an element-wise activation (a recurrent "
                         f"cell applies it unit by unit), got {identifier!r}")
    return activation


def initializer_argument(owner, name, identifier):
    """``identifier`` as given (the config keeps it), after checking that it names
    an initializer: an unknown name fails here, not at build."""
    component(owner, name, initializers.get, identifier)
    return identifier


def unsupported(owner, name, value, default, why):
    """``value`` if it is ``default``; otherwise a clear refusal: nnlib does not
    implement this Keras argument, and must not ignore it silently."""
    if value != default or type(value) is not type(default):
        raise ValueError(f"{owner}: {name}={value!r} is not supported by nnlib (only "
                         f"{name}={default!r}): {why}")
    return value


# -- the maths of one step, shared by the cells --------------------------------------------

def activate(activation, z, out):
    """Write ``activation(z)`` into ``out`` (a slice of the call's record).

    The logistic sigmoid is computed as :math:`\\tfrac12 \\tanh(z/2) + \\tfrac12`,
    the same function without overflow, and in NumPy some 25 times faster than
    ``Sigmoid``'s :math:`e^{-\\log(1 + e^{-z})}`: in a recurrent loop it runs
    once per step.
    """
    if type(activation) is Sigmoid:
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
    elif type(activation) is Tanh:
        np.tanh(z, out=out)
    else:
        out[...] = activation.function(z)


def slope(activation, z, y):
    """:math:`f'(z)` given :math:`y = f(z)`, element by element."""
    return np.asarray(activation.derivative(z, y), dtype=y.dtype)


class RecurrentCell(Layer):
    """Base class of the cells: the weights and one step's maths.

    A cell is held by its layer (``layer.cell``), which calls it; it is not a
    layer one calls on a sequence.  Subclasses give:

    ``build(input_shape)``
        ``kernel`` ``(d, G u)``, ``recurrent_kernel`` ``(u, G u)`` and ``bias``
        for :math:`G` gate blocks of ``units`` :math:`u` each;
    ``start(x, steps, batch)``
        the record of a call: :math:`x W + b` for every step at once (``x``
        is ``(T n, d)``, step by step), and arrays ``(T, n, ...)`` each step
        writes into;
    ``step(t, history, record)``
        step ``t``: reads the states before it, ``history[k][t]``, and
        writes the new ones into ``history[k][t + 1]`` (the output is state 0);
    ``begin_backward(record, history)``
        what the backward steps need, for every step at once: buffers for
        :math:`\\delta`, the gradients at the pre-activations;
    ``step_backward(t, d_states, history, record, back)``
        given the gradients of step ``t``'s new states, fills
        :math:`\\delta_t` and returns the gradients of the states before it;
    ``weight_gradients(x, h_prev, record, back)``
        the weights' gradients, each one product over all steps;
    ``input_gradient(record, back)``
        :math:`\\Delta W^\\top`, ``(T n, d)``;
    ``gate_values(record)``
        the gates of every step by name, each ``(T, n, u)``, for ``trace``.
    """

    state_names = ("h",)

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def add_weights(self, input_dim, blocks, bias_shape, bias_initializer=None):
        """``kernel`` ``(d, blocks u)``, ``recurrent_kernel`` ``(u, blocks u)`` and
        (with ``use_bias``) ``bias`` of ``bias_shape``, each with its initializer
        (``bias_initializer`` if given, for LSTM's forget block) and regularizer."""
        u = self.units
        self.kernel = self.add_weight((input_dim, blocks * u), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight((u, blocks * u), self.recurrent_initializer,
                                                name="recurrent_kernel",
                                                regularizer=self.recurrent_regularizer)
        if self.use_bias:
            self.bias = self.add_weight(bias_shape, bias_initializer or self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer)

    @property
    def state_size(self):
        """One ``units`` per state, as Keras's ``cell.state_size``."""
        return [self.units] * len(self.state_names)

    def gate_values(self, record):
        return {}

    def input_gradient(self, record, back):
        return back.delta.reshape(-1, back.delta.shape[-1]) @ record.W.T

    def weight_gradients(self, x, h_prev, record, back):
        """:math:`X^\\top \\Delta`, :math:`H_{\\text{prev}}^\\top \\Delta` and the
        column sums of :math:`\\Delta`: each one product over all steps."""
        delta = back.delta.reshape(-1, back.delta.shape[-1])
        grads = {"kernel": x.T @ delta, "recurrent_kernel": h_prev.T @ delta}
        if self.use_bias:
            grads["bias"] = column_sums(delta)
        return grads


class Recurrent(Layer):
    """Base class of SimpleRNN, LSTM and GRU (Keras's ``RNN``): runs ``self.cell``
    over a sequence, forwards and backwards in time.

    Args (shared by the three layers, with Keras's defaults):
        return_sequences: return every step's output ``(batch, steps,
            units)``, not only the last ``(batch, units)``.
        return_state: also return the final state(s): ``[output, h]``, or
            ``[output, h, c]`` for LSTM.  Each returned state passes its
            gradient back into the last step.
        go_backwards: process the sequence from its last step to its first;
            the returned sequence is in that (reversed) order, as in Keras.
        zero_output_for_mask: output zeros at masked steps instead of the
            previous output (``Bidirectional`` sets it when it returns
            sequences).
        unroll: accepted for Keras's configs; nnlib always runs a Python loop
            over the steps, which computes the same as Keras's unrolled graph.
        dropout, recurrent_dropout, stateful: only their defaults (``0.0``,
            ``0.0``, ``False``); other values are refused with an error, never
            ignored.
        seed: Keras's seed for dropout masks; kept in the config.

    Call: ``layer(x, initial_state=[h0, ...], mask=m)`` with ``x`` of shape
    ``(batch, steps, features)``, each initial state ``(batch, units)`` (zeros
    if none is given; one array or a list of one for SimpleRNN and GRU), and
    ``m`` a boolean ``(batch, steps)``, which a model passes from
    ``Embedding(mask_zero=True)``.  With ``initial_state``, ``backward``
    returns ``{"inputs": dx, "initial_state": [dh0, ...]}``.
    """

    supports_masking = True

    def __init__(self, dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        no_masks = "nnlib's recurrent layers draw no dropout masks"
        self.dropout = unsupported(owner, "dropout", real_number(
            owner, "dropout", dropout, 0.0, 1.0), 0.0, no_masks)
        self.recurrent_dropout = unsupported(owner, "recurrent_dropout", real_number(
            owner, "recurrent_dropout", recurrent_dropout, 0.0, 1.0), 0.0, no_masks)
        self.seed = None if seed is None else whole_number(owner, "seed", seed, minimum=0)
        self.return_sequences = flag(owner, "return_sequences", return_sequences)
        self.return_state = flag(owner, "return_state", return_state)
        self.go_backwards = flag(owner, "go_backwards", go_backwards)
        self.stateful = unsupported(owner, "stateful", flag(owner, "stateful", stateful), False,
                                    "states are not kept from one batch to the next; pass "
                                    "them with initial_state")
        self.unroll = flag(owner, "unroll", unroll)
        self.zero_output_for_mask = flag(owner, "zero_output_for_mask", zero_output_for_mask)

    def cell_arguments(self, units, activation, use_bias, kernel_initializer,
                       recurrent_initializer, bias_initializer, kernel_regularizer,
                       recurrent_regularizer, bias_regularizer, **gates):
        """Check and keep the arguments every cell takes (and its other ones,
        ``gates``: a recurrent activation, a flag); returns them for the cell."""
        owner = describe(self)
        self.activation = elementwise_activation(owner, "activation", activation)
        self.use_bias = flag(owner, "use_bias", use_bias)
        for name, value in (("kernel_initializer", kernel_initializer),
                            ("recurrent_initializer", recurrent_initializer),
                            ("bias_initializer", bias_initializer)):
            setattr(self, name, initializer_argument(owner, name, value))
        for name, value in (("kernel_regularizer", kernel_regularizer),
                            ("recurrent_regularizer", recurrent_regularizer),
                            ("bias_regularizer", bias_regularizer)):
            setattr(self, name, component(owner, name, regularizers.get, value))
        for name, value in gates.items():
            setattr(self, name, elementwise_activation(owner, name, value)
                    if name.endswith("activation") else flag(owner, name, value))
        return dict(units=whole_number(owner, "units", units), activation=self.activation,
                    use_bias=self.use_bias, kernel_initializer=kernel_initializer,
                    recurrent_initializer=recurrent_initializer,
                    bias_initializer=bias_initializer, kernel_regularizer=self.kernel_regularizer,
                    recurrent_regularizer=self.recurrent_regularizer,
                    bias_regularizer=self.bias_regularizer,
                    **{name: getattr(self, name) for name in gates}, dtype=self.dtype)

    def children(self):
        return [("cell", self.cell)]

    @property
    def units(self):
        return self.cell.units

    # -- shapes ------------------------------------------------------------------------
    def build(self, input_shape):
        self.check_rank(input_shape)
        self.cell.ensure_built((input_shape[0], input_shape[-1]))

    def check_rank(self, shape):
        if isinstance(shape, list) or len(shape) != 3 or shape[-1] is None:
            raise self.error(f"expected one input of shape (batch, steps, features) with a "
                             f"known last axis, got shape {shape}")

    def check_input_shape(self, shape):
        self.check_rank(shape)
        features = self.cell.kernel.shape[0]
        if shape[-1] != features:
            raise self.error(f"expected input with last axis {features}, got shape {shape}")
        if shape[1] == 0:
            raise self.error(f"expected at least one step, got shape {shape}")

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * len(self.cell.state_names)
        return output

    def compute_mask(self, inputs, mask):
        """The input's mask on the output sequence; none on a last output or a state."""
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.cell.state_names)
        return output_mask

    # -- inputs by keyword -----------------------------------------------------------------
    def initial_states(self, initial_state, batch, dtype):
        """The initial states as a list of ``(batch, units)`` arrays (zeros if none)."""
        names = self.cell.state_names
        if initial_state is None:
            return [np.zeros((batch, self.units), dtype) for _ in names]
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        if len(given) != len(names):
            raise self.error(f"initial_state must hold {len(names)} array(s) "
                             f"({', '.join(names)}), got {len(given)}")
        states = [as_float_array(s, dtype, describe(self)) for s in given]
        for name, state in zip(names, states):
            if state.shape != (batch, self.units):
                raise self.error(f"initial state {name} must have shape ({batch}, "
                                 f"{self.units}), got {state.shape}")
        return states

    def time_major_mask(self, mask, batch, steps):
        """The mask as ``(steps, batch, 1)`` booleans in the order the steps run,
        or ``None`` when every step is kept."""
        if mask is None:
            return None
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (batch, steps):
            raise self.error(f"expected a mask of shape ({batch}, {steps}) (batch, steps), "
                             f"got {mask.shape}")
        if mask.all():
            return None
        keep = mask.T[::-1] if self.go_backwards else mask.T
        return np.ascontiguousarray(keep)[..., None]

    # -- forward -----------------------------------------------------------------------------
    def forward(self, x, *, training=False, initial_state=None, mask=None):
        """Run the cell over the steps of ``x``; see the class docstring."""
        batch, steps, features = x.shape
        states = self.initial_states(initial_state, batch, x.dtype)
        keep = self.time_major_mask(mask, batch, steps)
        xs = x.swapaxes(0, 1)[::-1] if self.go_backwards else x.swapaxes(0, 1)
        xs = np.ascontiguousarray(xs).reshape(steps * batch, features)  # step by step
        record = self.cell.start(xs, steps, batch)
        # history[k][t] is state k before step t: the cell writes step t's into [t + 1].
        history = [np.empty((steps + 1, batch, self.units), x.dtype) for _ in states]
        for past, state in zip(history, states):
            past[0] = state
        ys = None if keep is None else np.empty((steps, batch, self.units), x.dtype)
        for t in range(steps):
            self.cell.step(t, history, record)
            if keep is None:
                continue
            previous = 0 if self.zero_output_for_mask or t == 0 else ys[t - 1]
            ys[t] = np.where(keep[t], history[0][t + 1], previous)
            for past in history:  # a masked step carries the state through
                np.copyto(past[t + 1], past[t], where=~keep[t])
        ys = history[0][1:] if ys is None else ys
        y = np.ascontiguousarray(ys.swapaxes(0, 1)) if self.return_sequences else ys[-1].copy()
        cache = (xs, history, record, keep, initial_state)
        if self.return_state:
            return (y, *[past[-1].copy() for past in history]), cache
        return y, cache

    def trace(self, x, initial_state=None):
        """Look inside a call: every step's states and gates by name (``h``, and
        ``c``, ``i``, ``f``, ``g``, ``o`` for LSTM; ``z``, ``r``, ``candidate``
        for GRU), each ``(batch, steps, units)``, in the order the steps run.

        >>> from nnlib.layers import LSTM
        >>> lstm = LSTM(3)
        >>> inside = lstm.trace(np.ones((2, 5, 4)))
        >>> sorted(inside), inside["f"].shape
        (['c', 'f', 'g', 'h', 'i', 'o'], (2, 5, 3))
        """
        keywords = {} if initial_state is None else {"initial_state": initial_state}
        _, (_, history, record, _, _) = self.forward(self.prepare(x),
                                                     **self.prepare_keywords(keywords))
        steps = {name: past[1:] for name, past in zip(self.cell.state_names, history)}
        steps.update(self.cell.gate_values(record))
        return {name: np.ascontiguousarray(value.swapaxes(0, 1))
                for name, value in steps.items()}

    # -- backward: BPTT --------------------------------------------------------------------
    def backward(self, d_outputs, cache, *, need_dx=True):
        """Backpropagation through time: the steps in reverse, each one's state
        gradient turned into the previous state's by ``cell.step_backward``; the
        returned states' gradients join at the last step; the weight gradients
        are summed once over every step."""
        xs, history, record, keep, initial_state = cache
        steps, batch = history[0].shape[0] - 1, history[0].shape[1]
        if self.return_state:
            dy, *d_states = d_outputs
        else:
            dy, d_states = d_outputs, [None] * len(history)
        dtype = history[0].dtype
        d_states = [np.zeros((batch, self.units), dtype) if d is None else np.asarray(d, dtype)
                    for d in d_states]
        dys = dy.swapaxes(0, 1) if self.return_sequences else None
        # The gradient of the output a masked step repeats, carried back to the
        # step that produced it (unless masked outputs are zeros).
        carry = None if keep is None or self.zero_output_for_mask else \
            np.zeros((batch, self.units), dtype)
        back = self.cell.begin_backward(record, history)
        for t in reversed(range(steps)):
            dy_t = dys[t] if dys is not None else (dy if t == steps - 1 else None)
            if keep is None:
                if dy_t is not None:
                    d_states = [d_states[0] + dy_t, *d_states[1:]]
                d_states = self.cell.step_backward(t, d_states, history, record, back)
                continue
            kept = keep[t]
            if carry is not None:
                carry = carry if dy_t is None else carry + dy_t
                dy_t, carry = carry, np.where(kept, 0, carry)
            d_new = [d_states[0] if dy_t is None else d_states[0] + dy_t, *d_states[1:]]
            d_new = [np.where(kept, d, 0) for d in d_new]
            d_prev = self.cell.step_backward(t, d_new, history, record, back)
            d_states = [p + np.where(kept, 0, d) for p, d in zip(d_prev, d_states)]
        h_prev = history[0][:-1].reshape(steps * batch, self.units)
        grads = {f"{self.cell.name}.{key}": grad for key, grad in
                 self.cell.weight_gradients(xs, h_prev, record, back).items()}
        if not need_dx:
            return None, grads
        dxs = self.cell.input_gradient(record, back).reshape(steps, batch, -1)
        dx = np.ascontiguousarray((dxs[::-1] if self.go_backwards else dxs).swapaxes(0, 1))
        if initial_state is None:
            return dx, grads
        d_initial = d_states if isinstance(initial_state, (list, tuple)) else d_states[0]
        return {"inputs": dx, "initial_state": d_initial}, grads


def sample_initializers(seed):
    """Seeded ``kernel_initializer`` and ``recurrent_initializer`` for the
    registry's samples (``gradient_check_sample``): weights that do not depend
    on what ran before, at a seed whose gradients central differences resolve
    well (no gradient entry so small that differencing noise dominates it)."""
    return {"kernel_initializer": initializers.GlorotUniform(seed=seed),
            "recurrent_initializer": initializers.Orthogonal(seed=seed)}


def new_record(**arrays):
    """The arrays a call keeps for its backward pass, by name (``record.z[t]``)."""
    return SimpleNamespace(**arrays)
