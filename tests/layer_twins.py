"""Twins of the layers' forward passes, written only with ``nnlib.ops``.

A twin recomputes what a layer's ``forward`` computes, from the same inputs
and weights, with the ops of the gradient tape: run under
``ops.GradientTape`` its gradients are the tape's, each op's vjp checked on
its own (``nnlib.ops.table``), and they must equal the layer's hand-written
``backward`` (tests/test_layer_twins.py).  A twin reads the layer's
configuration (units, strides, rates) and the window sizes of
``nnlib.layers.conv_utils`` (which the parity tests check against Keras), but
none of the layer's arithmetic, so a twin and a layer agree only if both
compute the same thing.

Every twin has the signature ``twin(layer, x, w, training, **keywords)``:

* ``x``: the input tensor (a list of them for a merge layer);
* ``w``: ``{path: tensor}``, the layer's weights by their paths in
  ``layer.named_weights()`` (``kernel``, ``lstm_cell.kernel``);
* ``training``: the call's mode;
* ``keywords``: the tensors the layer's ``forward`` takes by keyword
  (``initial_state``, ``mask``).

It returns the output tensor, or a tuple of them for several outputs.
``TWINS`` maps each layer class to its twin, ``ACTIVATION_TWINS`` each
activation class to its formula.

Random layers (the dropout family) draw their noise with the layer's own
``draw``, from the layer's random source: the caller reseeds it before the
layer's run and before the twin's, so both use the same noise, and the twin
applies it with ops.
"""
import math

import numpy as np

from nnlib import activations, ops
from nnlib.activations import SELU
from nnlib.layers import (ELU, GRU, LSTM, Activation, Add, AlphaDropout, Average,
                          AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional,
                          Concatenate, Conv1D, Conv2D, Conv2DTranspose, Dense, Dropout,
                          Embedding, Flatten, GaussianDropout, GaussianNoise,
                          GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
                          GlobalMaxPooling2D, LayerNormalization, LeakyReLU, MaxPooling1D,
                          MaxPooling2D, Maximum, Minimum, Multiply, PReLU, ReLU, Reshape,
                          SimpleRNN, Softmax, SpatialDropout1D, SpatialDropout2D,
                          SpatialDropout3D, Subtract, UpSampling2D)
from nnlib.layers.conv_utils import (output_length, padding_amounts, transpose_crops,
                                     transpose_output_length)

MASK_EPSILON = 1e-7  # what Keras adds to the count of a masked mean
SOFTMAX_MASK_VALUE = -1e9  # what Keras puts in place of a masked score


# -- activations ------------------------------------------------------------------------

def relu_twin(activation, x):
    """Keras's ReLU: :math:`k(x) - a \\max(t - x, 0)`, :math:`k(x) = x [x > t]`
    clipped to :math:`[0, m]` if a cap is given."""
    kept = ops.where(x > activation.threshold, x, 0.0)
    if activation.max_value is not None:
        kept = ops.clip(kept, 0.0, activation.max_value)
    return kept - activation.negative_slope * ops.relu(activation.threshold - x)


def elu_twin(activation, x):
    """:math:`x` above 0, :math:`\\alpha(e^x - 1)` below."""
    return ops.where(x > 0, x, activation.alpha * ops.expm1(ops.minimum(x, 0.0)))


def gelu_twin(activation, x):
    """:math:`\\tfrac{x}{2}(1 + \\operatorname{erf}(x/\\sqrt2))`, or with the tanh form."""
    if activation.approximate:
        inner = math.sqrt(2 / math.pi) * (x + activation.TANH_COEFFICIENT * x ** 3)
        return 0.5 * x * (1.0 + ops.tanh(inner))
    return 0.5 * x * (1.0 + ops.erf(x / math.sqrt(2)))


ACTIVATION_TWINS = {
    activations.ReLU: relu_twin,
    activations.LeakyReLU: relu_twin,
    activations.Sigmoid: lambda a, x: ops.sigmoid(x),
    activations.Tanh: lambda a, x: ops.tanh(x),
    activations.Softmax: lambda a, x: ops.softmax(x, axis=a.axis),
    activations.Linear: lambda a, x: x,
    activations.ELU: elu_twin,
    activations.SELU: lambda a, x: SELU.SCALE * elu_twin(a, x),
    activations.GELU: gelu_twin,
    activations.SiLU: lambda a, x: x * ops.sigmoid(x),
    activations.Softplus: lambda a, x: ops.softplus(x),
    activations.HardSigmoid: lambda a, x: ops.clip(x / 6.0 + 0.5, 0.0, 1.0),
    activations.Softsign: lambda a, x: x / (1.0 + ops.abs(x)),
}


def activation_twin(activation, x):
    """``activation`` applied to ``x`` with ops (its class's twin, matched exactly)."""
    twin = ACTIVATION_TWINS.get(type(activation))
    if twin is None:
        raise KeyError(f"no twin for the activation {type(activation).__name__}; add one "
                       f"to ACTIVATION_TWINS")
    return twin(activation, x)


def activation_layer_twin(layer, x, w, training, mask=None):
    """``Activation`` and its fixed forms; ``Softmax`` with a mask replaces the
    masked scores by Keras's large negative value and zeroes their outputs."""
    if mask is None:
        return activation_twin(layer.activation, x)
    keep = np.broadcast_to(np.asarray(mask, bool), x.shape)
    scores = ops.where(keep, x, SOFTMAX_MASK_VALUE)
    return ops.where(keep, activation_twin(layer.activation, scores), 0.0)


# -- dense, and the weights of a held layer ----------------------------------------------------------------

def dense_twin(layer, x, w, training):
    """:math:`f(x W + b)`."""
    z = ops.matmul(x, w["kernel"])
    if layer.use_bias:
        z = z + w["bias"]
    return activation_twin(layer.activation, z)


def sub_weights(w, prefix):
    """The weights under ``prefix.`` with that prefix removed (a held layer's own)."""
    start = prefix + "."
    return {path[len(start):]: value for path, value in w.items() if path.startswith(start)}


# -- windows: convolution and pooling -----------------------------------------------------

def window_cells(length, out, kernel, stride, dilation, before):
    """Along one axis of ``length`` cells: ``(cells, inside)``, each ``(out, kernel)``,
    the input cell that window ``o`` reads at kernel offset ``u``,
    :math:`o s + u d - \\text{before}`, and whether it lies in the input (not padding)."""
    cells = np.arange(out)[:, None] * stride + np.arange(kernel)[None, :] * dilation - before
    return cells, (cells >= 0) & (cells < length)


def transposed_window_cells(length, out, kernel, stride, dilation, before):
    """Along one axis, for a transposed convolution: output cell ``o`` (of the
    cropped output, ``before`` cells cut in front) receives input cell :math:`p`
    through kernel offset ``u`` when :math:`p s + u d = o + \\text{before}`;
    ``(cells, inside)`` give that :math:`p` and whether such an input cell exists."""
    reach = np.arange(out)[:, None] + before - np.arange(kernel)[None, :] * dilation
    cells = reach // stride
    return cells, (reach % stride == 0) & (cells >= 0) & (cells < length)


def gather_windows(x, axes, fill):
    """Every window of ``x`` ``(batch, *spatial, C)``: shape ``(batch, *out,
    *kernel, C)``, by one indexing op with an index array per spatial axis;
    ``axes`` holds ``(cells, inside)`` per axis, and cells outside the input
    read ``fill``."""
    rank = len(axes)
    index, inside = [], np.ones((1,) * 2 * rank, bool)
    for axis, (cells, valid) in enumerate(axes):
        shape = [1] * 2 * rank
        shape[axis], shape[rank + axis] = cells.shape
        index.append(np.clip(cells, 0, x.shape[axis + 1] - 1).reshape(shape))
        inside = inside & valid.reshape(shape)
    windows = ops.getitem(x, (slice(None), *index))
    return ops.where(inside[None, ..., None], windows, fill)


def spatial_letters(rank):
    """Subscripts for the output positions and the kernel offsets of ``rank`` axes."""
    return "pqr"[:rank], "klm"[:rank]


def padded_windows(x, kernel, strides, dilation, padding):
    """The ``(cells, inside)`` of each spatial axis for the windows a convolution
    or a pooling reads, over the input padded as ``padding`` says."""
    axes = []
    for n, k, s, d in zip(x.shape[1:-1], kernel, strides, dilation):
        before = padding_amounts(n, k, s, d, padding)[0]
        axes.append(window_cells(n, output_length(n, k, s, d, padding), k, s, d, before))
    return axes


def pooling_windows(layer, x):
    """The ``(cells, inside)`` of each spatial axis for a pooling layer's windows."""
    return padded_windows(x, layer.pool_size, layer.strides, (1,) * layer.rank, layer.padding)


def conv_twin(layer, x, w, training):
    """:math:`z_{n,p,f} = b_f + \\sum_{u,c} x_{n, ps + ud, c} W_{u,c,f}`, then the activation."""
    positions, offsets = spatial_letters(layer.rank)
    axes = padded_windows(x, layer.kernel_size, layer.strides, layer.dilation_rate,
                          layer.padding)
    windows = gather_windows(x, axes, 0.0)
    z = ops.einsum(f"n{positions}{offsets}c,{offsets}cf->n{positions}f", windows, w["kernel"])
    if layer.use_bias:
        z = z + w["bias"]
    return activation_twin(layer.activation, z)


def transposed_windows(layer, x):
    """The ``(cells, inside)`` of each spatial axis for a transposed convolution:
    the input cells each output cell gathers, one per kernel offset."""
    axes = []
    for n, k, s, d, p in zip(x.shape[1:-1], layer.kernel_size, layer.strides,
                             layer.dilation_rate, layer.output_padding or (None,) * layer.rank):
        before = transpose_crops(k, s, d, layer.padding, p)[0]
        out = transpose_output_length(n, k, s, d, layer.padding, p)
        axes.append(transposed_window_cells(n, out, k, s, d, before))
    return axes


def conv_transpose_twin(layer, x, w, training):
    """Each output cell sums the input cells whose windows cover it:
    :math:`z_{n,o,f} = b_f + \\sum_{u,c} x_{n,p,c} W_{u,f,c}` over :math:`ps + ud
    = o + \\text{crop}`, then the activation."""
    positions, offsets = spatial_letters(layer.rank)
    windows = gather_windows(x, transposed_windows(layer, x), 0.0)
    z = ops.einsum(f"n{positions}{offsets}c,{offsets}fc->n{positions}f", windows, w["kernel"])
    if layer.use_bias:
        z = z + w["bias"]
    return activation_twin(layer.activation, z)


def window_axes(rank):
    """The axes of the kernel offsets in ``gather_windows``'s result."""
    return tuple(range(1 + rank, 1 + 2 * rank))


def max_pooling_twin(layer, x, w, training):
    """The maximum of each window; padded cells hold :math:`-\\infty`."""
    windows = gather_windows(x, pooling_windows(layer, x), -np.inf)
    return ops.max(windows, axis=window_axes(layer.rank))


def average_pooling_twin(layer, x, w, training):
    """The mean of each window's cells inside the input."""
    axes = pooling_windows(layer, x)
    windows = gather_windows(x, axes, 0.0)
    count = np.ones(())
    for axis, (_, inside) in enumerate(axes):
        shape = [1] * (layer.rank + 1)
        shape[axis] = len(inside)
        count = count * inside.sum(axis=1).reshape(shape)  # real cells per window
    return ops.sum(windows, axis=window_axes(layer.rank)) / count


def spatial_axes(layer):
    """The axes between the batch and the channels."""
    return tuple(range(1, layer.rank + 1))


def global_max_pooling_twin(layer, x, w, training):
    """The maximum over every spatial position."""
    return ops.max(x, axis=spatial_axes(layer), keepdims=layer.keepdims)


def global_average_pooling_twin(layer, x, w, training, mask=None):
    """The mean over the spatial positions, or over the unmasked steps."""
    if mask is None:
        return ops.mean(x, axis=spatial_axes(layer), keepdims=layer.keepdims)
    kept = np.asarray(mask, x.dtype)[..., None]
    return ops.sum(x * kept, axis=1, keepdims=layer.keepdims) / \
        np.maximum(kept.sum(axis=1, keepdims=layer.keepdims), 1.0)


# -- reshaping, upsampling, embedding ----------------------------------------------------------

def rearrange_twin(layer, x, w, training):
    """The values of each sample in the layer's target shape."""
    target = (-1,) if isinstance(layer, Flatten) else layer.target_shape
    return ops.reshape(x, (x.shape[0], *target))


def upsampled_axis(x, axis, factor, interpolation):
    """``x`` upsampled along ``axis``: each output cell reads its nearest input
    cell, or blends the two around its centre's position
    :math:`\\max((o + \\tfrac12)/s - \\tfrac12, 0)` (``"bilinear"``)."""
    length = x.shape[axis]
    out = np.arange(factor * length)
    if interpolation == "nearest":
        return ops.take(x, out // factor, axis=axis)
    position = np.maximum((out + 0.5) / factor - 0.5, 0.0)
    left = np.floor(position).astype(int)
    right = np.minimum(left + 1, length - 1)
    shape = [1] * x.ndim
    shape[axis] = len(out)
    to_right = (position - left).reshape(shape)
    return ops.take(x, left, axis=axis) * (1.0 - to_right) + \
        ops.take(x, right, axis=axis) * to_right


def upsampling_twin(layer, x, w, training):
    """Height, then width, each upsampled on its own."""
    for axis, factor in zip((1, 2), layer.size):
        x = upsampled_axis(x, axis, factor, layer.interpolation)
    return x


def embedding_twin(layer, ids, w, training):
    """Row ``i`` of the table for each id ``i``."""
    return ops.take(w["embeddings"], ids, axis=0)


def prelu_twin(layer, x, w, training):
    """:math:`\\max(x, 0) + \\alpha \\min(x, 0)`."""
    return ops.relu(x) + w["alpha"] * ops.minimum(x, 0.0)


# -- merges ----------------------------------------------------------------------------------

def summed(xs):
    """:math:`\\sum_k x_k`."""
    y = xs[0]
    for x in xs[1:]:
        y = y + x
    return y


def product(xs):
    """:math:`\\prod_k x_k`."""
    y = xs[0]
    for x in xs[1:]:
        y = y * x
    return y


MERGE_TWINS = {
    Add: lambda layer, xs: summed(xs),
    Subtract: lambda layer, xs: xs[0] - xs[1],
    Multiply: lambda layer, xs: product(xs),
    Average: lambda layer, xs: summed(xs) / len(xs),
    Maximum: lambda layer, xs: ops.max(ops.stack(xs), axis=0),
    Minimum: lambda layer, xs: ops.min(ops.stack(xs), axis=0),
    Concatenate: lambda layer, xs: ops.concatenate(xs, axis=layer.axis),
}


def merge_twin(layer, xs, w, training):
    """The merge of the inputs ``xs`` (for ``Maximum`` and ``Minimum``, over
    inputs without ties: the layer sends a tie's gradient to the first input,
    the tape shares it)."""
    return MERGE_TWINS[type(layer)](layer, xs)


# -- noise -----------------------------------------------------------------------------------

def alpha_dropout_apply(layer, x, kept):
    """:math:`a(m x + \\alpha'(1 - m)) + b`, :math:`a = ((1-p)(1 + p\\alpha'^2))^{-1/2}`,
    :math:`b = -a\\alpha' p`."""
    p, alpha_p = layer.rate, -SELU.ALPHA * SELU.SCALE
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    kept = kept.astype(x.dtype)
    return a * (x * kept + alpha_p * (1 - kept)) - a * alpha_p * p


NOISE_APPLIED = {
    Dropout: lambda layer, x, kept: ops.where(kept, x / (1.0 - layer.rate), 0.0),
    AlphaDropout: alpha_dropout_apply,
    GaussianDropout: lambda layer, x, noise: x * noise,
    GaussianNoise: lambda layer, x, noise: x + noise,
}
for spatial in (SpatialDropout1D, SpatialDropout2D, SpatialDropout3D):
    NOISE_APPLIED[spatial] = NOISE_APPLIED[Dropout]


def noise_twin(layer, x, w, training):
    """The identity at inference; in training the layer's own draw (the same
    random source, reseeded by the caller), applied with ops."""
    if not (training and layer.active):
        return x
    noise = layer.draw(x.shape, layer.random_source())
    return NOISE_APPLIED[type(layer)](layer, x, noise)


# -- normalization ---------------------------------------------------------------------------

def moments_twin(x, axes, weights=None):
    """Mean and biased variance over ``axes`` (kept); with ``weights`` (a 0/1
    mask) only the weighted values count, over their number plus Keras's 1e-7."""
    if weights is None:
        mean = ops.mean(x, axis=axes, keepdims=True)
        return mean, ops.mean(ops.square(x - mean), axis=axes, keepdims=True)
    count = weights.sum(axis=axes, keepdims=True) + MASK_EPSILON
    mean = ops.sum(x * weights, axis=axes, keepdims=True) / count
    return mean, ops.sum(ops.square(x - mean) * weights, axis=axes, keepdims=True) / count


def normalized_twin(layer, x, w, mean, variance):
    """:math:`\\gamma (x - \\mu)/\\sqrt{\\sigma^2 + \\epsilon} + \\beta`, the weights
    spread over the layer's axes."""
    shape = [1] * x.ndim
    for axis, size in zip(layer.axes, layer.weight_shape):
        shape[axis] = size
    y = (x - mean) / ops.sqrt(variance + layer.epsilon)
    if layer.scale:
        y = y * ops.reshape(w["gamma"], shape)
    if layer.center:
        y = y + ops.reshape(w["beta"], shape)
    return y


def batch_normalization_twin(layer, x, w, training, mask=None):
    """The batch's statistics in training (of the unmasked values), the moving
    ones at inference or when frozen."""
    if training and layer.trainable:
        weights = None if mask is None else \
            np.broadcast_to(np.asarray(mask, x.dtype)[..., None], x.shape)
        mean, variance = moments_twin(x, layer.reduction_axes, weights)
    else:
        shape = [1] * x.ndim
        shape[layer.axes[0]] = layer.weight_shape[0]
        mean = ops.reshape(w["moving_mean"], shape)
        variance = ops.reshape(w["moving_variance"], shape)
    return normalized_twin(layer, x, w, mean, variance)


def layer_normalization_twin(layer, x, w, training):
    """Each sample's statistics over the layer's axes."""
    return normalized_twin(layer, x, w, *moments_twin(x, layer.axes))


# -- recurrent layers --------------------------------------------------------------------

def projected(x, kernel, bias):
    """:math:`x W + b` (no :math:`b` for ``bias=None``)."""
    z = x @ kernel
    return z if bias is None else z + bias


def simple_rnn_step(cell, x, states, w):
    """:math:`h_t = f(x_t W + h_{t-1} U + b)`."""
    (h,) = states
    z = projected(x, w["kernel"], w.get("bias")) + h @ w["recurrent_kernel"]
    return [activation_twin(cell.activation, z)]


def lstm_step(cell, x, states, w):
    """Gates i, f, c, o from :math:`x_t W + h_{t-1} U + b`; :math:`c_t = f c_{t-1} + i g`,
    :math:`h_t = o \\tanh(c_t)`."""
    h, c = states
    z = projected(x, w["kernel"], w.get("bias")) + h @ w["recurrent_kernel"]
    z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
    gate = cell.recurrent_activation
    c = activation_twin(gate, z_f) * c + \
        activation_twin(gate, z_i) * activation_twin(cell.activation, z_c)
    return [activation_twin(gate, z_o) * activation_twin(cell.activation, c), c]


def gru_step(cell, x, states, w):
    """Gates z, r and the candidate :math:`\\tilde h`; :math:`h_t = z h_{t-1} + (1 - z)
    \\tilde h`, the reset gate applied after the recurrent product (``reset_after``,
    with a bias row for each product) or before it."""
    (h,) = states
    gate, bias = cell.recurrent_activation, w.get("bias")
    if cell.reset_after:
        x_z, x_r, x_h = ops.split(projected(x, w["kernel"], None if bias is None else bias[0]),
                                  3, axis=-1)
        h_z, h_r, h_h = ops.split(projected(h, w["recurrent_kernel"],
                                            None if bias is None else bias[1]), 3, axis=-1)
        update, reset = activation_twin(gate, x_z + h_z), activation_twin(gate, x_r + h_r)
        candidate = activation_twin(cell.activation, x_h + reset * h_h)
    else:
        x_z, x_r, x_h = ops.split(projected(x, w["kernel"], bias), 3, axis=-1)
        U_z, U_r, U_h = ops.split(w["recurrent_kernel"], 3, axis=-1)
        update, reset = activation_twin(gate, x_z + h @ U_z), activation_twin(gate, x_r + h @ U_r)
        candidate = activation_twin(cell.activation, x_h + (reset * h) @ U_h)
    return [update * h + (1.0 - update) * candidate]


STEPS = {SimpleRNN: simple_rnn_step, LSTM: lstm_step, GRU: gru_step}


def recurrent_twin(layer, x, w, training, initial_state=None, mask=None):
    """The cell's step in a loop over time: a masked step keeps the states and
    repeats the previous output (zeros with ``zero_output_for_mask``)."""
    cell, step = layer.cell, STEPS[type(layer)]
    batch, steps = x.shape[:2]
    zeros = np.zeros((batch, cell.units), x.dtype)
    if initial_state is None:
        states = [zeros] * len(cell.state_names)
    else:
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
    cell_w = sub_weights(w, cell.name)
    outputs, output = [], zeros
    for t in (reversed(range(steps)) if layer.go_backwards else range(steps)):
        new = step(cell, x[:, t], states, cell_w)
        if mask is None:
            states, output = new, new[0]
        else:
            keep = np.asarray(mask, bool)[:, t, None]
            output = ops.where(keep, new[0], zeros if layer.zero_output_for_mask else output)
            states = [ops.where(keep, n, s) for n, s in zip(new, states)]
        outputs.append(output)
    y = ops.stack(outputs, axis=1) if layer.return_sequences else outputs[-1]
    return (y, *states) if layer.return_state else y


def bidirectional_twin(layer, x, w, training, initial_state=None, mask=None):
    """Both layers' twins, the backward one's sequence reversed back, merged."""
    halves = (layer.forward_layer, layer.backward_layer)
    given = [{}, {}]
    if initial_state is not None:
        half = len(initial_state) // 2
        given = [{"initial_state": initial_state[:half]},
                 {"initial_state": initial_state[half:]}]
    ys, states = [], []
    for part, keywords in zip(halves, given):
        if mask is not None:
            keywords = {**keywords, "mask": mask}
        out = TWINS[type(part)](part, x, sub_weights(w, part.name), training, **keywords)
        y, *part_states = out if part.return_state else (out,)
        ys.append(y)
        states += part_states
    y_f, y_b = ys
    if layer.return_sequences:
        y_b = y_b[:, ::-1]
    merged = {None: lambda: [y_f, y_b],
              "concat": lambda: [ops.concatenate([y_f, y_b], axis=-1)],
              "sum": lambda: [y_f + y_b],
              "ave": lambda: [(y_f + y_b) / 2.0],
              "mul": lambda: [y_f * y_b]}[layer.merge_mode]()
    outputs = [*merged, *states]
    return tuple(outputs) if len(outputs) > 1 else outputs[0]


TWINS = {
    Dense: dense_twin,
    Conv1D: conv_twin, Conv2D: conv_twin, Conv2DTranspose: conv_transpose_twin,
    MaxPooling1D: max_pooling_twin, MaxPooling2D: max_pooling_twin,
    AveragePooling1D: average_pooling_twin, AveragePooling2D: average_pooling_twin,
    GlobalMaxPooling1D: global_max_pooling_twin, GlobalMaxPooling2D: global_max_pooling_twin,
    GlobalAveragePooling1D: global_average_pooling_twin,
    GlobalAveragePooling2D: global_average_pooling_twin,
    Embedding: embedding_twin,
    Flatten: rearrange_twin, Reshape: rearrange_twin,
    UpSampling2D: upsampling_twin,
    Activation: activation_layer_twin, ReLU: activation_layer_twin,
    LeakyReLU: activation_layer_twin, ELU: activation_layer_twin,
    Softmax: activation_layer_twin,
    PReLU: prelu_twin,
    **{merge: merge_twin for merge in MERGE_TWINS},
    SimpleRNN: recurrent_twin, LSTM: recurrent_twin, GRU: recurrent_twin,
    Bidirectional: bidirectional_twin,
    **{noisy: noise_twin for noisy in NOISE_APPLIED},
    BatchNormalization: batch_normalization_twin,
    LayerNormalization: layer_normalization_twin,
}
