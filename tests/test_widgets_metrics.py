"""The metrics chapter's threshold explorer, driven from Python.

The held-out scores of two logistic regressions (breast cancer, digit 8
against the rest), the prevalence weights, the operating point checked
against scikit-learn, and the explorer's controls."""
import numpy as np
import pytest
from sklearn import metrics as sk

from nnlib.metrics.curves import roc_curve
from nnlib.widgets.threshold_explorer import (BREAST_CANCER, OperatingPoint, Scores,
                                              breast_cancer_scores,
                                              digits_one_vs_rest_scores, operating_point,
                                              prevalence_weights, threshold_explorer)
from widget_testing import control

DIGIT_8 = "digit 8 against the rest"


@pytest.fixture(scope="module")
def cancer():
    return breast_cancer_scores(seed=0)


@pytest.fixture(scope="module")
def eights():
    return digits_one_vs_rest_scores(8, seed=0)


@pytest.fixture(scope="module")
def explorer(cancer, eights):
    return threshold_explorer({BREAST_CANCER: cancer, DIGIT_8: eights})


def accuracy(data, threshold=0.5):
    return float(np.mean((data.scores > threshold) == data.labels))


# -- the scores --------------------------------------------------------------------------------

def test_breast_cancer_scores_hold_out_malignant_as_positive(cancer):
    assert isinstance(cancer, Scores) and cancer.name == BREAST_CANCER
    assert cancer.labels.shape == cancer.scores.shape == (171,)  # 30% of 569
    assert cancer.labels.dtype.kind == "i" and set(np.unique(cancer.labels)) == {0, 1}
    assert cancer.scores.dtype == np.float64
    assert 0 <= cancer.scores.min() and cancer.scores.max() <= 1
    assert len(np.unique(cancer.scores)) == 171  # float64: no ties at a saturated 1.0
    # 212 malignant of 569 (37.3%); stratified, so 64 of the 171 held out.
    assert cancer.labels.sum() == 64 and cancer.prevalence == pytest.approx(212 / 569, abs=0.01)
    # Label 1 is malignant: malignant tumours are the larger ones (mean radius, the
    # first feature), and the model scores them high.
    assert np.mean(cancer.scores[cancer.labels == 1]) > 0.8 > 0.2 > \
        np.mean(cancer.scores[cancer.labels == 0])


def test_breast_cancer_scores_follow_their_seed(cancer):
    np.testing.assert_array_equal(breast_cancer_scores(seed=0).scores, cancer.scores)
    other = breast_cancer_scores(seed=1)
    assert not np.array_equal(other.labels, cancer.labels)
    assert not np.allclose(np.sort(other.scores), np.sort(cancer.scores))


@pytest.mark.parametrize("seed", range(5))
def test_breast_cancer_scores_are_accurate(cancer, seed):
    """Held-out accuracy at 0.5, 50 epochs: 0.947, 0.965, 0.965, 0.971, 0.959
    for seeds 0-4 (0.947 to 0.988 over seeds 0-9); the majority class alone
    gives 0.626."""
    data = cancer if seed == 0 else breast_cancer_scores(seed=seed)
    assert accuracy(data) > 0.94


def test_digit_eight_against_the_rest_is_imbalanced_and_learned(eights):
    """Held-out accuracy at 0.5: 0.965, 0.950, 0.954, 0.959, 0.963 for seeds
    0-4, against 0.904 for calling every image 'not an 8'."""
    assert eights.name == DIGIT_8
    assert eights.labels.shape == (540,) and eights.labels.sum() == 52  # 174 eights of 1,797
    assert 0.08 < eights.prevalence < 0.11
    assert accuracy(eights) > 0.94 > 1 - eights.prevalence
    assert sk.roc_auc_score(eights.labels, eights.scores) > 0.95


def test_the_score_makers_check_their_arguments():
    with pytest.raises(ValueError, match="digits_one_vs_rest_scores: digit must be a whole "
                                         "number from 0 to 9, got 10"):
        digits_one_vs_rest_scores(10)
    with pytest.raises(ValueError, match=r"logistic_scores: test_size must be a finite number "
                                         r"in \(0, 1\), got 1.5"):
        breast_cancer_scores(test_size=1.5)


# -- prevalence weights ------------------------------------------------------------------------

@pytest.mark.parametrize("prevalence", [0.01, 0.1, 0.374, 0.5, 0.9])
def test_prevalence_weights_give_the_requested_share_of_positives(cancer, prevalence):
    weights = prevalence_weights(cancer.labels, prevalence)
    assert np.all(weights[cancer.labels == 0] == 1)
    assert weights[cancer.labels == 1].sum() / weights.sum() == pytest.approx(prevalence)


def test_prevalence_weights_at_the_data_s_own_prevalence_are_ones(cancer):
    np.testing.assert_allclose(prevalence_weights(cancer.labels, 64 / 171), 1.0)


@pytest.mark.parametrize("prevalence", [0, 1, -0.2, 1.5, float("nan")])
def test_prevalence_weights_refuse_a_prevalence_outside_0_1(prevalence):
    with pytest.raises(ValueError, match=r"prevalence_weights: prevalence must be a finite "
                                         r"number in \(0, 1\), got"):
        prevalence_weights([0, 1, 1], prevalence)


def test_prevalence_weights_need_both_classes_of_0_and_1():
    with pytest.raises(ValueError, match="prevalence_weights: labels must hold both classes, "
                                         "got only negatives"):
        prevalence_weights([0, 0, 0], 0.5)
    with pytest.raises(ValueError, match="got only positives"):
        prevalence_weights([1, 1], 0.5)
    with pytest.raises(ValueError, match=r"labels must be a 1-D array of 0 \(negative\) and 1"):
        prevalence_weights([0, 1, 2], 0.5)
    with pytest.raises(TypeError, match="prevalence_weights: prevalence must be a number"):
        prevalence_weights([0, 1], "half")


# -- the operating point -----------------------------------------------------------------------

@pytest.mark.parametrize("prevalence", [None, 0.05, 0.5, 0.9])
@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.5, 0.83, 0.99])
def test_operating_point_agrees_with_scikit_learn(cancer, eights, threshold, prevalence):
    for data in (cancer, eights):
        point = operating_point(data.labels, data.scores, threshold, prevalence)
        assert isinstance(point, OperatingPoint)
        weights = None if prevalence is None else prevalence_weights(data.labels, prevalence)
        predicted = (data.scores > threshold).astype(int)  # strictly above: Keras's rule
        kwargs = dict(sample_weight=weights, zero_division=0)
        np.testing.assert_allclose(point.matrix, sk.confusion_matrix(
            data.labels, predicted, labels=[0, 1], sample_weight=weights))
        assert (point.tn, point.fp, point.fn, point.tp) == tuple(point.matrix.ravel())
        assert point.precision == pytest.approx(sk.precision_score(data.labels, predicted,
                                                                   **kwargs))
        assert point.recall == pytest.approx(sk.recall_score(data.labels, predicted, **kwargs))
        assert point.f1 == pytest.approx(sk.f1_score(data.labels, predicted, **kwargs))
        assert point.accuracy == pytest.approx(sk.accuracy_score(data.labels, predicted,
                                                                 sample_weight=weights))
        assert point.fpr == pytest.approx(point.fp / (point.fp + point.tn))
        expected = data.prevalence if prevalence is None else prevalence
        assert point.prevalence == pytest.approx(expected)
        assert point.reweighted == (prevalence is not None)


def test_a_score_equal_to_the_threshold_is_predicted_negative():
    point = operating_point([0, 1, 1], [0.2, 0.5, 0.7], 0.5)
    assert (point.tp, point.fn) == (1, 1)
    assert point.recall == 0.5


def test_threshold_one_predicts_nothing_positive_and_precision_0(cancer):
    point = operating_point(cancer.labels, cancer.scores, 1.0)
    assert point.tp == point.fp == 0
    assert point.precision == 0 and not np.isnan(point.precision)
    assert point.recall == point.f1 == point.fpr == 0
    assert point.accuracy == pytest.approx(1 - cancer.prevalence)
    at_zero = operating_point(cancer.labels, cancer.scores, 0.0)  # every score is above 0
    assert at_zero.recall == at_zero.fpr == 1 and at_zero.precision == pytest.approx(64 / 171)


def test_prevalence_moves_precision_and_not_the_roc_point(cancer):
    prevalences = [0.01, 0.05, 0.2, 0.374, 0.6, 0.9]
    points = [operating_point(cancer.labels, cancer.scores, 0.3, p) for p in prevalences]
    for point in points:
        assert point.recall == pytest.approx(points[0].recall)
        assert point.fpr == pytest.approx(points[0].fpr)
        # P = pi R / (pi R + (1 - pi) FPR): precision from the ROC point and the prevalence.
        pi = point.prevalence
        assert point.precision == pytest.approx(
            pi * point.recall / (pi * point.recall + (1 - pi) * point.fpr))
    precisions = [point.precision for point in points]
    assert np.all(np.diff(precisions) > 0)
    assert precisions[0] < 0.1 and precisions[-1] > 0.98  # measured: 0.093 and 0.989
    # The whole ROC curve stays; scikit-learn's curve is the same too.
    fpr, tpr, _ = roc_curve(cancer.labels, cancer.scores)
    for prevalence in prevalences:
        weights = prevalence_weights(cancer.labels, prevalence)
        weighted_fpr, weighted_tpr, _ = roc_curve(cancer.labels, cancer.scores, weights)
        np.testing.assert_allclose(weighted_fpr, fpr, atol=1e-12)
        np.testing.assert_allclose(weighted_tpr, tpr, atol=1e-12)
    sk_fpr, sk_tpr, _ = sk.roc_curve(cancer.labels, cancer.scores, drop_intermediate=False)
    np.testing.assert_allclose(sk_fpr, fpr)
    np.testing.assert_allclose(sk_tpr, tpr)


def test_operating_point_checks_its_arguments():
    with pytest.raises(ValueError, match=r"operating_point: threshold must be a finite number "
                                         r"in \[0, 1\], got 1.5"):
        operating_point([0, 1], [0.2, 0.7], 1.5)
    with pytest.raises(ValueError, match=r"operating_point: scores must be finite numbers, "
                                         r"one per label: expected shape \(2,\), got \(3,\)"):
        operating_point([0, 1], [0.2, 0.7, 0.1], 0.5)
    with pytest.raises(ValueError, match="operating_point: labels must hold both classes"):
        operating_point([1, 1], [0.2, 0.7], 0.5)


# -- the explorer ------------------------------------------------------------------------------

def set_controls(widget, **values):
    for description, value in values.items():
        control(widget, description).value = value
    return widget.result


def same_point(point, expected):
    assert point.threshold == expected.threshold and point.reweighted == expected.reweighted
    np.testing.assert_allclose(point.matrix, expected.matrix)
    for name in ("precision", "recall", "f1", "accuracy", "fpr", "prevalence"):
        assert getattr(point, name) == pytest.approx(getattr(expected, name)), name


def test_explorer_first_view(explorer, cancer):
    set_controls(explorer, data=BREAST_CANCER, threshold=0.5, prevalence=0.37)
    result = explorer.result
    assert result.name == BREAST_CANCER
    # At the data's own prevalence (0.374, shown as 0.37) the counts are the samples.
    same_point(result.point, operating_point(cancer.labels, cancer.scores, 0.5))
    assert result.point.matrix.sum() == 171
    figure = result.figure
    assert len(figure.axes) == 3
    title = figure._suptitle.get_text()
    for part in ("threshold 0.500", "prevalence 0.374", f"precision {result.point.precision:.3f}",
                 f"recall {result.point.recall:.3f}", f"F1 {result.point.f1:.3f}",
                 f"accuracy {result.point.accuracy:.3f}"):
        assert part in title
    assert "171 samples" in figure.axes[0].get_title()
    for slider in ("threshold", "prevalence"):
        assert control(explorer, slider).style.description_width == "initial"


@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.77, 1.0])
def test_moving_the_threshold_moves_the_operating_point(explorer, cancer, threshold):
    result = set_controls(explorer, data=BREAST_CANCER, prevalence=0.37, threshold=threshold)
    same_point(result.point, operating_point(cancer.labels, cancer.scores, threshold))
    red = result.figure.axes[1].lines[-1]  # the operating point on the ROC curve
    assert (red.get_xdata()[0], red.get_ydata()[0]) == (result.point.fpr, result.point.recall)


def test_moving_the_prevalence_reweights_the_counts(explorer, cancer):
    result = set_controls(explorer, data=BREAST_CANCER, threshold=0.4, prevalence=0.05)
    same_point(result.point, operating_point(cancer.labels, cancer.scores, 0.4, 0.05))
    assert result.point.reweighted
    assert "per 1,000 samples" in result.figure.axes[0].get_title()
    assert "prevalence 0.050" in result.figure._suptitle.get_text()


def test_switching_the_data_resets_the_prevalence_to_its_own(explorer, eights):
    set_controls(explorer, data=BREAST_CANCER, threshold=0.5, prevalence=0.8)
    drawn, explore = [], explorer.f

    def counting(**kwargs):
        drawn.append(kwargs)
        return explore(**kwargs)
    explorer.f = counting
    try:
        result = set_controls(explorer, data=DIGIT_8)
    finally:
        explorer.f = explore
    # One draw, of the new data at its own prevalence (never at the old data's 0.8).
    assert drawn == [dict(data=DIGIT_8, threshold=0.5, prevalence=0.1)]
    assert result.name == DIGIT_8
    assert control(explorer, "prevalence").value == round(eights.prevalence, 2) == 0.1
    same_point(result.point, operating_point(eights.labels, eights.scores, 0.5))
    assert result.point.matrix.sum() == 540
    set_controls(explorer, prevalence=0.3)
    result = set_controls(explorer, data=BREAST_CANCER)
    assert control(explorer, "prevalence").value == 0.37 and not result.point.reweighted


def test_explorer_checks_its_data():
    with pytest.raises(TypeError, match=r"threshold_explorer: data must be a non-empty dict "
                                        r"\{label: Scores\}"):
        threshold_explorer({"mine": ([0, 1], [0.2, 0.8])})
    with pytest.raises(ValueError, match=r"threshold_explorer: data\['mine'\]: labels must "
                                         r"hold both classes"):
        threshold_explorer({"mine": Scores(np.zeros(3, int), np.zeros(3), "mine")})


def test_the_explorer_prints_the_numbers_it_draws(cancer):
    """The line under the figure (readable without it) is the figure's title."""
    from nnlib.widgets.threshold_explorer import draw_threshold, summary
    point = operating_point(cancer.labels, cancer.scores, 0.3)
    line = summary(point)
    assert line.startswith("threshold 0.300, prevalence 0.374 (the data's own): precision ")
    assert f"recall {point.recall:.3f}" in line and f"F1 {point.f1:.3f}" in line
    figure = draw_threshold(cancer.labels, cancer.scores, point, "tumours")
    assert figure._suptitle.get_text() == f"tumours: {line}"
