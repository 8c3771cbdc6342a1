"""The optimizer protocol: what happens to the weights at one training step.

``optimizer.apply(grads, weights)`` takes two dicts with the same keys, the
gradients and the ``Weight`` objects (``model.named_weights()``), and moves
every weight, in Keras 3's order:

1. clip the gradients (``clipnorm``, ``global_clipnorm`` or ``clipvalue``);
2. read the learning rate :math:`\\eta`, a number or a schedule evaluated at
   ``iterations``, the number of steps applied so far;
3. decay the weights, if ``weight_decay`` :math:`\\lambda` is set:
   :math:`w \\leftarrow w - \\eta \\lambda w` (decoupled from the gradient);
4. ``update(w, g, state, lr)``: the optimizer's own rule, which returns the new
   weight and the new state;
5. ``iterations += 1``.

A step is all or nothing: if a gradient holds a NaN or an infinity, or the
step would make a weight NaN or infinite (an overflow: a huge learning rate,
an epsilon too small for the weight's dtype), no weight, no slot and not
``iterations`` changes, and a ``RuntimeWarning`` names the weights.  So one
bad batch does not leave Adam's ``v`` at infinity for good, and a diverging
model keeps its last finite weights (``TerminateOnNaN`` stops its training
on the loss).  The check reads every new weight once per step (a non-finite
gradient makes its new weight non-finite under every rule).  The slots are
not checked: a finite gradient above about :math:`10^{21}` in float32
overflows Adam's ``v``, and that weight then stops moving.

A subclass writes two methods: ``init_state(w)``, the state a weight starts
with (arrays shaped like it: momentum, moment estimates...), and
``update(w, g, state, lr) -> (w, state)``, the rule, which never writes to
``self``.  The state lives in ``optimizer.state[key]``, one dict per weight
under the key it was given (a model's weight path, ``"dense.kernel"``), so a
learner can print Adam's ``m`` and ``v`` for any weight.  ``get_state()`` and
``set_state()`` carry it, with ``iterations``, as plain dicts of arrays.
"""
import warnings

import numpy as np

from .. import registry
from ..checks import is_number, real_number, whole_number
from ..serialization import Configurable, serialize
from .clipping import clip_by_norm, clip_by_value
from .schedules import LearningRateSchedule


# The ranges of the optimizers' arguments, as keyword arguments of ``checks.real_number``.
NON_NEGATIVE = {"low": 0}  # learning rates, weight decay, Adagrad's initial accumulator
POSITIVE = {"low": 0, "low_open": True}  # epsilon (0 divides 0 by 0), clipping thresholds
DECAY = {"low": 0, "high": 1, "high_open": True}  # beta_1, beta_2, rho: an average that moves
MOMENTUM = {"low": 0, "high": 1}  # Keras's range for momentum


class Optimizer(Configurable):
    """Base class of every optimizer; see the module docstring for the protocol.

    Args:
        learning_rate: a finite number ``>= 0`` or a ``LearningRateSchedule``.
        weight_decay: decoupled weight decay :math:`\\lambda \\ge 0` (``None``: none).
        clipnorm, clipvalue, global_clipnorm: gradient clipping, at most one
            of them, each ``> 0`` (see ``nnlib.optimizers.clipping``).
        name: defaults to the snake-case class name, ``"sgd"``, ``"adam_w"``.
    """

    differentiable = False

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {name!r}")
        self.name = name or registry.snake_case(type(self).__name__)
        clipping = {"clipnorm": clipnorm, "clipvalue": clipvalue,
                    "global_clipnorm": global_clipnorm}
        given = {k: v for k, v in clipping.items() if v is not None}
        if len(given) > 1:
            raise ValueError(f"{type(self).__name__}: only one of clipnorm, clipvalue and "
                             f"global_clipnorm can be set, got {given}")
        for key, value in clipping.items():
            setattr(self, key, None if value is None else self.in_range(key, value, POSITIVE))
        self.learning_rate = learning_rate
        self.weight_decay = None if weight_decay is None else \
            self.in_range("weight_decay", weight_decay, NON_NEGATIVE)
        self.iterations = 0
        self.state = {}
        self._bound = {}  # key -> the Weight its state belongs to

    # -- the learning rate -------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate of the next step (a schedule is evaluated at ``iterations``)."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return self._learning_rate(self.iterations)
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule):
            self._learning_rate = value
        elif is_number(value):
            self._learning_rate = self.in_range("learning_rate", value, NON_NEGATIVE)
        else:
            raise TypeError(f"{type(self).__name__}: learning_rate must be a number or a "
                            f"LearningRateSchedule, got {value!r}")

    def in_range(self, name, value, interval):
        """``value`` as a finite float within ``interval`` (``DECAY``, ``POSITIVE``...),
        or an error that names this optimizer and the argument."""
        return real_number(type(self).__name__, name, value, **interval)

    # -- one step ----------------------------------------------------------------
    def apply(self, grads, weights):
        """Update ``weights[key]`` with ``grads[key]`` for every key of ``grads``:
        every new weight and state is computed first, and kept only if the
        gradients and the new weights are finite (see the module docstring)."""
        missing = [key for key in grads if key not in weights]
        if missing:
            raise KeyError(f"{type(self).__name__}: no weight named {missing}")
        if not grads:
            return
        keys = list(grads)
        gradients = [self.check_gradient(key, grads[key], weights[key]) for key in keys]
        lr = self.learning_rate
        steps = []
        with np.errstate(over="ignore", invalid="ignore"):  # a bad step is caught below
            for key, g in zip(keys, self.clip_gradients(gradients)):
                weight = weights[key]
                w = weight.value
                if self.weight_decay:
                    w = w - w * (self.weight_decay * lr)
                steps.append(self.update(w, g, self.state_for(key, weight), lr))
        if not self.finite_step(keys, gradients, [w for w, _ in steps]):
            return
        for key, (w, state) in zip(keys, steps):
            weights[key].assign(w, copy=False)  # w is the update rule's new array
            self.state[key] = state
        self.iterations += 1

    def finite_step(self, keys, gradients, new_weights):
        """Whether every new weight is finite; if not, a warning names the
        weights whose gradient holds a NaN or an infinity or, if none does,
        those the step would overflow.  (A non-finite gradient reaches its new
        weight through any update rule, ``0 * inf`` being NaN too, so on a good
        step the new weights alone are read, unless clipping by value could
        have hidden an infinity.)"""
        # clipvalue turns an infinite gradient into a finite one: then read the gradients too
        read = new_weights + (gradients if self.clipvalue else [])
        if all(np.isfinite(a).all() for a in read):
            return True
        bad = [key for key, g in zip(keys, gradients) if not np.isfinite(g).all()]
        problem = "the gradient of {} holds NaN or infinity"
        if not bad:
            bad = [key for key, w in zip(keys, new_weights) if not np.isfinite(w).all()]
            problem = "the step would make {} NaN or infinite (an overflow)"
        warnings.warn(f"{type(self).__name__}: skipped a step (no weight, state or iteration "
                      f"changed): {problem.format(', '.join(map(repr, bad)))}; a diverging "
                      f"model? lower the learning rate, clip the gradients, or stop training "
                      f"with TerminateOnNaN", RuntimeWarning, stacklevel=3)
        return False

    def check_gradient(self, key, grad, weight):
        grad = np.asarray(grad, dtype=weight.value.dtype)
        if grad.shape != weight.value.shape:
            raise ValueError(f"{type(self).__name__}: gradient of '{key}' has shape "
                             f"{grad.shape}, expected the weight's shape {weight.value.shape}")
        return grad

    def clip_gradients(self, grads):
        """The gradients after this optimizer's clipping option, if any."""
        if self.clipnorm:
            return [clip_by_norm([g], self.clipnorm)[0] for g in grads]
        if self.global_clipnorm:
            return clip_by_norm(grads, self.global_clipnorm)
        if self.clipvalue:
            return clip_by_value(grads, self.clipvalue)
        return grads

    def state_for(self, key, weight):
        """The state of ``weights[key]``, created (or checked, after ``set_state``) on first use."""
        if key not in self._bound:
            fresh = self.init_state(weight.value)
            saved = self.state.get(key, fresh)
            if set(saved) != set(fresh) or any(np.shape(saved[s]) != fresh[s].shape
                                               for s in fresh):
                raise ValueError(
                    f"{type(self).__name__}: state of '{key}' has slots "
                    f"{ {s: np.shape(a) for s, a in saved.items()} }, expected "
                    f"{ {s: a.shape for s, a in fresh.items()} } for weight shape "
                    f"{weight.value.shape}")
            self.state[key] = {s: np.asarray(saved[s], dtype=fresh[s].dtype) for s in fresh}
            self._bound[key] = weight
        elif self._bound[key] is not weight:
            raise ValueError(f"{type(self).__name__}: '{key}' is not the weight this "
                             f"optimizer has been updating under that name; use a new "
                             f"optimizer for another model")
        return self.state[key]

    # -- what subclasses write ---------------------------------------------------
    def init_state(self, w):
        """The state a weight starts with: a dict of arrays (none by default)."""
        return {}

    def update(self, w, g, state, lr):
        """The update rule: ``(w, g, state, lr) -> (new w, new state)``."""
        raise NotImplementedError

    # -- saving ------------------------------------------------------------------
    def get_state(self):
        """``{"iterations": n, "weights": {key: {slot: array}}}``, copies a save can store."""
        return {"iterations": self.iterations,
                "weights": {key: {s: np.array(a) for s, a in slots.items()}
                            for key, slots in self.state.items()}}

    def set_state(self, state):
        """Restore what ``get_state`` returned.

        The arrays are matched to weights by key at the next ``apply`` (their
        shapes are checked then), so the optimizer of a freshly loaded model
        continues where the saved one stopped.
        """
        owner = f"{type(self).__name__}.set_state"
        if not isinstance(state, dict) or set(state) != {"iterations", "weights"}:
            raise ValueError(f"{owner}: expected a dict with 'iterations' and 'weights', as "
                             f"get_state returns, got {type(state).__name__} "
                             f"{sorted(state) if isinstance(state, dict) else ''}")
        iterations = whole_number(owner, "iterations", state["iterations"], minimum=0)
        weights = state["weights"]
        if not isinstance(weights, dict) or not all(isinstance(slots, dict)
                                                    for slots in weights.values()):
            raise ValueError(f"{owner}: weights must be a dict {{key: {{slot: array}}}}, "
                             f"got {weights!r:.80}")
        arrays = {key: {s: np.array(a) for s, a in slots.items()}
                  for key, slots in weights.items()}
        for key, slots in arrays.items():
            for slot, a in slots.items():
                if a.dtype.kind not in "fiu" or not np.isfinite(a).all():
                    raise ValueError(f"{owner}: slot '{slot}' of '{key}' must hold finite "
                                     f"numbers, got an array of dtype {a.dtype}"
                                     + (" with NaN or infinity" if a.dtype.kind == "f" else ""))
        self.iterations, self.state, self._bound = iterations, arrays, {}

    def get_config(self):
        """The constructor's arguments (``from_config`` makes a new optimizer,
        without state).  The attribute ``learning_rate`` is the rate of the next
        step; the config keeps what was given, a number or a schedule's record."""
        return {**super().get_config(), "learning_rate": serialize(self._learning_rate)}

    def __repr__(self):
        config = {**self.get_config(), "learning_rate": self._learning_rate}
        arguments = ", ".join(f"{k}={v!r}" for k, v in config.items()
                              if k != "name" and v is not None)
        return f"{type(self).__name__}({arguments})"
