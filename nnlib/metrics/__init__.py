"""Metrics: stateful summaries of predictions, as in Keras.

A metric accumulates over batches with ``update_state(y_true, y_pred)``,
reports with ``result()`` and starts again with ``reset_state()``; calling it,
``metric(...)``, is ``update_state(...)`` then ``result()``, whatever
``update_state`` takes (``Mean()(values, sample_weight)``).

A metric is made in two steps.  ``Metric.__init__`` stores the ``name`` and
``dtype`` and makes no state; the ``__init__`` of the class that defines the
state (its ``reset_state``) stores its own arguments first and ends with
``self.reset_state()``.  So ``reset_state`` may read every argument (the
thresholds of a precision curve, say).  ``Mean`` holds the state of the
accuracies; a metric with a state of its own subclasses ``Metric``.

``direction`` says which way is better: ``"up"`` (accuracies), ``"down"``
(errors) or ``None`` (a ``Mean`` of anything).  ``EarlyStopping`` and
``ModelCheckpoint`` read it, through ``model.log_directions()``.

The accuracies here are weighted means of a per-sample score (1 if right,
0 if wrong), so they share one class, ``MeanMetric``; ``MeanMetricWrapper``
makes such a metric of a plain function ``f(y_true, y_pred)``.

Labels must fit the predictions: the same number of samples, and the shape
each metric expects (the error says which metric to use instead).  Keras
broadcasts what does not fit, so that ``Accuracy()([0, 0, 0], np.zeros((3,
3)))`` gives 1.0 there, comparing each label with each of three scores;
nnlib departs from Keras on purpose and refuses.  Sample weights are lined
up with the samples, the first axis, as Keras lines them up.

The metrics by family, one module each: ``base`` (the protocol, ``Mean``,
``MeanMetricWrapper``), ``accuracy``, ``confusion`` (the confusion matrix and
counts, ``Precision``, ``Recall``), ``constrained`` (``PrecisionAtRecall``,
``RecallAtPrecision``), ``fscore`` (``FBetaScore``, ``F1Score``), ``auc``
(``AUC``, Keras's estimate), ``curves`` (the exact ROC and precision-recall
curves, ``roc_auc``, ``average_precision``) and ``regression`` (the mean
errors and ``R2Score``).
"""
import inspect

from .. import registry
from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                       SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                       TopKCategoricalAccuracy, in_top_k, resolve_accuracy)
from .auc import AUC, pr_area
from .curves import average_precision, precision_recall_curve, roc_auc, roc_curve
from .base import (ONE_HOT_FIX, SPARSE_FIX, Mean, MeanMetric, MeanMetricWrapper,
                   Metric, matching, per_sample, per_value, same_rank)
from .confusion import (FalseNegatives, FalsePositives, Precision, Recall,
                        TrueNegatives, TruePositives, confusion_counts, confusion_matrix,
                        f_beta)
from .constrained import PrecisionAtRecall, RecallAtPrecision
from .fscore import F1Score, FBetaScore
from .regression import (MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
                         R2Score, RootMeanSquaredError)


def get(identifier):
    """A metric from a name (``"categorical_accuracy"``), any ``Metric`` instance
    (registered or not), or a plain function ``f(y_true, y_pred)`` of per-sample
    values, which becomes a ``MeanMetricWrapper``."""
    if isinstance(identifier, Metric):
        return identifier
    if callable(identifier) and not inspect.isclass(identifier):
        return MeanMetricWrapper(identifier)
    return registry.get("metric", identifier)
