"""What the metrics promise their callers: warnings that point at the caller's line and say
what is returned, and column scorers that follow scikit-learn's scorer conventions."""

import os
import warnings

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.metrics import f1_score, mean_squared_error

from sk_prnet.metrics import ConstantInputWarning, kendall_tau, pearson_r, target_scorer


# mutmut's trampolines add stack frames, so the stack level cannot be checked under it
@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ, reason="extra frames under mutmut")
@pytest.mark.parametrize("metric", [pearson_r, kendall_tau])
def test_constant_output_warning_points_at_the_callers_line_and_says_what_it_returns(metric):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = metric(np.arange(6.0), np.ones(6))
    (w,) = caught
    assert issubclass(w.category, ConstantInputWarning)
    assert w.filename == __file__, "the warning must name the user's call, not the package"
    assert value == 0.0 and "returning 0.0" in str(w.message)


def test_target_scorer_follows_the_scorer_sign_convention():
    X = np.zeros((4, 1))
    y = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 1.0], [2.0, 3.0]])
    est = DummyRegressor().fit(X, y)  # predicts the column means: 2 and 2
    expected = mean_squared_error(y[:, 1], np.full(4, 2.0))
    loss = target_scorer(mean_squared_error, 1, greater_is_better=False)
    assert loss(est, X, y) == pytest.approx(-expected)  # losses are negated, as in sklearn
    assert target_scorer(mean_squared_error, 1)(est, X, y) == pytest.approx(expected)


def test_target_scorer_passes_keyword_arguments_to_the_metric():
    from sklearn.dummy import DummyClassifier

    X = np.zeros((6, 1))
    y = np.array([[0, 1], [0, 1], [1, 0], [0, 1], [0, 1], [1, 1]])
    est = DummyClassifier(strategy="constant", constant=[0, 1]).fit(X, y)
    pred = est.predict(X)[:, 0]
    macro = f1_score(y[:, 0], pred, average="macro")
    assert macro != f1_score(y[:, 0], pred)  # the keyword changes the value here
    assert target_scorer(f1_score, 0, average="macro")(est, X, y) == pytest.approx(macro)


@pytest.mark.parametrize("bad", ["y_true", "y_pred"])
def test_bad_values_are_reported_under_the_arguments_name(bad):
    good, nan = [1.0, 2.0, 3.0], [1.0, np.nan, 3.0]
    args = {"y_true": good, "y_pred": good, bad: nan}
    with pytest.raises(ValueError, match=f"Input {bad} contains NaN"):
        pearson_r(**args)


def test_the_constant_output_is_named_in_the_warning():
    t = np.column_stack([np.arange(5.0), np.arange(5.0) ** 2])
    p = np.column_stack([np.arange(5.0) * 2, np.ones(5)])
    with pytest.warns(ConstantInputWarning, match=r"^pearson_r: output 1 of .* returning 0.0"):
        values = pearson_r(t, p, multioutput="raw_values")
    assert values[0] == pytest.approx(1.0) and values[1] == 0.0
    with pytest.warns(ConstantInputWarning, match=r"^kendall_tau: output 1 of"):
        kendall_tau(t, p, multioutput="raw_values")


def test_binary_and_boolean_targets_are_correlated_like_floats():
    from scipy import stats

    truth = np.array([1, 0, 1, 0, 1, 1])  # range exactly 1: not constant
    pred = np.array([0.9, 0.2, 0.7, 0.4, 0.6, 0.8])
    expected = stats.pearsonr(truth.astype(float), pred).statistic
    assert pearson_r(truth, pred) == pytest.approx(expected)
    assert pearson_r(truth.astype(bool), pred) == pytest.approx(expected)
    assert pearson_r(pred, truth.astype(bool)) == pytest.approx(expected)


def test_ccc_of_small_scale_data_and_of_two_constants():
    from sk_prnet.metrics import concordance_correlation_coefficient as ccc

    rng = np.random.default_rng(3)
    t = 0.01 * rng.normal(size=40)  # total variance far below 1
    p = t + 0.005 * rng.normal(size=40) + 0.002
    mt, mp = t.mean(), p.mean()
    hand = 2 * ((t - mt) * (p - mp)).mean() / (t.var() + p.var() + (mt - mp) ** 2)
    assert ccc(t, p) == pytest.approx(hand)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division warning on the way
        assert ccc(np.full(4, 2.0), np.full(4, 2.0)) == 1.0


def test_two_samples_are_enough_and_one_is_refused():
    from sk_prnet.metrics import concordance_correlation_coefficient as ccc

    assert pearson_r([1.0, 2.0], [3.0, 5.0]) == pytest.approx(1.0)
    assert ccc([1.0, 2.0], [1.0, 2.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="At least 2 samples are needed"):
        pearson_r([1.0], [1.0])
