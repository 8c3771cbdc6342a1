"""Red team: arguments that mean nothing, extreme values and misspelled names.

Each row of the tables below is an argument a new user (or a hostile config) could
give a constructor.  Each must raise a ``TypeError`` (a value of the wrong kind) or a
``ValueError`` (the right kind, out of range) whose message names the component and
the argument, says what was expected and what was given.  Before these checks the
rows were accepted and failed later, far from the mistake (``Dense(-1)`` in NumPy,
``Adam(beta_1=1)`` with a ``ZeroDivisionError`` at the first step), or never failed
at all (``Dense(2.7)`` became ``Dense(2)``, ``keepdims="False"`` was true).

The tables cover every registered layer, optimizer, schedule and metric: a test
checks that a component added to the registry gets its rows here.
"""
import math
import re
import warnings

import numpy as np
import pytest

import nnlib
from nnlib import Input, Sequential, registry
from nnlib.layers import (ELU, GRU, LSTM, Activation, Add, Average, AveragePooling1D,
                          AveragePooling2D, Bidirectional, Concatenate, Conv1D, Conv2D,
                          Conv2DTranspose, Dense, Embedding, Flatten, GlobalAveragePooling1D,
                          GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                          LeakyReLU, MaxPooling1D, MaxPooling2D, Maximum, Minimum, Multiply,
                          PReLU, ReLU, Reshape, SimpleRNN, Softmax, Subtract, UpSampling2D)
from nnlib.layers import (AlphaDropout, Dropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
                          SpatialDropout2D, SpatialDropout3D)
from nnlib.layers.base import Weight
from nnlib.metrics import Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy
from nnlib.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Nadam, RMSprop
from nnlib.optimizers.schedules import CosineDecay, ExponentialDecay, PiecewiseConstantDecay

NAN, INF = float("nan"), float("inf")


def attack(cls, arguments, error, message, required=None):
    """One row: ``cls(**required, **arguments)`` must raise ``error`` matching
    ``message`` (a regular expression searched in the message)."""
    return pytest.param(cls, {**(required or {}), **arguments}, error, message,
                        id=f"{cls.__name__}-{arguments}")


CONV = {"filters": 4, "kernel_size": 3}
EMBED = {"input_dim": 10, "output_dim": 3}
WHOLE = "must be a whole number >= 1"
TUPLE = "must be a whole number >= 1 or a tuple of {} of them"

LAYER_ATTACKS = [
    # Dense: 0 and -1 failed later in NumPy, 2.7 became 2, "3" and True were taken.
    attack(Dense, {"units": 0}, ValueError, f"^Dense 'bad': units {WHOLE}, got 0$"),
    attack(Dense, {"units": -1}, ValueError, f"units {WHOLE}, got -1"),
    attack(Dense, {"units": 2.7}, ValueError, f"units {WHOLE}, got 2.7"),
    attack(Dense, {"units": NAN}, ValueError, f"units {WHOLE}, got nan"),
    attack(Dense, {"units": "3"}, TypeError, f"units {WHOLE}, got '3'"),
    attack(Dense, {"units": True}, TypeError, f"units {WHOLE}, got True"),
    attack(Dense, {"units": None}, TypeError, f"units {WHOLE}, got None"),
    attack(Dense, {"activation": "rleu"}, ValueError,
           r"Dense 'bad': activation: unknown activation 'rleu' \(did you mean 'relu'\?\)",
           required={"units": 3}),
    attack(Dense, {"activation": 3}, TypeError, r"Dense 'bad': activation: expected",
           required={"units": 3}),
    # An unknown initializer used to pass until the first call built the layer.
    attack(Dense, {"kernel_initializer": "glorot_unifrom"}, ValueError,
           r"kernel_initializer: unknown initializer 'glorot_unifrom' \(did you mean "
           r"'GlorotUniform'\?\)", required={"units": 3}),
    attack(Dense, {"bias_initializer": "zeroes"}, ValueError,
           r"bias_initializer: unknown initializer 'zeroes' \(did you mean 'Zeros'\?\)",
           required={"units": 3}),
    attack(Dense, {"use_bias": "False"}, TypeError, "use_bias must be True or False, got 'False'",
           required={"units": 3}),
    # input_shape/input_dim (any layer, Keras 3's legacy way to start a Sequential).
    attack(Dense, {"input_shape": 4}, TypeError,
           r"Dense 'bad': input_shape must be a tuple of whole numbers >= 1 or None, got 4; "
           r"for one axis of 4 write input_shape=\(4,\)", required={"units": 3}),
    attack(Dense, {"input_dim": 0}, ValueError, f"Dense 'bad': input_dim {WHOLE}, got 0",
           required={"units": 3}),
    attack(Dense, {"input_shape": (4,), "input_dim": 4}, ValueError,
           "give input_shape or input_dim, not both", required={"units": 3}),
    attack(Dense, {"input_shpe": (4,)}, TypeError,
           "^Dense 'bad': unexpected keyword argument 'input_shpe'$", required={"units": 3}),
    # Convolutions: strides=2.0 used to fail with "'float' object is not iterable".
    attack(Conv1D, {"filters": 0}, ValueError, f"Conv1D 'bad': filters {WHOLE}, got 0",
           required=CONV),
    attack(Conv1D, {"kernel_size": (3, 3)}, ValueError, TUPLE.format(1), required=CONV),
    attack(Conv1D, {"padding": "full"}, ValueError,
           r"padding must be one of \('valid', 'same', 'causal'\), got 'full'", required=CONV),
    attack(Conv1D, {"dilation_rate": -2}, ValueError, "dilation_rate " + TUPLE.format(1),
           required=CONV),
    attack(Conv2D, {"filters": 1.5}, ValueError, f"filters {WHOLE}, got 1.5", required=CONV),
    attack(Conv2D, {"kernel_size": 0}, ValueError, "kernel_size " + TUPLE.format(2),
           required=CONV),
    attack(Conv2D, {"strides": 2.5}, ValueError, "strides " + TUPLE.format(2) + ", got 2.5",
           required=CONV),
    attack(Conv2D, {"strides": "2"}, TypeError, "strides " + TUPLE.format(2) + ", got '2'",
           required=CONV),
    attack(Conv2D, {"dilation_rate": (1, 0)}, ValueError, r"dilation_rate .* got \(1, 0\)",
           required=CONV),
    attack(Conv2D, {"padding": "causal"}, ValueError,
           r"padding must be one of \('valid', 'same'\), got 'causal'", required=CONV),
    attack(Conv2D, {"padding": "sme"}, ValueError, r"got 'sme' \(did you mean 'same'\?\)",
           required=CONV),
    attack(Conv2D, {"activation": "tahn"}, ValueError, r"\(did you mean 'tanh'\?\)",
           required=CONV),
    # Transposed convolution: Keras's rule output_padding < strides; no causal padding.
    attack(Conv2DTranspose, {"output_padding": 2}, ValueError,
           r"Conv2DTranspose 'bad': each output_padding must be below its stride \(as in "
           r"Keras\), got output_padding=\(2, 2\) and strides=\(2, 2\)",
           required={**CONV, "strides": 2}),
    attack(Conv2DTranspose, {"output_padding": -1}, ValueError,
           "output_padding must be a whole number >= 0 or a tuple of 2 of them, got -1",
           required=CONV),
    attack(Conv2DTranspose, {"output_padding": 0.5}, ValueError, "output_padding .* got 0.5",
           required=CONV),
    attack(Conv2DTranspose, {"padding": "causal"}, ValueError,
           r"padding must be one of \('valid', 'same'\), got 'causal'", required=CONV),
    attack(Conv2DTranspose, {"strides": 2, "dilation_rate": 2}, ValueError,
           "strides > 1 cannot be combined with dilation_rate > 1", required=CONV),
    attack(Conv2DTranspose, {"filters": 0}, ValueError, f"filters {WHOLE}, got 0",
           required=CONV),
    # Pooling.
    attack(MaxPooling1D, {"pool_size": 0}, ValueError,
           "MaxPooling1D 'bad': pool_size " + TUPLE.format(1) + ", got 0"),
    attack(MaxPooling2D, {"pool_size": (2, 2, 2)}, ValueError, r"pool_size .* got \(2, 2, 2\)"),
    attack(AveragePooling1D, {"strides": -1}, ValueError, "strides " + TUPLE.format(1),
           required={"pool_size": 2}),
    attack(AveragePooling2D, {"padding": "causal"}, ValueError,
           r"padding must be one of \('valid', 'same'\)", required={"pool_size": 2}),
    attack(GlobalMaxPooling1D, {"keepdims": "yes"}, TypeError,
           "GlobalMaxPooling1D 'bad': keepdims must be True or False, got 'yes'"),
    attack(GlobalMaxPooling2D, {"keepdims": 1}, TypeError, "keepdims must be True or False"),
    attack(GlobalAveragePooling1D, {"keepdims": None}, TypeError, "keepdims must be True or"),
    attack(GlobalAveragePooling2D, {"keepdims": "False"}, TypeError,
           "keepdims must be True or False, got 'False'"),
    # Embedding: a negative vocabulary used to fail in NumPy when built.
    attack(Embedding, {"input_dim": -5}, ValueError,
           f"Embedding 'bad': input_dim {WHOLE}, got -5", required=EMBED),
    attack(Embedding, {"output_dim": 0}, ValueError, f"output_dim {WHOLE}, got 0",
           required=EMBED),
    attack(Embedding, {"input_dim": 10.5}, ValueError, f"input_dim {WHOLE}, got 10.5",
           required=EMBED),
    attack(Embedding, {"mask_zero": "true"}, TypeError, "mask_zero must be True or False",
           required=EMBED),
    attack(Embedding, {"embeddings_initializer": "unifrom"}, ValueError,
           r"embeddings_initializer: unknown initializer 'unifrom'", required=EMBED),
    # Reshaping: Flatten is channels-last only; Reshape(6) used to fail inside tuple().
    attack(Flatten, {"data_format": "channels_first"}, TypeError,
           "unexpected keyword argument 'data_format'"),
    attack(Reshape, {"target_shape": 6}, TypeError,
           r"Reshape 'bad': target_shape must be a tuple of whole numbers >= 1 or -1, got 6; "
           r"for one axis of 6 write target_shape=\(6,\)"),
    attack(Reshape, {"target_shape": "3x2"}, TypeError, "target_shape must be a tuple"),
    attack(Reshape, {"target_shape": (0, 3)}, ValueError, r"got \(0, 3\)"),
    attack(Reshape, {"target_shape": (-1, -1)}, ValueError, "at most one -1"),
    attack(Reshape, {"target_shape": (2.5, 2)}, ValueError, r"got \(2.5, 2\)"),
    # UpSampling2D: the interpolations Keras offers on some backends only are refused.
    attack(UpSampling2D, {"size": 0}, ValueError,
           "UpSampling2D 'bad': size " + TUPLE.format(2) + ", got 0"),
    attack(UpSampling2D, {"size": (2, 2, 2)}, ValueError, r"size .* got \(2, 2, 2\)"),
    attack(UpSampling2D, {"interpolation": "bicubic"}, ValueError,
           r"interpolation='bicubic' is not supported by nnlib \(only \('nearest', "
           r"'bilinear'\)\)"),
    attack(UpSampling2D, {"interpolation": "nearset"}, ValueError,
           r"got 'nearset' \(did you mean 'nearest'\?\)"),
    attack(UpSampling2D, {"interpolation": None}, TypeError, "interpolation must be one of"),
    attack(UpSampling2D, {"data_format": "channels_first"}, TypeError,
           "unexpected keyword argument 'data_format'"),
    # Activation layers (Keras's ranges: nothing negative).
    attack(Activation, {"activation": "softmx"}, ValueError,
           r"Activation 'bad': activation: unknown activation 'softmx' \(did you mean "
           r"'softmax'\?\)"),
    attack(ReLU, {"max_value": -1}, ValueError,
           "ReLU 'bad': max_value must be a finite number >= 0, got -1.0"),
    attack(ReLU, {"negative_slope": NAN}, ValueError, "negative_slope must be a finite number"),
    attack(ReLU, {"threshold": "0"}, TypeError, "threshold must be a number, got '0'"),
    attack(LeakyReLU, {"negative_slope": -0.3}, ValueError,
           "LeakyReLU 'bad': negative_slope must be a finite number >= 0, got -0.3"),
    attack(LeakyReLU, {"negative_slope": None}, TypeError, "negative_slope must be a number"),
    attack(ELU, {"alpha": INF}, ValueError, "ELU 'bad': alpha must be a finite number, got inf"),
    attack(Softmax, {"axis": 1.5}, ValueError,
           "Softmax 'bad': axis must be a whole number or a tuple of them, got 1.5"),
    attack(Softmax, {"axis": "last"}, TypeError, "axis must be a whole number or a tuple"),
    attack(PReLU, {"shared_axes": 0}, ValueError,
           r"PReLU 'bad': shared_axes must be a whole number >= 1 or a tuple of them, got 0"),
    attack(PReLU, {"shared_axes": [1, 0]}, ValueError, r"shared_axes .* got \[1, 0\]"),
    attack(PReLU, {"shared_axes": "1"}, TypeError, "shared_axes must be"),
    attack(PReLU, {"alpha_initializer": "zeroes"}, ValueError,
           r"alpha_initializer: unknown initializer 'zeroes' \(did you mean 'Zeros'\?\)"),
    # Merging: the element-wise merges take no axis (a Concatenate was meant).
    attack(Add, {"axis": 1}, TypeError, "unexpected keyword argument 'axis'"),
    attack(Subtract, {"axis": 1}, TypeError, "unexpected keyword argument 'axis'"),
    attack(Multiply, {"axis": 1}, TypeError, "unexpected keyword argument 'axis'"),
    attack(Average, {"axis": 1}, TypeError, "unexpected keyword argument 'axis'"),
    attack(Maximum, {"axis": 1}, TypeError, "unexpected keyword argument 'axis'"),
    attack(Minimum, {"axis": 1}, TypeError, "unexpected keyword argument 'axis'"),
    attack(Concatenate, {"axis": 1.5}, ValueError,
           "Concatenate 'bad': axis must be a whole number, got 1.5"),
    attack(Concatenate, {"axis": None}, TypeError, "axis must be a whole number, got None"),
    # Recurrent layers: what nnlib does not implement is refused, never ignored.
    attack(SimpleRNN, {"units": 0}, ValueError, f"^SimpleRNN 'bad': units {WHOLE}, got 0$"),
    attack(SimpleRNN, {"activation": "softmax"}, ValueError,
           "activation must be an element-wise activation", required={"units": 3}),
    attack(LSTM, {"units": 2.5}, ValueError, f"^LSTM 'bad': units {WHOLE}, got 2.5$"),
    attack(LSTM, {"dropout": 0.2}, ValueError,
           r"LSTM 'bad': dropout=0.2 is not supported by nnlib \(only dropout=0.0\)",
           required={"units": 3}),
    attack(LSTM, {"stateful": True}, ValueError, "stateful=True is not supported by nnlib",
           required={"units": 3}),
    attack(LSTM, {"return_state": "yes"}, TypeError, "return_state must be True or False",
           required={"units": 3}),
    attack(GRU, {"recurrent_dropout": 0.5}, ValueError,
           "recurrent_dropout=0.5 is not supported by nnlib", required={"units": 3}),
    attack(GRU, {"recurrent_activation": "sigmod"}, ValueError, r"\(did you mean 'sigmoid'\?\)",
           required={"units": 3}),
    attack(Bidirectional, {"layer": Dense(2)}, TypeError, "layer must be a recurrent layer"),
    attack(Bidirectional, {"merge_mode": "add"}, ValueError,
           r"Bidirectional 'bad': merge_mode must be one of", required={"layer": LSTM(2)}),
    # The dropout family: rate = 1 divided by zero in Keras (1/(1 - rate)); noise shapes
    # are checked at once, and against the input at each call.
    attack(Dropout, {"rate": 1.0}, ValueError,
           re.escape("Dropout 'bad': rate must be a finite number in [0, 1), got 1.0: a rate "
                     "of 1 drops every value")),
    attack(Dropout, {"rate": "0.5"}, TypeError, "rate must be a number, got '0.5'"),
    attack(Dropout, {"noise_shape": (None, 0, 4)}, ValueError,
           r"noise_shape must be a tuple of whole numbers >= 1 or None, got \(None, 0, 4\)",
           required={"rate": 0.5}),
    attack(SpatialDropout1D, {"rate": -0.1}, ValueError,
           re.escape("SpatialDropout1D 'bad': rate must be a finite number in [0, 1), got -0.1")),
    attack(SpatialDropout1D, {"data_format": "channels_first"}, TypeError,
           "SpatialDropout1D takes no data_format", required={"rate": 0.5}),
    attack(SpatialDropout2D, {"data_format": "channels_middle"}, ValueError,
           r"SpatialDropout2D 'bad': data_format must be one of \('channels_last', "
           r"'channels_first'\), got 'channels_middle'", required={"rate": 0.5}),
    attack(SpatialDropout3D, {"rate": NAN}, ValueError, r"rate must be a finite number in \[0, "
                                                        r"1\), got nan"),
    attack(AlphaDropout, {"rate": 1.5}, ValueError,
           re.escape("AlphaDropout 'bad': rate must be a finite number in [0, 1), got 1.5")),
    attack(GaussianDropout, {"seed": -1}, ValueError,
           "GaussianDropout 'bad': seed must be a whole number >= 0, got -1",
           required={"rate": 0.5}),
    attack(GaussianNoise, {"stddev": -0.1}, ValueError,
           re.escape("GaussianNoise 'bad': stddev must be a finite number in [0, 1], got -0.1")),
    # Normalization: Keras takes any float (epsilon=0 divides by zero on a constant
    # channel) and any axis; what nnlib does not implement is refused, never ignored.
    attack(nnlib.layers.BatchNormalization, {"axis": 1.5}, ValueError,
           "^BatchNormalization 'bad': axis must be a whole number, got 1.5$"),
    attack(nnlib.layers.BatchNormalization, {"axis": 0}, ValueError,
           "BatchNormalization 'bad': axis 0 is the batch axis"),
    attack(nnlib.layers.BatchNormalization, {"momentum": 1.5}, ValueError,
           re.escape("BatchNormalization 'bad': momentum must be a finite number in [0, 1], "
                     "got 1.5")),
    attack(nnlib.layers.BatchNormalization, {"momentum": "0.9"}, TypeError,
           "momentum must be a number, got '0.9'"),
    attack(nnlib.layers.BatchNormalization, {"epsilon": 0}, ValueError,
           "BatchNormalization 'bad': epsilon must be a finite number > 0, got 0.0"),
    attack(nnlib.layers.BatchNormalization, {"center": "yes"}, TypeError,
           "center must be True or False, got 'yes'"),
    attack(nnlib.layers.BatchNormalization, {"moving_variance_initializer": "onez"}, ValueError,
           r"moving_variance_initializer: unknown initializer 'onez' \(did you mean 'Ones'\?\)"),
    attack(nnlib.layers.BatchNormalization, {"renorm": True}, ValueError,
           r"BatchNormalization 'bad': renorm=True is not supported by nnlib \(only "
           r"renorm=False\)"),
    attack(nnlib.layers.BatchNormalization, {"synchronized": True}, ValueError,
           "synchronized=True is not supported by nnlib"),
    attack(nnlib.layers.BatchNormalization, {"gamma_constraint": "non_neg"}, ValueError,
           "gamma_constraint='non_neg' is not supported by nnlib"),
    attack(nnlib.layers.LayerNormalization, {"axis": "last"}, TypeError,
           "^LayerNormalization 'bad': axis must be a whole number or a tuple of them, got "
           "'last'$"),
    attack(nnlib.layers.LayerNormalization, {"axis": []}, ValueError,
           "axis must name at least one axis"),
    attack(nnlib.layers.LayerNormalization, {"axis": [1, -1]}, ValueError,
           r"axis mixes axes counted from the front and from the back, \[1, -1\]"),
    attack(nnlib.layers.LayerNormalization, {"axis": [0, 1]}, ValueError,
           r"axis \[0, 1\] includes the batch axis"),
    attack(nnlib.layers.LayerNormalization, {"epsilon": -1e-3}, ValueError,
           "LayerNormalization 'bad': epsilon must be a finite number > 0, got -0.001"),
    attack(nnlib.layers.LayerNormalization, {"rms_scaling": True}, ValueError,
           r"rms_scaling=True is not supported by nnlib \(only rms_scaling=False\): Keras 3 "
           r"deprecates it"),
]


@pytest.mark.parametrize("cls, arguments, error, message", LAYER_ATTACKS)
def test_a_layer_refuses_arguments_that_mean_nothing(cls, arguments, error, message):
    with pytest.raises(error, match=message):
        cls(**arguments, name="bad")


def test_whole_floats_are_taken_as_integers_not_truncated():
    assert Dense(3.0).units == 3 and type(Dense(3.0).units) is int
    assert Conv2D(4.0, 3.0, strides=2.0).strides == (2, 2)
    assert Embedding(10.0, np.int64(3)).output_dim == 3
    assert Reshape((2.0, -1.0)).target_shape == (2, -1)


@pytest.mark.parametrize("make, error, message", [
    # Input(64) used to fail with "'int' object is not iterable", Input("abc") to make a
    # shape of three letters, Input((-1,)) and Input((0,)) to build models of no size.
    (lambda: Input(64), TypeError,
     r"InputLayer '\w+': shape must be a tuple of whole numbers >= 1 or None, got 64; for one "
     r"axis of 64 write shape=\(64,\)"),
    (lambda: Input("abc"), TypeError, "shape must be a tuple of whole numbers >= 1 or None, "
                                      "got 'abc'$"),
    (lambda: Input((-1,)), ValueError, r"got \(-1,\)$"),
    (lambda: Input((0,)), ValueError, r"got \(0,\)$"),
    (lambda: Input((28, 28.5)), ValueError, r"got \(28, 28.5\)$"),
    (lambda: Input((3,), batch_size=0), ValueError, "batch_size must be a whole number >= 1"),
    (lambda: Input((3,), dtype="complex64"), ValueError, r"InputLayer '\w+': dtype: "),
    (lambda: Input((3,), dtype="words"), ValueError, r"InputLayer '\w+': dtype: expected a "
                                                     r"float type .* an integer type"),
    (lambda: Input(batch_shape=8), TypeError,
     r"Input: batch_shape must be a tuple \(batch_size, \*shape\), got 8"),
    (lambda: Input((3,), batch_shape=(None, 3)), ValueError,
     r"Input: give shape \(and batch_size\) or batch_shape, not both"),
])
def test_input_refuses_shapes_that_mean_nothing(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_one_dimensional_input_to_dense_is_a_rank_error():
    # It used to report the last axis: "expected input with last axis 4, got shape (4,)".
    layer = Dense(2, name="flat")
    layer(np.ones((1, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "Dense 'flat': expected one input of rank >= 2, (batch, ..., features), with a "
            "known last axis, got shape (4,)")):
        layer(np.ones(4))


@pytest.mark.parametrize("axis", [0, 2, -3, 5])
def test_concatenate_refuses_the_batch_axis_and_axes_the_inputs_lack(axis):
    # axis=5 on rank-2 inputs used to wrap around to axis 1 (5 % 2).
    with pytest.raises(ValueError, match=re.escape(
            f"Concatenate 'cat': axis must be an axis of the inputs other than the batch axis, "
            f"one of [1, -1], got axis={axis} for inputs of shapes [(2, 3), (2, 4)]")):
        Concatenate(axis=axis, name="cat")([np.ones((2, 3)), np.ones((2, 4))])


# -- optimizers -----------------------------------------------------------------------------

BASE_ATTACKS = [
    ({"learning_rate": -0.1}, ValueError, "learning_rate must be a finite number >= 0, got -0.1"),
    ({"learning_rate": NAN}, ValueError, "learning_rate must be a finite number >= 0, got nan"),
    ({"learning_rate": INF}, ValueError, "learning_rate must be a finite number >= 0, got inf"),
    ({"learning_rate": "fast"}, TypeError,
     "learning_rate must be a number or a LearningRateSchedule, got 'fast'"),
    ({"learning_rate": None}, TypeError, "learning_rate must be a number or a"),
    ({"weight_decay": -0.01}, ValueError, "weight_decay must be a finite number >= 0"),
    ({"weight_decay": NAN}, ValueError, "weight_decay must be a finite number >= 0, got nan"),
    ({"clipnorm": 0}, ValueError, "clipnorm must be a finite number > 0, got 0.0"),
    ({"clipvalue": -1}, ValueError, "clipvalue must be a finite number > 0, got -1.0"),
    ({"global_clipnorm": INF}, ValueError, "global_clipnorm must be a finite number > 0"),
    ({"clipnorm": "1"}, TypeError, "clipnorm must be a number, got '1'"),
    ({"name": 5}, TypeError, "name must be a string, got 5"),
]
OPTIMIZERS = [entry.cls for entry in registry.entries("optimizer")]


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("arguments, error, message", BASE_ATTACKS,
                         ids=[str(row[0]) for row in BASE_ATTACKS])
def test_every_optimizer_checks_the_shared_arguments(cls, arguments, error, message):
    with pytest.raises(error, match=f"^{cls.__name__}: {message}"):
        cls(**arguments)


DECAY = "must be a finite number in [0, 1)"
OPTIMIZER_ATTACKS = [
    # beta_1 = 1 used to raise ZeroDivisionError at the first step, epsilon = 0 to give
    # NaN wherever the gradient had always been zero.
    attack(Adam, {"beta_1": 1}, ValueError, re.escape(f"Adam: beta_1 {DECAY}, got 1.0")),
    attack(Adam, {"beta_1": -0.1}, ValueError, re.escape(f"beta_1 {DECAY}, got -0.1")),
    attack(Adam, {"beta_2": 1.5}, ValueError, re.escape(f"beta_2 {DECAY}, got 1.5")),
    attack(Adam, {"epsilon": 0}, ValueError, "Adam: epsilon must be a finite number > 0, got 0.0"),
    attack(Adam, {"epsilon": -1e-7}, ValueError, "epsilon must be a finite number > 0"),
    attack(Adam, {"amsgrad": "yes"}, TypeError, "Adam: amsgrad must be True or False"),
    attack(AdamW, {"weight_decay": None}, ValueError, "AdamW: weight_decay must be a number"),
    attack(AdamW, {"beta_2": NAN}, ValueError, re.escape(f"AdamW: beta_2 {DECAY}, got nan")),
    attack(Nadam, {"beta_1": 1.0}, ValueError, re.escape(f"Nadam: beta_1 {DECAY}, got 1.0")),
    attack(Nadam, {"epsilon": 0.0}, ValueError, "Nadam: epsilon must be a finite number > 0"),
    attack(RMSprop, {"rho": 1.0}, ValueError, re.escape(f"RMSprop: rho {DECAY}, got 1.0")),
    attack(RMSprop, {"momentum": 1.5}, ValueError,
           re.escape("RMSprop: momentum must be a finite number in [0, 1], got 1.5")),
    attack(RMSprop, {"epsilon": 0}, ValueError, "RMSprop: epsilon must be a finite number > 0"),
    attack(RMSprop, {"centered": "true"}, TypeError, "centered must be True or False"),
    attack(Adagrad, {"initial_accumulator_value": -0.1}, ValueError,
           "Adagrad: initial_accumulator_value must be a finite number >= 0, got -0.1"),
    attack(Adagrad, {"epsilon": 0}, ValueError, "Adagrad: epsilon must be a finite number > 0"),
    attack(Adadelta, {"rho": 1.0}, ValueError, re.escape(f"Adadelta: rho {DECAY}, got 1.0")),
    attack(Adadelta, {"epsilon": -1.0}, ValueError, "Adadelta: epsilon must be a finite number"),
    attack(SGD, {"momentum": -0.1}, ValueError,
           re.escape("SGD: momentum must be a finite number in [0, 1], got -0.1")),
    attack(SGD, {"momentum": NAN}, ValueError, "SGD: momentum must be a finite number"),
    attack(SGD, {"nesterov": 1}, TypeError, "SGD: nesterov must be True or False, got 1"),
]


@pytest.mark.parametrize("cls, arguments, error, message", OPTIMIZER_ATTACKS)
def test_an_optimizer_refuses_rates_that_break_its_rule(cls, arguments, error, message):
    with pytest.raises(error, match=message):
        cls(**arguments)


def test_the_learning_rate_is_checked_when_set_too():
    optimizer = SGD(0.1)
    with pytest.raises(ValueError, match="SGD: learning_rate must be a finite number >= 0"):
        optimizer.learning_rate = -1.0
    assert optimizer.learning_rate == 0.1
    optimizer.learning_rate = 0  # a rate of zero freezes the weights: allowed
    assert optimizer.learning_rate == 0.0


SCHEDULE_ATTACKS = [
    attack(ExponentialDecay, {"initial_learning_rate": -1.0}, ValueError,
           "ExponentialDecay: initial_learning_rate must be a finite number >= 0, got -1.0",
           required={"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    attack(ExponentialDecay, {"decay_steps": 2.5}, ValueError,
           f"decay_steps {WHOLE}, got 2.5",
           required={"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    attack(ExponentialDecay, {"decay_rate": 0}, ValueError,
           "decay_rate must be a finite number > 0, got 0.0",
           required={"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    attack(ExponentialDecay, {"staircase": "no"}, TypeError, "staircase must be True or False",
           required={"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    attack(CosineDecay, {"alpha": 1.5}, ValueError,
           re.escape("CosineDecay: alpha must be a finite number in [0, 1], got 1.5"),
           required={"initial_learning_rate": 0.1, "decay_steps": 10}),
    attack(CosineDecay, {"initial_learning_rate": NAN}, ValueError,
           "initial_learning_rate must be a finite number >= 0, got nan",
           required={"initial_learning_rate": 0.1, "decay_steps": 10}),
    attack(CosineDecay, {"warmup_target": -0.1}, ValueError,
           "warmup_target must be a finite number >= 0",
           required={"initial_learning_rate": 0.1, "decay_steps": 10}),
    attack(CosineDecay, {"warmup_steps": -1}, ValueError,
           "warmup_steps must be a whole number >= 0, got -1",
           required={"initial_learning_rate": 0.1, "decay_steps": 10}),
    attack(PiecewiseConstantDecay, {"values": [0.1, NAN]}, ValueError,
           "PiecewiseConstantDecay: every one of values must be a finite number >= 0, got nan",
           required={"boundaries": [10]}),
    attack(PiecewiseConstantDecay, {"values": 0.1}, TypeError,
           "values must be a list of learning rates, got 0.1", required={"boundaries": [10]}),
    attack(PiecewiseConstantDecay, {"boundaries": 10}, TypeError,
           "boundaries must be a tuple of whole numbers >= 0, got 10",
           required={"values": [0.1, 0.01]}),
    attack(PiecewiseConstantDecay, {"boundaries": [-5]}, ValueError,
           r"boundaries must be a tuple of whole numbers >= 0, got \[-5\]",
           required={"values": [0.1, 0.01]}),
]


@pytest.mark.parametrize("cls, arguments, error, message", SCHEDULE_ATTACKS)
def test_a_schedule_refuses_arguments_that_mean_nothing(cls, arguments, error, message):
    with pytest.raises(error, match=message):
        cls(**arguments)


METRIC_ATTACKS = [
    attack(Accuracy, {"name": 3}, TypeError, "Accuracy: name must be a string, got 3"),
    attack(BinaryAccuracy, {"threshold": "0.5"}, TypeError,
           "BinaryAccuracy: threshold must be a number, got '0.5'"),
    attack(CategoricalAccuracy, {"dtype": "int8"}, ValueError,
           "CategoricalAccuracy: dtype: dtype must be one of"),
    attack(SparseCategoricalAccuracy, {"dtype": "text"}, TypeError,
           "SparseCategoricalAccuracy: dtype: "),
    attack(nnlib.metrics.TopKCategoricalAccuracy, {"k": 0}, ValueError,
           "TopKCategoricalAccuracy: k must be a whole number >= 1, got 0"),
    attack(nnlib.metrics.SparseTopKCategoricalAccuracy, {"k": "5"}, TypeError,
           "SparseTopKCategoricalAccuracy: k must be a whole number >= 1, got '5'"),
    attack(nnlib.metrics.MeanSquaredError, {"name": 3}, TypeError,
           "MeanSquaredError: name must be a string, got 3"),
    attack(nnlib.metrics.RootMeanSquaredError, {"dtype": "int8"}, ValueError,
           "RootMeanSquaredError: dtype: dtype must be one of"),
    attack(nnlib.metrics.MeanAbsoluteError, {"dtype": "text"}, TypeError,
           "MeanAbsoluteError: dtype: "),
    attack(nnlib.metrics.MeanAbsolutePercentageError, {"name": ["mape"]}, TypeError,
           r"MeanAbsolutePercentageError: name must be a string, got \['mape'\]"),
    attack(nnlib.metrics.R2Score, {"class_aggregation": "uniform"}, ValueError,
           r"R2Score: class_aggregation must be one of \('uniform_average', "
           r"'variance_weighted_average'\) or None, got 'uniform'"),
    attack(nnlib.metrics.R2Score, {"class_aggregation": 1}, TypeError,
           "R2Score: class_aggregation must be one of"),
    attack(nnlib.metrics.R2Score, {"num_regressors": -1}, ValueError,
           "R2Score: num_regressors must be a whole number >= 0, got -1"),
    attack(nnlib.metrics.TruePositives, {"thresholds": 1.5}, ValueError,
           r"TruePositives: thresholds must be a finite number in \[0, 1\], got 1.5"),
    attack(nnlib.metrics.FalsePositives, {"thresholds": "0.5"}, TypeError,
           r"FalsePositives: thresholds must be a number in \[0, 1\] or a non-empty list of "
           r"them, got '0.5'"),
    attack(nnlib.metrics.TrueNegatives, {"thresholds": []}, TypeError,
           r"TrueNegatives: thresholds must be a number in \[0, 1\] or a non-empty list"),
    attack(nnlib.metrics.FalseNegatives, {"thresholds": [0.2, float("nan")]}, ValueError,
           "FalseNegatives: thresholds must be a finite number"),
    attack(nnlib.metrics.Precision, {"top_k": 0}, ValueError,
           "Precision: top_k must be a whole number >= 1, got 0"),
    attack(nnlib.metrics.Recall, {"class_id": 1.5}, ValueError,
           "Recall: class_id must be a whole number >= 0, got 1.5"),
    attack(nnlib.metrics.AUC, {"curve": "PRC"}, ValueError,
           r"AUC: curve must be one of \('roc', 'pr'\), got 'PRC' \(did you mean 'pr'\?\)"),
    attack(nnlib.metrics.AUC, {"num_thresholds": 1}, ValueError,
           "AUC: num_thresholds must be a whole number >= 2, got 1"),
    attack(nnlib.metrics.AUC, {"summation_method": "trapezoid"}, ValueError,
           "AUC: summation_method must be one of"),
    attack(nnlib.metrics.AUC, {"num_labels": 3}, ValueError,
           "AUC: num_labels is needed only with multi_label=True"),
    attack(nnlib.metrics.AUC, {"label_weights": [1.0, -1.0]}, ValueError,
           "AUC: label_weights must be a list of numbers >= 0, one per label"),
    attack(nnlib.metrics.AUC, {"multi_label": "yes"}, TypeError,
           "AUC: multi_label must be True or False, got 'yes'"),
    attack(nnlib.metrics.FBetaScore, {"average": "binary"}, ValueError,
           r"FBetaScore: average must be one of \('micro', 'macro', 'weighted'\) or None "
           r"\(one score per class\), got 'binary'"),
    attack(nnlib.metrics.FBetaScore, {"beta": 0.0}, ValueError, "FBetaScore: beta must be"),
    attack(nnlib.metrics.F1Score, {"threshold": "0.5"}, TypeError,
           r"F1Score: threshold must be a number in \[0, 1\] or None"),
    attack(nnlib.metrics.F1Score, {"threshold": 1.5}, ValueError, "F1Score: threshold must be"),
    attack(nnlib.metrics.PrecisionAtRecall, {"recall": 1.2}, ValueError,
           r"PrecisionAtRecall: recall must be a finite number in \[0, 1\], got 1.2"),
    attack(nnlib.metrics.RecallAtPrecision, {"precision": 0.9, "num_thresholds": 0}, ValueError,
           "RecallAtPrecision: num_thresholds must be a whole number >= 1, got 0"),
]


@pytest.mark.parametrize("cls, arguments, error, message", METRIC_ATTACKS)
def test_a_metric_refuses_arguments_that_mean_nothing(cls, arguments, error, message):
    with pytest.raises(error, match=message):
        cls(**arguments)


@pytest.mark.parametrize("kind, table", [("layer", LAYER_ATTACKS),
                                         ("optimizer", OPTIMIZER_ATTACKS),
                                         ("schedule", SCHEDULE_ATTACKS),
                                         ("metric", METRIC_ATTACKS)])
def test_every_registered_component_is_attacked(kind, table):
    attacked = {row.values[0] for row in table}
    missing = [e.name for e in registry.entries(kind) if e.cls not in attacked]
    assert not missing, f"add rows for {missing} to the {kind} table of this module"


# -- misspelled names -----------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: nnlib.get("loss", "mean_squared_eror"),
     "unknown loss 'mean_squared_eror' (did you mean 'mean_squared_error'?); expected one of "
     "'bce', 'binary_crossentropy', "),
    (lambda: nnlib.losses.get("hubber"), "(did you mean 'huber'?)"),
    (lambda: nnlib.metrics.get("sparse_categorial_accuracy"),
     "(did you mean 'sparse_categorical_accuracy'?)"),
    (lambda: nnlib.optimizers.get("rmsprp"), "unknown optimizer 'rmsprp' (did you mean "
                                             "'rmsprop'?)"),
    (lambda: nnlib.activations.get("sigmod"), "(did you mean 'sigmoid'?)"),
    (lambda: nnlib.initializers.get("he_normall"), "(did you mean 'HeNormal'?)"),
    (lambda: Dense(3, activation="Relu6"), "Dense 'dense"),
    (lambda: Sequential([Input((3,)), Dense(1)]).compile(optimizer="adamm", loss="mse"),
     "unknown optimizer 'adamm' (did you mean 'adam'?)"),
    (lambda: Sequential([Input((3,)), Dense(1)]).compile(optimizer="sgd", loss="mse_loss"),
     "'mean_squared_error', 'mse', 'sparse_categorical_crossentropy' (or a class name, such "
     "as 'BinaryCrossentropy')"),
    (lambda: nnlib.serialization.deserialize(
        {"kind": "layer", "class_name": "Dens", "config": {}}),
     "unknown layer 'Dens' (did you mean 'dense'?)"),
])
def test_a_misspelled_name_gets_the_closest_one_and_the_names_accepted(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# -- extreme values -------------------------------------------------------------------------

def steps_in_float32(optimizer, gradient, steps=1):
    """The weight, from ones, after ``steps`` steps with ``gradient``; the warnings."""
    weight = Weight("w", np.ones(2, dtype="float32"), layer=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            optimizer.apply({"w": np.asarray(gradient, dtype="float32")}, {"w": weight})
    return weight.value, [str(w.message) for w in caught]


@pytest.mark.parametrize("optimizer, gradient", [
    # epsilon is positive, but 1e-300 is 0 in float32: 0 / 0 where the gradient is zero.
    (Adam(epsilon=1e-300), [0.0, 1.0]),
    (RMSprop(epsilon=1e-300), [0.0, 1.0]),
    (Adagrad(epsilon=1e-300, initial_accumulator_value=0.0), [0.0, 1.0]),
    # A learning rate whose step overflows.
    (SGD(learning_rate=1e38), [1e3, 1.0]),
])
def test_extreme_but_valid_values_that_would_give_nan_weights_skip_the_step(optimizer, gradient):
    value, messages = steps_in_float32(optimizer, gradient)
    assert value.tolist() == [1.0, 1.0] and optimizer.iterations == 0
    assert any(f"{type(optimizer).__name__}: skipped a step" in m and "'w'" in m
               for m in messages)


@pytest.mark.parametrize("name", [entry.name for entry in registry.entries("optimizer")])
@pytest.mark.parametrize("gradient", [[3e38, -3e38], [1e-45, 0.0]])
def test_the_largest_and_smallest_float32_gradients_give_finite_weights(name, gradient):
    # (A slot may overflow, Adam's v = 0.001 g^2 here: NumPy warns and the weight stays.)
    value, _ = steps_in_float32(nnlib.optimizers.get(name), gradient, steps=3)
    assert np.isfinite(value).all()


@pytest.mark.filterwarnings("ignore:overflow encountered",  # diverges on purpose
                            "ignore:invalid value encountered")
def test_a_schedule_that_grows_without_bound_stops_moving_the_weights():
    # A learning-rate range test left running: the rate reaches inf after ~300 steps.
    optimizer = SGD(ExponentialDecay(1.0, decay_steps=1, decay_rate=10.0))
    weight = Weight("w", np.ones(1), layer=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(400):
            optimizer.apply({"w": np.array([1e-300])}, {"w": weight})
    assert math.isinf(ExponentialDecay(1.0, 1, 10.0)(400))
    assert np.isfinite(weight.value).all() and optimizer.iterations < 400


def test_set_state_refuses_a_state_that_would_break_the_rule():
    # A file's "iterations: -5" used to load, then fail in Adam's sqrt with "math domain error".
    optimizer = Adam()
    good = {"iterations": 3, "weights": {"w": {"m": np.zeros(2), "v": np.zeros(2)}}}
    for bad, error, message in [
            ({**good, "iterations": -5}, ValueError, "iterations must be a whole number >= 0"),
            ({**good, "iterations": "3"}, TypeError, "iterations must be a whole number"),
            ({**good, "weights": [1, 2]}, ValueError, r"weights must be a dict \{key: "),
            ({**good, "weights": {"w": {"m": np.zeros(2), "v": np.array([1.0, np.nan])}}},
             ValueError, "slot 'v' of 'w' must hold finite numbers, got an array of dtype "
                         "float64 with NaN or infinity"),
            ({**good, "weights": {"w": {"m": np.array(["a", "b"]), "v": np.zeros(2)}}},
             ValueError, "slot 'm' of 'w' must hold finite numbers, got an array of dtype <U1"),
            ({"iterations": 3}, ValueError, "expected a dict with 'iterations' and 'weights'")]:
        with pytest.raises(error, match=f"Adam.set_state: {message}"):
            optimizer.set_state(bad)
        assert optimizer.iterations == 0 and optimizer.state == {}  # unchanged
    optimizer.set_state(good)
    assert optimizer.iterations == 3
