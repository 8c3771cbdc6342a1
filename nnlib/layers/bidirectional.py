"""Bidirectional: a recurrent layer run over the sequence in both directions."""
import numpy as np

from ..checks import describe, one_of
from ..registry import register
from ..serialization import serialize
from .base import Effects, Layer
from .gru import GRU
from .lstm import LSTM
from .rnn import sample_initializers

MERGE_MODES = ("concat", "sum", "mul", "ave")


@register("layer", family="Recurrent", aliases=("bidirectional",),
          description="Runs a recurrent layer forwards and backwards over the sequence",
          use_case="Sequences known whole in advance: tagging, classifying text")
class Bidirectional(Layer):
    """Two copies of a recurrent layer, one reading the sequence from its first
    step, one (``go_backwards``) from its last, their outputs merged:

    .. math::

        y_t = \\text{merge}\\big(\\overrightarrow{h}_t, \\overleftarrow{h}_t\\big)

    so that each step's output sees the whole sequence, before and after it.
    With ``return_sequences`` the backward layer's sequence is reversed back
    before the merge, so both halves of :math:`y_t` describe step :math:`t`.

    Args:
        layer: a recurrent layer (``SimpleRNN``, ``LSTM``, ``GRU``).  As in
            Keras, the wrapper builds a fresh copy of it from its config,
            named ``forward_<name>``, and the backward copy,
            ``backward_<name>``, with ``go_backwards=True``: the given
            layer's weights are not reused.
        merge_mode: ``"concat"`` (default: the two outputs side by side),
            ``"sum"``, ``"mul"``, ``"ave"``, or ``None``: both outputs are
            returned, ``[forward, backward]``.
        backward_layer: a layer to use as the backward one instead of the copy
            (it must read backwards and return what ``layer`` returns).

    Keras's ``weights`` argument (initial values, third in Keras's order) is
    not taken: set them with ``set_weights`` once the layer is built.

    Call: ``layer(x, initial_state=[...])`` gives the first half of the
    states to the forward layer and the second half to the backward one
    (``[h_f, c_f, h_b, c_b]`` for LSTMs).  With ``return_state`` the outputs
    are ``[y, *forward states, *backward states]`` (``[y_f, y_b, ...]`` with
    ``merge_mode=None``).  Masks reach both layers; when returning sequences
    the masked steps' outputs are zeros, in both directions, as in Keras 3
    (it sets ``zero_output_for_mask`` on both layers).

    The two layers' weights form a tree under the groups ``forward_layer``
    and ``backward_layer``, as in Keras's files:

    >>> from nnlib.layers import LSTM
    >>> both = Bidirectional(LSTM(3, return_sequences=True, name="lstm"))
    >>> both(np.ones((2, 5, 4))).shape
    (2, 5, 6)
    >>> list(both.named_weights())[:2]
    ['forward_lstm.lstm_cell.kernel', 'forward_lstm.lstm_cell.recurrent_kernel']
    >>> [key for _, key, _, _ in both.weight_entries()][3]
    'backward_layer/cell/kernel'
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not all(
                hasattr(layer, a) for a in ("go_backwards", "return_sequences", "return_state")):
            raise TypeError(f"Bidirectional: layer must be a recurrent layer (SimpleRNN, LSTM, "
                            f"GRU...), got {layer!r}")
        kwargs.setdefault("dtype", layer.dtype)
        super().__init__(**kwargs)
        owner = describe(self)
        self.merge_mode = None if merge_mode is None else \
            one_of(owner, "merge_mode", merge_mode, MERGE_MODES)
        self.forward_layer = self.copy(layer, f"forward_{layer.name.removeprefix('forward_')}")
        if backward_layer is None:
            backward_layer = self.copy(layer, f"backward_{layer.name.removeprefix('backward_')}",
                                       go_backwards=True)
        elif not isinstance(backward_layer, type(layer)):
            raise TypeError(f"{owner}: backward_layer must be a layer like {layer.name!r}, a "
                            f"{type(layer).__name__}, got {backward_layer!r}")
        elif backward_layer.dtype != self.dtype:
            raise ValueError(f"{owner}: backward_layer computes in {backward_layer.dtype}, the "
                             f"wrapper in {self.dtype}; give both the same dtype")
        self.backward_layer = backward_layer
        self.check_pair(owner)
        for half in (self.forward_layer, self.backward_layer):  # Keras's rule
            if hasattr(half, "zero_output_for_mask"):
                half.zero_output_for_mask = half.return_sequences
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state

    def copy(self, layer, name, **changes):
        """A fresh layer from ``layer``'s config, in the wrapper's dtype."""
        return type(layer).from_config({**layer.get_config(), "name": name, "dtype": self.dtype,
                                        **changes})

    def check_pair(self, owner):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(f"{owner}: the forward and backward layers must read in opposite "
                             f"directions, got go_backwards={forward.go_backwards} for both")
        for name in ("return_sequences", "return_state"):
            if getattr(forward, name) != getattr(backward, name):
                raise ValueError(f"{owner}: the forward and backward layers must have the same "
                                 f"{name}, got {getattr(forward, name)} and "
                                 f"{getattr(backward, name)}")
        if self.merge_mode not in ("concat", None) and \
                getattr(forward, "units", None) != getattr(backward, "units", None):
            raise ValueError(f"{owner}: merge_mode={self.merge_mode!r} needs outputs of one "
                             f"size, got {forward.units} and {backward.units} units")

    def children(self):
        return [("forward_layer", self.forward_layer), ("backward_layer", self.backward_layer)]

    def get_config(self):
        """Keras's layout: the forward layer's config as ``layer``, the backward
        layer's as ``backward_layer``."""
        return {"layer": serialize(self.forward_layer), "merge_mode": self.merge_mode,
                "backward_layer": serialize(self.backward_layer), "name": self.name,
                "dtype": self.dtype, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        """The wrapper's ``dtype`` is its layers': a config whose ``dtype`` was
        changed rebuilds both layers in it."""
        config = dict(config)
        for key in ("layer", "backward_layer"):
            record = config.get(key)
            if config.get("dtype") is not None and isinstance(record, dict) and \
                    isinstance(record.get("config"), dict):
                config[key] = {**record, "config": {**record["config"], "dtype": config["dtype"]}}
        return super().from_config(config)

    # -- shapes and masks -------------------------------------------------------------------
    def build(self, input_shape):
        for half in (self.forward_layer, self.backward_layer):
            half.ensure_built(input_shape)

    def check_input_shape(self, shape):
        for half in (self.forward_layer, self.backward_layer):
            half.check_input_shape(shape)

    def split(self, outputs):
        """A layer's output(s) as ``(output, [states])``."""
        if self.return_state:
            return outputs[0], list(outputs[1:])
        return outputs, []

    def compute_output_shape(self, input_shape):
        y_f, states_f = self.split(self.forward_layer.compute_output_shape(input_shape))
        y_b, states_b = self.split(self.backward_layer.compute_output_shape(input_shape))
        if self.merge_mode is None:
            outputs = [tuple(y_f), tuple(y_b)]
        elif self.merge_mode == "concat":
            outputs = [(*y_f[:-1], y_f[-1] + y_b[-1])]
        else:
            outputs = [tuple(y_f)]
        outputs += [tuple(s) for s in states_f + states_b]
        return outputs if len(outputs) > 1 else outputs[0]

    def compute_mask(self, inputs, mask):
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            masks += [None] * (len(self.forward_layer.cell.state_names) * 2)
        return masks if len(masks) > 1 else masks[0]

    # -- forward and backward -------------------------------------------------------------------
    def forward(self, x, *, training=False, initial_state=None, mask=None):
        keywords = [{}, {}]
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            keywords = [{"initial_state": states[:half]}, {"initial_state": states[half:]}]
        results, updates, losses = [], {}, []
        for layer, extra in zip((self.forward_layer, self.backward_layer), keywords):
            if layer.uses_mask:
                extra = {**extra, "mask": mask}
            outputs, cache, effects = layer.run_forward(x, training=training, **extra)
            results.append((*self.split(outputs), cache))
            updates.update(effects.updates)
            losses += effects.losses
        (y_f, states_f, cache_f), (y_b, states_b, cache_b) = results
        if self.return_sequences:
            y_b = np.ascontiguousarray(y_b[:, ::-1])  # back in the order of the steps
        merged = self.merge(y_f, y_b)
        outputs = [*merged, *states_f, *states_b]
        cache = (cache_f, cache_b, y_f, y_b, len(states_f), initial_state is not None)
        return (tuple(outputs) if len(outputs) > 1 else outputs[0]), cache, \
            Effects(updates, losses)  # the wrapped layers' (their activity penalties)

    def merge(self, y_f, y_b):
        """The merged output, as a list (two outputs for ``merge_mode=None``)."""
        if self.merge_mode is None:
            return [y_f, y_b]
        if self.merge_mode == "concat":
            return [np.concatenate([y_f, y_b], axis=-1)]
        if self.merge_mode == "sum":
            return [y_f + y_b]
        if self.merge_mode == "ave":
            return [(y_f + y_b) / 2]
        return [y_f * y_b]

    def merge_backward(self, dy, y_f, y_b):
        """The gradients of the two outputs from the merged output's."""
        if self.merge_mode == "concat":
            return dy[..., :y_f.shape[-1]], dy[..., y_f.shape[-1]:]
        if self.merge_mode == "sum":
            return dy, dy
        if self.merge_mode == "ave":
            return dy / 2, dy / 2
        return dy * y_b, dy * y_f

    def backward(self, d_outputs, cache, *, need_dx=True):
        cache_f, cache_b, y_f, y_b, n_states, with_states = cache
        d = list(d_outputs) if isinstance(d_outputs, (list, tuple)) else [d_outputs]
        if self.merge_mode is None:
            (dy_f, dy_b), d_states = d[:2], d[2:]
        else:
            (dy_f, dy_b), d_states = self.merge_backward(d[0], y_f, y_b), d[1:]
        if self.return_sequences:
            dy_b = dy_b[:, ::-1]
        gradients, grads = [], {}
        for layer, dy, d_s, layer_cache in (
                (self.forward_layer, dy_f, d_states[:n_states], cache_f),
                (self.backward_layer, dy_b, d_states[n_states:], cache_b)):
            d_in, layer_grads = layer.run_backward([dy, *d_s] if self.return_state else dy,
                                                   layer_cache, need_dx=need_dx)
            gradients.append(d_in)
            grads.update({f"{layer.name}.{key}": g for key, g in layer_grads.items()})
        if not need_dx:
            return None, grads
        d_f, d_b = gradients
        if not with_states:
            return d_f + d_b, grads
        return {"inputs": d_f["inputs"] + d_b["inputs"],
                "initial_state": [*d_f["initial_state"], *d_b["initial_state"]]}, grads

    @classmethod
    def gradient_check_sample(cls, rng):
        return (cls(LSTM(2, return_sequences=True, **sample_initializers(0)), merge_mode="mul"),
                (rng.normal(size=(2, 4, 3)),))

    @classmethod
    def contract_sample(cls, rng):
        return (cls(GRU(2, return_state=True, **sample_initializers(0)), merge_mode=None),
                (rng.normal(size=(2, 4, 3)),))
