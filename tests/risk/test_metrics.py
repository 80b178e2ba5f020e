"""Evaluation metrics against published worked examples and exact closed forms."""

import math

import numpy as np
import pytest

from caremap.core.errors import InputError
from caremap.risk.metrics import (
    auroc,
    brier,
    calibration,
    evaluate,
    logistic_fit,
    reliability,
    top_share,
)

pytestmark = pytest.mark.spec


def _hanley_mcneil():
    """Hanley and McNeil (1982), Table 1: CT ratings (1-5) of 58 normal and 51 abnormal."""
    normal = [33, 6, 6, 11, 2]
    abnormal = [3, 2, 2, 11, 33]
    y = np.r_[np.zeros(sum(normal)), np.ones(sum(abnormal))]
    s = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    return y, s


def test_auroc_hanley_mcneil_worked_example():
    y, s = _hanley_mcneil()
    # The paper reports A = 0.893 (to three places).
    assert round(auroc(y, s), 3) == 0.893
    # Exact Mann-Whitney value with ties counted one half, worked by hand from the table:
    # pairs (abnormal > normal) + 0.5 * ties over 58 * 51.
    normal = [33, 6, 6, 11, 2]
    abnormal = [3, 2, 2, 11, 33]
    wins = sum(abnormal[i] * sum(normal[:i]) for i in range(5))
    ties = sum(a * n for a, n in zip(abnormal, normal, strict=True))
    assert auroc(y, s) == pytest.approx((wins + 0.5 * ties) / (58 * 51), abs=1e-12)


def test_auroc_agrees_with_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    p = rng.random(2000)
    y = (rng.random(2000) < p).astype(float)
    assert auroc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_calibration_slope_is_the_log_odds_ratio_for_two_predictions():
    # Two predicted risks, so logit(p) takes two values: the logistic MLE reproduces the
    # observed log-odds in each group exactly (Cox 1958), a closed form.
    p = np.r_[np.full(100, 0.2), np.full(100, 0.6)]
    y = np.r_[np.ones(30), np.zeros(70), np.ones(50), np.zeros(50)]
    slope, intercept = calibration(y, p)
    lo = lambda q: math.log(q / (1 - q))  # noqa: E731
    expected_slope = (lo(0.5) - lo(0.3)) / (lo(0.6) - lo(0.2))
    assert slope == pytest.approx(expected_slope, abs=1e-9)
    # Calibration-in-the-large: the single shift a with sum(sigmoid(a + logit p)) = sum(y).
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    assert 100 * s(intercept + lo(0.2)) + 100 * s(intercept + lo(0.6)) == pytest.approx(
        80, abs=1e-9
    )


def test_perfect_predictions_have_slope_one_intercept_zero():
    rng = np.random.default_rng(11)
    p = rng.uniform(0.01, 0.9, 200_000)
    y = (rng.random(p.size) < p).astype(float)
    slope, intercept = calibration(y, p)
    assert slope == pytest.approx(1, abs=0.03)
    assert intercept == pytest.approx(0, abs=0.02)
    # Over-confident predictions (log-odds doubled) have slope about one half.
    z = np.log(p / (1 - p)) * 2
    slope2, _ = calibration(y, 1 / (1 + np.exp(-z)))
    assert slope2 == pytest.approx(0.5, abs=0.02)


def test_logistic_fit_matches_scikit_learn_unpenalised():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    x = rng.normal(size=(3000, 2))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(0.3 + x @ [1.0, -0.5])))).astype(float)
    ours = logistic_fit(np.column_stack([np.ones(3000), x]), y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(x, y)
    assert ours[0] == pytest.approx(ref.intercept_[0], abs=1e-6)
    assert ours[1:] == pytest.approx(ref.coef_[0], abs=1e-6)


def test_brier_worked_example():
    # Brier (1950): forecasts 0.7, 0.3, 0.9 of events that happened, did not, happened.
    assert brier([1, 0, 1], [0.7, 0.3, 0.9]) == pytest.approx((0.09 + 0.09 + 0.01) / 3, abs=1e-15)


def test_top_share_ppv_and_sensitivity():
    score = np.arange(200, 0, -1, dtype=float)  # person 0 highest
    y = np.zeros(200)
    y[[0, 1, 5, 100, 150]] = 1
    ppv, sens, n = top_share(y, score, 0.01)  # ceil(2) = 2 people
    assert (ppv, sens, n) == (1.0, 0.4, 2)
    ppv, sens, n = top_share(y, score, 0.05)  # 10 people, 3 events among them
    assert (ppv, sens, n) == (0.3, 0.6, 10)


def test_reliability_bins_are_equal_sized_and_ordered():
    rng = np.random.default_rng(2)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(float)
    rel = reliability(y, p, bins=10)
    assert [r["people"] for r in rel] == [100] * 10
    means = [r["mean_predicted"] for r in rel]
    assert means == sorted(means)
    assert sum(r["observed"] * r["people"] for r in rel) == pytest.approx(y.sum())


def test_evaluate_flat_names():
    rng = np.random.default_rng(2)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(float)
    flat = evaluate(y, p).flat()
    for k in (
        "auroc",
        "calibration_slope",
        "calibration_intercept",
        "brier",
        "ppv_top_0.5pct",
        "sensitivity_top_5pct",
    ):
        assert k in flat


@pytest.mark.parametrize(
    ("y", "p", "msg"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "0 or 1"),
        ([0, 1], [0.1, float("nan")], "missing"),
        ([0, 1], [0.1], "equal-length"),
        ([], [], "no people"),
        ([1, 1], [0.1, 0.2], "both"),
    ],
)
def test_bad_input_raises_input_error(y, p, msg):
    with pytest.raises(InputError, match=msg):
        auroc(y, p)


def test_ridge_logistic_fit_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(8)
    x = rng.normal(size=(2000, 3))
    y = (rng.random(2000) < 1 / (1 + np.exp(-(x @ [0.8, -0.4, 0.0])))).astype(float)
    ours = logistic_fit(np.column_stack([np.ones(2000), x]), y, l2=1 / 0.01)
    ref = LogisticRegression(C=0.01, tol=1e-12, max_iter=10_000).fit(x, y)
    assert ours[0] == pytest.approx(ref.intercept_[0], abs=1e-6)
    assert ours[1:] == pytest.approx(ref.coef_[0], abs=1e-6)
