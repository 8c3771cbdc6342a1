"""The threshold explorer: one classifier's scores, the threshold that turns
them into decisions, and what the class prevalence does to the numbers.

A binary classifier gives each sample a score :math:`s \\in (0, 1)`; a
threshold :math:`t` turns it into a decision.  nnlib, like Keras, predicts
positive when the score is strictly above the threshold, :math:`s > t`
(scikit-learn's curves use :math:`s \\ge t`; the difference only matters for
a score equal to the threshold).  Counting the decisions against the true
labels gives the confusion matrix (rows true, columns predicted)::

                     predicted negative   predicted positive
    true negative           TN                   FP
    true positive           FN                   TP

and the rates read from it:

* precision :math:`P = TP / (TP + FP)`: of the samples called positive,
  the share that are;
* recall (true-positive rate) :math:`R = TP / (TP + FN)`: of the
  positives, the share found;
* false-positive rate :math:`FPR = FP / (FP + TN)`: of the negatives, the
  share wrongly called positive;
* :math:`F_1 = 2 P R / (P + R)`, the harmonic mean of precision and recall;
* accuracy :math:`(TP + TN) / (TP + FP + TN + FN)`.

A ratio whose denominator is 0 (no predicted positives, say) is reported as
0, as Keras does.

Raising :math:`t` calls fewer samples positive: the recall and the
false-positive rate fall, the precision usually rises.  The ROC curve
(recall against FPR) and the precision-recall curve show every threshold at
once; the explorer marks the current one on each.

**Prevalence.**  The share of positives, :math:`\\pi`, is a property of the
population, not of the model: a test for a disease meets more sick people in
a hospital than in a screening of everyone.  Weighting each positive sample
by :math:`w_+ = \\frac{\\pi}{1 - \\pi} \\cdot \\frac{n_-}{n_+}` (negatives
weigh 1) turns the held-out samples into a population of prevalence
:math:`\\pi` with the same scores within each class.  Recall and FPR are
rates *within one class*, so the weights cancel in them: the ROC curve does
not move.  Precision mixes the classes, :math:`P = \\frac{\\pi R}{\\pi R +
(1 - \\pi) FPR}`, so it falls with the prevalence, and the precision-recall
curve with it; a classifier that guesses at random has precision
:math:`\\pi` (the dashed "no skill" line).

The data are scikit-learn's bundled data sets: the Wisconsin breast-cancer
measurements (malignant tumours positive, 37% of the samples) and the
handwritten digits, one digit against the other nine (about 10% positive),
each scored by a logistic regression trained with nnlib.
"""
from dataclasses import dataclass, field

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential
from ..backend import floatx_scope
from ..checks import real_number, whole_number
from ..layers import Dense
from ..metrics.confusion import confusion_matrix, f_beta, ratio
from ..metrics.curves import average_precision, precision_recall_curve, roc_auc, roc_curve
from ..optimizers import Adam
from ..utils import set_random_seed
from .controls import style_controls

EPOCHS = 50  # held-out accuracy 0.947 to 0.971 over seeds 0-4 on the breast-cancer data
BATCH_SIZE = 32
BREAST_CANCER = "breast cancer (malignant)"
DIGIT_AGAINST_REST = "digit {} against the rest"
PER = 1000  # reweighted counts are shown per 1,000 samples


@dataclass
class Scores:
    """A classifier's held-out scores: ``labels`` (int, 1 positive, 0 negative)
    and ``scores`` (float64, the predicted probability of the positive class),
    one per sample, and the data's ``name``."""

    labels: np.ndarray
    scores: np.ndarray
    name: str

    @property
    def prevalence(self):
        """The share of positives among the samples."""
        return float(np.mean(self.labels))


def logistic_scores(x, labels, name, seed=0, test_size=0.3, epochs=EPOCHS):
    """Held-out ``Scores`` of a logistic regression on ``(x, labels)``.

    The samples are split in two with the classes in the same proportions
    (stratified; ``seed`` chooses the cut), the features standardized with
    the training part's mean and standard deviation (a feature constant in
    the training part is only centred), and ``Input -> Dense(1, sigmoid)``
    trained on the training part with ``Adam(0.01)`` and the binary
    cross-entropy, ``epochs`` epochs of batches of 32, seeded with ``seed``.

    The model computes in float64 (``floatx_scope``): an unregularized
    logistic regression on nearly separable data reaches logits above 17,
    where float32's sigmoid rounds to exactly 1, and a dozen malignant
    tumours would tie at the top score; float64 rounds only above 37, so
    the scores are (nearly always) distinct and inside (0, 1).
    """
    from sklearn.model_selection import train_test_split
    seed = whole_number("logistic_scores", "seed", seed, minimum=0)
    test_size = real_number("logistic_scores", "test_size", test_size, 0.0, 1.0,
                            low_open=True, high_open=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, labels, test_size=test_size, stratify=labels, random_state=seed)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    set_random_seed(seed)
    with floatx_scope("float64"):
        model = Sequential([Input((x.shape[1],)), Dense(1, activation="sigmoid")])
        model.compile(optimizer=Adam(0.01), loss="binary_crossentropy")
        model.fit(x_train, y_train.astype("float64"), epochs=epochs, batch_size=BATCH_SIZE,
                  verbose=0)
        scores = model.predict(x_test)[:, 0]
    return Scores(y_test.astype(np.int64), scores, name)


def breast_cancer_scores(seed=0, test_size=0.3):
    """Scikit-learn's breast-cancer data (569 tumours, 30 measurements each),
    **malignant as the positive class** (label ``1 - target``: 212 malignant,
    357 benign), scored by a logistic regression (``logistic_scores``) on
    the held-out ``test_size`` (171 tumours with the defaults, 64 malignant).
    """
    from sklearn.datasets import load_breast_cancer  # the book's dependency, not the widgets'
    data = load_breast_cancer()
    return logistic_scores(data.data, 1 - data.target, BREAST_CANCER, seed, test_size)


def digits_one_vs_rest_scores(digit=8, seed=0, test_size=0.3):
    """Scikit-learn's handwritten digits (1,797 images of 8×8 pixels, grey
    levels divided by 16), ``digit`` positive and the nine others negative
    (about 10% positive: an imbalanced problem), scored by a logistic
    regression (``logistic_scores``) on the held-out ``test_size``."""
    from sklearn.datasets import load_digits
    digit = whole_number("digits_one_vs_rest_scores", "digit", digit, minimum=0)
    if digit > 9:
        raise ValueError(f"digits_one_vs_rest_scores: digit must be a whole number from 0 "
                         f"to 9, got {digit}")
    data = load_digits()
    labels = (data.target == digit).astype(np.int64)
    return logistic_scores(data.data / 16.0, labels, DIGIT_AGAINST_REST.format(digit), seed,
                           test_size)


def binary_labels(owner, labels):
    """``labels`` as a flat int array of 0s and 1s holding both classes, or
    ``owner``'s error."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{owner}: labels must be a 1-D array of 0 (negative) and 1 "
                         f"(positive), got {labels.dtype} of shape {labels.shape} with values "
                         f"{np.unique(labels)[:5].tolist()}")
    labels = labels.astype(np.int64)
    if labels.min() == labels.max():
        raise ValueError(f"{owner}: labels must hold both classes, got only "
                         f"{'positives' if labels[0] else 'negatives'} ({labels.size} samples)")
    return labels


def prevalence_weights(labels, prevalence):
    """Sample weights that make the weighted share of positives ``prevalence``:
    negatives weigh 1, positives :math:`w_+ = \\frac{\\pi}{1 - \\pi} \\cdot
    \\frac{n_-}{n_+}`, so that :math:`\\frac{n_+ w_+}{n_+ w_+ + n_-} = \\pi`.

    This is what a different prevalence does to every count: each positive
    stands for :math:`w_+` positives, and the model scores them as it
    scored these (the scores within each class do not change).  The rates
    within one class, recall and false-positive rate, and so the ROC curve,
    do not move; precision and the precision-recall curve, which mix the
    classes, do.  ``prevalence`` must be in (0, 1), and ``labels`` (0 and
    1) must hold both classes.

    >>> prevalence_weights([0, 0, 0, 1], 0.5)
    array([1., 1., 1., 3.])
    """
    labels = binary_labels("prevalence_weights", labels)
    prevalence = real_number("prevalence_weights", "prevalence", prevalence, 0.0, 1.0,
                             low_open=True, high_open=True)
    positives = labels.sum()
    positive_weight = prevalence / (1 - prevalence) * (labels.size - positives) / positives
    return np.where(labels == 1, positive_weight, 1.0)


@dataclass
class OperatingPoint:
    """The decisions at one ``threshold`` (positive if score > threshold), counted
    with ``sample_weight`` (all 1 at the data's own prevalence): the 2×2
    ``matrix`` (rows true [negative, positive], columns predicted), its four
    counts and the rates read from them (0 where undefined)."""

    threshold: float
    prevalence: float
    reweighted: bool  # False: the data's own prevalence, the counts are samples
    sample_weight: np.ndarray = field(repr=False)
    matrix: np.ndarray
    tp: float
    fp: float
    tn: float
    fn: float
    precision: float
    recall: float
    f1: float
    accuracy: float
    fpr: float


def operating_point(labels, scores, threshold, prevalence=None):
    """The classifier's decisions at ``threshold``: a sample is predicted
    positive if its score is strictly above it (:math:`s > t`, nnlib's and
    Keras's rule), counted with ``prevalence_weights(labels, prevalence)``
    (``prevalence=None``: the data's own, every sample weighing 1).

    The counts come from ``nnlib.metrics.confusion_matrix``; precision
    :math:`TP/(TP+FP)`, recall :math:`TP/(TP+FN)`, the false-positive rate
    :math:`FP/(FP+TN)` and the accuracy :math:`(TP+TN)/\\text{total}` from
    the counts, :math:`F_1` from ``f_beta``.  An undefined ratio is 0.

    >>> point = operating_point([0, 0, 1, 1], [0.2, 0.6, 0.4, 0.9], 0.5)
    >>> point.matrix
    array([[1., 1.],
           [1., 1.]])
    >>> point.precision, point.recall, point.fpr
    (0.5, 0.5, 0.5)
    >>> operating_point([0, 0, 1, 1], [0.2, 0.6, 0.4, 0.9], 1.0).precision
    0.0
    """
    owner = "operating_point"
    labels = binary_labels(owner, labels)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != labels.shape or not np.isfinite(scores).all():
        raise ValueError(f"{owner}: scores must be finite numbers, one per label: expected "
                         f"shape {labels.shape}, got {scores.shape}")
    threshold = real_number(owner, "threshold", threshold, 0.0, 1.0)
    reweighted = prevalence is not None
    if reweighted:
        weights = prevalence_weights(labels, prevalence)
    else:
        weights, prevalence = np.ones(labels.size), float(labels.mean())
    predicted = (scores > threshold).astype(np.int64)
    matrix = confusion_matrix(labels, predicted, num_classes=2, sample_weight=weights)
    (tn, fp), (fn, tp) = matrix.tolist()
    precision, recall, fpr = share(tp, fp), share(tp, fn), share(fp, tn)
    return OperatingPoint(threshold, float(prevalence), reweighted, weights, matrix,
                          tp, fp, tn, fn, precision, recall,
                          f1=float(f_beta(precision, recall)),
                          accuracy=(tp + tn) / (tp + fp + tn + fn), fpr=fpr)


def share(part, rest):
    """``part / (part + rest)``, 0 where both are 0 (Keras's rule for an undefined ratio)."""
    return float(ratio(np.float64(part), np.float64(part + rest)))


def draw_confusion(ax, point):
    """The 2×2 matrix as a heat map, each cell's count written in it: samples
    at the data's own prevalence, per 1,000 samples when reweighted."""
    shown = point.matrix * PER / point.matrix.sum() if point.reweighted else point.matrix
    ax.imshow(shown, cmap="Blues", vmin=0, vmax=max(shown.max(), 1e-9))
    for (row, column), value in np.ndenumerate(shown):
        name = (("TN", "FP"), ("FN", "TP"))[row][column]
        ax.text(column, row, f"{name}\n{value:,.0f}" if not point.reweighted or value >= 10
                else f"{name}\n{value:.1f}", ha="center", va="center", fontsize=12,
                color="white" if value > 0.6 * shown.max() else "black")
    ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["negative", "positive"],
           yticklabels=["negative", "positive"], xlabel="predicted", ylabel="true",
           title=f"confusion matrix (per {PER:,} samples)" if point.reweighted
           else f"confusion matrix ({point.matrix.sum():,.0f} samples)")


def draw_roc(ax, labels, scores, point):
    """The ROC curve (recall against false-positive rate at every threshold),
    the diagonal of random guessing, and the operating point."""
    fpr, tpr, _ = roc_curve(labels, scores, sample_weight=point.sample_weight)
    area = float(roc_auc(labels, scores, sample_weight=point.sample_weight))
    ax.plot(fpr, tpr, color="tab:blue", label=f"ROC, area {area:.3f}")
    ax.plot([0, 1], [0, 1], "--", color="tab:gray", lw=0.8, label="random guess")
    ax.plot(point.fpr, point.recall, "o", color="tab:red", label=f"t = {point.threshold:.2f}")
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), xlabel="false-positive rate FP/(FP+TN)",
           ylabel="recall TP/(TP+FN)", title="ROC curve (prevalence does not move it)")
    ax.legend(loc="lower right", fontsize=8)


def draw_precision_recall(ax, labels, scores, point):
    """The precision-recall curve, the no-skill line (precision = prevalence)
    and the operating point."""
    precision, recall, _ = precision_recall_curve(labels, scores,
                                                  sample_weight=point.sample_weight)
    area = float(average_precision(labels, scores, sample_weight=point.sample_weight))
    ax.plot(recall, precision, color="tab:blue", label=f"PR, average precision {area:.3f}")
    ax.axhline(point.prevalence, ls="--", color="tab:gray", lw=0.8,
               label=f"no skill (precision {point.prevalence:.3f})")
    ax.plot(point.recall, point.precision, "o", color="tab:red",
            label=f"t = {point.threshold:.2f}")
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), xlabel="recall TP/(TP+FN)",
           ylabel="precision TP/(TP+FP)", title="precision-recall curve")
    ax.legend(loc="lower left", fontsize=8)


def draw_threshold(labels, scores, point, name=""):
    """One figure of three panels for ``point`` (an ``operating_point`` of
    ``labels`` and ``scores``): the confusion matrix, the ROC curve and the
    precision-recall curve, the curves drawn with the point's weights."""
    figure, (matrix, roc, pr) = plt.subplots(1, 3, figsize=(13, 4))
    draw_confusion(matrix, point)
    draw_roc(roc, labels, scores, point)
    draw_precision_recall(pr, labels, scores, point)
    figure.suptitle(f"{name + ': ' if name else ''}{summary(point)}")
    figure.tight_layout()
    return figure


def summary(point):
    """One line of the operating point's numbers: the figure's title, and the
    text the explorer prints under it (readable without the figure)."""
    own = "" if point.reweighted else " (the data's own)"
    return (f"threshold {point.threshold:.3f}, prevalence {point.prevalence:.3f}{own}: "
            f"precision {point.precision:.3f}, recall {point.recall:.3f}, "
            f"F1 {point.f1:.3f}, accuracy {point.accuracy:.3f}")


@dataclass
class ThresholdResult:
    """What the explorer shows: the data's name, the operating point and the figure."""

    name: str
    point: OperatingPoint
    figure: plt.Figure


def default_datasets():
    """The breast-cancer scores and digit 8 against the rest (about a second)."""
    return {BREAST_CANCER: breast_cancer_scores(),
            DIGIT_AGAINST_REST.format(8): digits_one_vs_rest_scores(8)}


def check_datasets(data):
    """``data`` as ``{label: Scores}``, or ``threshold_explorer``'s error."""
    if not isinstance(data, dict) or not data or not all(
            isinstance(scores, Scores) for scores in data.values()):
        raise TypeError(f"threshold_explorer: data must be a non-empty dict {{label: Scores}}, "
                        f"got {data!r:.80}")
    for label, scores in data.items():
        binary_labels(f"threshold_explorer: data[{label!r}]", scores.labels)
    return data


def own_prevalence(scores):
    """The data's own prevalence as the prevalence slider shows it (2 decimals)."""
    return round(scores.prevalence, 2)


def threshold_explorer(data=None):
    """A data set, the threshold and the prevalence over ``draw_threshold``.

    ``data`` is ``{label: Scores}``; by default the breast-cancer scores and
    digit 8 against the rest, computed when the explorer is made.  The
    prevalence slider starts at the data's own prevalence (to 2 decimals)
    and goes back to it when the data set changes; there the counts are the
    held-out samples themselves (``prevalence=None``), elsewhere the samples
    reweighted to the slider's prevalence, per 1,000.
    """
    datasets = default_datasets() if data is None else check_datasets(data)
    first = next(iter(datasets.values()))
    chooser = ipywidgets.Dropdown(options=list(datasets), description="data")
    threshold = ipywidgets.FloatSlider(0.5, min=0.0, max=1.0, step=0.01,
                                       description="threshold", continuous_update=False)
    prevalence = ipywidgets.FloatSlider(own_prevalence(first), min=0.01, max=0.9, step=0.01,
                                        description="prevalence", continuous_update=False)

    def follow_data(change):
        # Registered before the interactive's own observer, so it runs first: the
        # prevalence moves to the new data's own without the interactive drawing the
        # old data at it; the interactive then draws once, for the data's change.
        prevalence.unobserve(widget.update, names="value")
        prevalence.value = own_prevalence(datasets[change["new"]])
        prevalence.observe(widget.update, names="value")

    chooser.observe(follow_data, names="value")

    def explore(data, threshold, prevalence):
        scores = datasets[data]
        own = round(prevalence, 2) == own_prevalence(scores)
        point = operating_point(scores.labels, scores.scores, threshold,
                                None if own else prevalence)
        figure = draw_threshold(scores.labels, scores.scores, point, data)
        print(summary(point))
        return ThresholdResult(data, point, figure)

    widget = style_controls(ipywidgets.interactive(explore, data=chooser, threshold=threshold,
                                                   prevalence=prevalence), width="520px")
    return widget
