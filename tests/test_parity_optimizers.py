"""nnlib's optimizers against Keras 3 and PyTorch, step by step.

The same gradients are fed to each framework for 20 steps, in float64, and
every intermediate weight must agree to a relative 1e-6: against Keras for
every optimizer, option, clipping mode and learning-rate schedule with the
default epsilons; against ``torch.optim`` where the rules coincide (PyTorch
places epsilon elsewhere and starts Adagrad's accumulator at zero, so those
runs set epsilon near zero and the same initial accumulator).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nnlib import optimizers, registry  # noqa: E402
from nnlib.layers.base import Weight  # noqa: E402
from nnlib.optimizers import schedules  # noqa: E402

STEPS = 20
SHAPES = {"kernel": (3, 2), "bias": (2,)}
RTOL = 1e-6
# Keras's Nadam converts a tensor with np.array internally, which NumPy 2 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def draw_gradients(seed=0):
    """20 steps of gradients with norms around 3 (so clipping bites), one of them zero."""
    rng = np.random.default_rng(seed)
    grads = [{k: rng.normal(scale=1.5, size=s) for k, s in SHAPES.items()} for _ in range(STEPS)]
    grads[5]["bias"] = np.zeros(SHAPES["bias"])
    return grads


GRADS = draw_gradients()
INITIAL = {k: np.random.default_rng(1).normal(size=s) for k, s in SHAPES.items()}


@pytest.fixture(scope="module", autouse=True)
def keras_float64():
    """Keras computes learning rates and schedules in floatx: make it float64 here only."""
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(previous)


def run_nnlib(optimizer):
    weights = {k: Weight(k, v.copy(), layer=None) for k, v in INITIAL.items()}
    history = []
    for grads in GRADS:
        optimizer.apply(grads, weights)
        history.append([weights[k].value.copy() for k in SHAPES])
    return history


def run_keras(optimizer):
    variables = [keras.Variable(INITIAL[k], dtype="float64") for k in SHAPES]
    history = []
    for grads in GRADS:
        optimizer.apply([keras.ops.convert_to_tensor(grads[k]) for k in SHAPES], variables)
        history.append([v.value.detach().numpy().copy() for v in variables])
    return history


def run_torch(optimizer_class, **kwargs):
    params = [torch.tensor(INITIAL[k], requires_grad=True) for k in SHAPES]
    optimizer = optimizer_class(params, **kwargs)
    history = []
    for grads in GRADS:
        for param, key in zip(params, SHAPES):
            param.grad = torch.from_numpy(grads[key].copy())
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def assert_same_sequence(ours, theirs, atol=0.0):
    for step, (a, b) in enumerate(zip(ours, theirs), 1):
        for key, x, y in zip(SHAPES, a, b):
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=atol,
                                       err_msg=f"{key} after step {step}")


# (optimizer, keyword arguments); a schedule is (its class name, its arguments).
KERAS_CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 1.0}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "clipnorm": 1.0}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "global_clipnorm": 1.0}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "clipvalue": 0.5}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.01, "clipvalue": 0.5}),
    ("SGD", {"learning_rate": ("ExponentialDecay", {"initial_learning_rate": 0.1,
                                                    "decay_steps": 5, "decay_rate": 0.5})}),
    ("SGD", {"momentum": 0.9,
             "learning_rate": ("ExponentialDecay", {"initial_learning_rate": 0.1,
                                                    "decay_steps": 3, "decay_rate": 0.7,
                                                    "staircase": True})}),
    ("Adam", {"learning_rate": ("CosineDecay", {"initial_learning_rate": 0.01,
                                                "decay_steps": 15, "alpha": 0.1})}),
    ("AdamW", {"weight_decay": 0.1,
               "learning_rate": ("CosineDecay", {"initial_learning_rate": 0.0,
                                                 "decay_steps": 10, "warmup_target": 0.01,
                                                 "warmup_steps": 5})}),
    ("RMSprop", {"momentum": 0.5,
                 "learning_rate": ("PiecewiseConstantDecay", {"boundaries": [4, 10],
                                                              "values": [0.01, 0.005, 0.001]})}),
]


def build(module, schedule_module, name, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), tuple):
        schedule, arguments = kwargs["learning_rate"]
        kwargs["learning_rate"] = getattr(schedule_module, schedule)(**arguments)
    return getattr(module, name)(**kwargs)


def case_id(case):
    name, kwargs = case
    options = [f"{k}={v[0] if isinstance(v, tuple) else v}" for k, v in kwargs.items()]
    return "-".join([name, *options]) or name


@pytest.mark.parametrize("case", KERAS_CASES, ids=case_id)
def test_matches_keras(case):
    ours = run_nnlib(build(optimizers, schedules, *case))
    theirs = run_keras(build(keras.optimizers, keras.optimizers.schedules, *case))
    # Keras's torch backend computes the clipping factor of clipnorm and global_clipnorm
    # in float32 (ops.maximum / ops.minimum with a Python float promote to float32): the
    # clipped gradient carries a relative error near 1e-8, which a weight passing close
    # to zero turns into a relative 1e-6.  nnlib stays in float64; allow that float32
    # rounding as an absolute 1e-7 in those two modes, and nothing elsewhere.
    norm_clipping = {"clipnorm", "global_clipnorm"} & set(case[1])
    assert_same_sequence(ours, theirs, atol=1e-7 if norm_clipping else 0.0)
    assert not np.allclose(ours[-1][0], INITIAL["kernel"])  # the weights did move


def test_every_registered_optimizer_is_compared_with_keras():
    compared = {name for name, _ in KERAS_CASES}
    assert compared == {entry.name for entry in registry.entries("optimizer")}


TINY = 1e-12  # epsilon for the PyTorch comparisons: both frameworks' placements vanish
TORCH_CASES = [
    ("SGD", {"learning_rate": 0.1}, torch.optim.SGD, {"lr": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9},
     torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
     torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01, "epsilon": TINY}, torch.optim.Adam, {"lr": 0.01, "eps": TINY}),
    ("Adam", {"learning_rate": 0.01, "epsilon": TINY, "amsgrad": True},
     torch.optim.Adam, {"lr": 0.01, "eps": TINY, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.01, "epsilon": TINY, "weight_decay": 0.1},
     torch.optim.AdamW, {"lr": 0.01, "eps": TINY, "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "epsilon": TINY},
     torch.optim.RMSprop, {"lr": 0.01, "eps": TINY, "alpha": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "epsilon": TINY, "momentum": 0.9, "centered": True},
     torch.optim.RMSprop, {"lr": 0.01, "eps": TINY, "alpha": 0.9, "momentum": 0.9,
                           "centered": True}),
    ("Adagrad", {"learning_rate": 0.1, "epsilon": TINY},
     torch.optim.Adagrad, {"lr": 0.1, "eps": TINY, "initial_accumulator_value": 0.1}),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda case: case_id(case[:2]))
def test_matches_pytorch(case):
    name, kwargs, torch_class, torch_kwargs = case
    assert_same_sequence(run_nnlib(getattr(optimizers, name)(**kwargs)),
                         run_torch(torch_class, **torch_kwargs))


def test_pytorch_momentum_differs_once_the_learning_rate_changes():
    # PyTorch multiplies its whole buffer by the current rate; Keras (and nnlib)
    # scale each gradient by the rate of its own step.  Halve the rate at step 10:
    schedule = schedules.PiecewiseConstantDecay([9], [0.1, 0.05])
    ours = run_nnlib(optimizers.SGD(schedule, momentum=0.9))
    params = [torch.tensor(INITIAL[k], requires_grad=True) for k in SHAPES]
    sgd = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    halve = torch.optim.lr_scheduler.StepLR(sgd, step_size=10, gamma=0.5)
    theirs = []
    for grads in GRADS:
        for param, key in zip(params, SHAPES):
            param.grad = torch.from_numpy(grads[key].copy())
        sgd.step()
        halve.step()
        theirs.append([p.detach().numpy().copy() for p in params])
    assert_same_sequence(ours[:10], theirs[:10])
    # From step 11 on, PyTorch's remembered velocity is halved at once, nnlib's is not.
    assert not np.allclose(ours[10][0], theirs[10][0], rtol=1e-3)
