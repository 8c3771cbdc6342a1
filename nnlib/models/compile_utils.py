"""What ``compile`` makes of its arguments: a loss and metrics per output.

Keras's rules (``keras/src/trainers/compile_utils.py``), for a model whose
outputs are named (``model.output_names``):

* ``loss`` is one loss for every output, a list with one per output, or a
  dict keyed by output names (an output left out, or given ``None``, has no
  loss and gets no gradient);
* ``loss_weights`` (a list or dict likewise, or a number for one output)
  weigh them: :math:`L = \\sum_k w_k L_k`, and the backward pass starts each
  output from :math:`\\partial L/\\partial \\hat y_k = w_k\\, \\partial L_k/\\partial \\hat y_k`;
* ``metrics`` is a list for a single output, or, for several, a list with an
  entry per output or a dict keyed by output names (each entry one metric
  or a list of them);
* the logs: ``loss`` (the weighted total), then, when there are several
  losses, ``{output}_loss`` for each (unweighted); metrics are logged by their
  name for one output and as ``{output}_{metric}`` for several.

Keras sorts its logs alphabetically; nnlib keeps them in this order (the
loss first), which is also the order of ``evaluate``'s list.
"""
import inspect
from collections import namedtuple

import numpy as np

from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import registry
from ..checks import closest, real_number


def per_output(spec, names, what, broadcast):
    """``spec`` as a list with one entry per output named ``names``.

    A dict is read by name (missing outputs get ``None``), a list must have
    one entry per output; anything else is ``broadcast`` to every output, or
    is an error.
    """
    if isinstance(spec, dict):
        unknown = [key for key in spec if key not in names]
        if unknown:
            raise ValueError(f"{what}: no output named {unknown}; the outputs are {names}")
        return [spec.get(name) for name in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(names):
            raise ValueError(f"{what}: expected one entry per output {names}, got "
                             f"{len(spec)}: {list(spec)!r}")
        return list(spec)
    if broadcast or len(names) == 1:
        return [spec] * len(names)
    raise ValueError(f"{what}: with several outputs {names}, give a list with one entry "
                     f"per output or a dict keyed by output names, got {spec!r}")


def compile_loss(loss, loss_weights, names):
    """The model's loss: the loss itself for one output without weights, else
    an ``OutputLosses`` with the same ``forward``/``backward`` protocol."""
    if loss is None:
        raise ValueError("compile: give a loss (a name such as 'mse', a Loss, or one per output)")
    given = per_output(loss, names, "loss", broadcast=True)
    resolved = [None if item is None else losses_module.get(item) for item in given]
    if all(item is None for item in resolved):
        raise ValueError(f"compile: every output has None as its loss: {loss!r}")
    weights = [1.0] * len(names) if loss_weights is None else \
        [1.0 if w is None else real_number("compile", f"loss_weights['{name}']", w, low=0)
         for name, w in zip(names, per_output(loss_weights, names, "loss_weights",
                                              broadcast=False))]
    if len(names) == 1 and loss_weights is None:
        return resolved[0]
    return OutputLosses(resolved, weights, names)


OutputLossesCache = namedtuple("OutputLossesCache", ["caches", "output_losses"])


class OutputLosses:
    """The loss of a model with several outputs: :math:`L = \\sum_k w_k L_k(y_k, \\hat y_k)`.

    It follows the protocol of a single loss, so a training loop reads the
    same for one output or several::

        value, cache = loss.forward(y_true, y_pred, sample_weight=None, mask=None)
        d_pred = loss.backward(d_loss, cache)  # a list, one entry per output

    ``y_true``, ``y_pred``, ``mask`` and ``sample_weight`` are lists (or dicts
    keyed by output name); a single ``sample_weight`` array weighs every
    output, as in Keras.  The cache's ``output_losses`` holds the unweighted
    :math:`L_k` under their log names, ``{output}_loss``.
    """

    differentiable = True

    def __init__(self, losses, weights, names):
        self.losses = list(losses)
        self.weights = list(weights)
        self.names = list(names)

    def flat(self, values, what):
        if values is None or not isinstance(values, (list, tuple, dict)):
            return [values] * len(self.names)
        return per_output(values, self.names, what, broadcast=False)

    def forward(self, y_true, y_pred, sample_weight=None, mask=None):
        y_true, y_pred = self.flat(y_true, "y_true"), self.flat(y_pred, "y_pred")
        sample_weights, masks = self.flat(sample_weight, "sample_weight"), self.flat(mask, "mask")
        total, caches, output_losses = 0.0, [], {}
        for loss, weight, name, yt, yp, sw, m in zip(self.losses, self.weights, self.names,
                                                     y_true, y_pred, sample_weights, masks):
            if loss is None:
                caches.append(None)
                continue
            if yt is None:
                raise ValueError(f"OutputLosses: no target (y) for output '{name}'")
            value, cache = loss.forward(yt, yp, sample_weight=sw, mask=m)
            caches.append(cache)
            output_losses[f"{name}_loss"] = float(value)
            total = total + weight * value
        return np.asarray(total), OutputLossesCache(caches, output_losses)

    def backward(self, d_loss, cache):
        return [None if c is None else loss.backward(d_loss * weight, c)
                for loss, weight, c in zip(self.losses, self.weights, cache.caches)]

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        return self.forward(y_true, y_pred, sample_weight, mask)[0]

    def __repr__(self):
        parts = ", ".join(f"{n}: {w:g} * {type(loss).__name__}"
                          for n, w, loss in zip(self.names, self.weights, self.losses) if loss)
        return f"OutputLosses({parts})"


def loss_metric(loss):
    """A loss used as a metric (``metrics=["mae"]``): the mean of its per-sample
    values, smaller being better, as Keras wraps a loss function in a metric."""
    per_sample = type(loss).from_config({**loss.get_config(), "reduction": "none"})
    return metrics_module.MeanMetricWrapper(per_sample, name=loss.name, direction="down")


def make_metric(identifier, y_true, y_pred, loss):
    """A metric from a name or instance; ``"accuracy"`` is resolved from the
    shapes (and the loss), and a string names the metric, as in Keras."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        metric = metrics_module.resolve_accuracy(np.shape(y_true), np.shape(y_pred), loss)
    elif isinstance(identifier, str) and not _registered("metric", identifier) \
            and _registered("loss", identifier):
        metric = loss_metric(losses_module.get(identifier))
    else:
        metric = metrics_module.get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def _registered(kind, name):
    try:
        registry.entry_for(kind, name)
    except ValueError:
        return False
    return True


def check_metric(identifier):
    """Raise at ``compile`` for a metric that could never be made or logged: a
    name that is neither ``"accuracy"`` nor a metric's or a loss's (with the
    closest name), a metric whose result is several numbers (``"f1_score"``
    gives one per class), or something that is neither a name, a ``Metric``
    nor a function."""
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc") or (
                _registered("loss", identifier) and not _registered("metric", identifier)):
            return
        if not _registered("metric", identifier):
            known = ["accuracy", *registry.names("metric"), *registry.names("loss")]
            raise ValueError(f"compile: unknown metric {identifier!r}"
                             f"{closest(identifier, known)}; metrics are "
                             f"{registry.names('metric')}, and any loss "
                             f"({registry.names('loss')}) also serves as a metric")
        try:
            identifier = metrics_module.get(identifier)
        except TypeError:  # a required argument: PrecisionAtRecall's recall
            cls = registry.entry_for("metric", identifier).cls
            raise TypeError(f"compile: the metric {identifier!r} needs arguments; compile an "
                            f"instance, {cls.__name__}{inspect.signature(cls)}") from None
    if isinstance(identifier, metrics_module.Metric):
        if not identifier.reports_one_number():
            raise ValueError(f"compile: {type(identifier).__name__} '{identifier.name}' "
                             f"gives several values (one per threshold or class), but the "
                             f"logs hold one number per metric; compile one metric per "
                             f"threshold (thresholds=0.3, thresholds=0.6...), an average "
                             f"(F1Score(average='macro')), or call it yourself on "
                             f"model.predict's outputs")
    elif not callable(identifier):
        raise TypeError(f"compile: a metric is a name, a Metric or a function "
                        f"f(y_true, y_pred), got {identifier!r}")


class OutputMetrics:
    """The compiled metrics, per output, checked at ``compile`` and made from the
    first batch (whose shapes decide what ``"accuracy"`` means).

    ``metrics`` see the masks only; ``weighted_metrics`` also the sample
    weights given to ``fit`` or ``evaluate``, as in Keras.  A weighted metric
    is logged by its name, or as ``weighted_{name}`` when an unweighted metric
    has that name already."""

    def __init__(self, metrics, names, losses, weighted_metrics=None):
        self.names = list(names)
        self.losses = losses
        self.entries = None  # (output index, metric, log name, weighted), once built
        self.per_output = {False: self.spread(metrics), True: self.spread(weighted_metrics)}
        for groups in self.per_output.values():
            for items in groups:
                for identifier in items:
                    check_metric(identifier)

    def spread(self, metrics):
        """The metrics as a list per output (the rules of the module docstring)."""
        if not metrics:
            return [[] for _ in self.names]
        if len(self.names) == 1:
            per = [metrics[self.names[0]] if isinstance(metrics, dict) else metrics]
        else:
            per = per_output(metrics, self.names, "metrics", broadcast=False)
        return [[] if items is None else list(items) if isinstance(items, (list, tuple))
                else [items] for items in per]

    def build(self, y_true, y_pred):
        self.entries, seen = [], {}
        for weighted in (False, True):
            for k, items in enumerate(self.per_output[weighted]):
                for identifier in items:
                    metric = make_metric(identifier, y_true[k], y_pred[k], self.losses[k])
                    name = self.log_name(k, metric.name)
                    if weighted and name in seen:
                        name = self.log_name(k, f"weighted_{metric.name}")
                    seen[name] = seen.get(name, 0) + 1
                    if seen[name] > 1:
                        name = f"{name}_{seen[name] - 1}"
                    self.entries.append((k, metric, name, weighted))

    def log_name(self, k, name):
        return name if len(self.names) == 1 else f"{self.names[k]}_{name}"

    @property
    def metrics(self):
        return [metric for _, metric, _, _ in self.entries or []]

    def named_metrics(self):
        """``(log name, metric)`` pairs, once the first batch has built them."""
        return [(name, metric) for _, metric, name, _ in self.entries or []]

    def update_state(self, y_true, y_pred, masks, sample_weights):
        """Add a batch (lists, one entry per output); masked positions weigh
        nothing, and the weighted metrics weigh each sample by its weight."""
        if self.entries is None:
            self.build(y_true, y_pred)
        for k, metric, _, weighted in self.entries:
            weights = masked_weights(masks[k], sample_weights[k]) if weighted else masks[k]
            metric.update_state(y_true[k], y_pred[k], sample_weight=weights)

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()

    def result(self):
        return {name: float(metric.result()) for _, metric, name, _ in self.entries or []}


def masked_weights(mask, sample_weight):
    """The weights of a weighted metric: the sample weights ``(samples,)`` times
    the mask ``(samples, steps)``, either of which may be ``None``."""
    if mask is None or sample_weight is None:
        return sample_weight if mask is None else mask
    weights = np.asarray(sample_weight, dtype=np.float64)
    return mask * weights.reshape(weights.shape + (1,) * (np.ndim(mask) - weights.ndim))
