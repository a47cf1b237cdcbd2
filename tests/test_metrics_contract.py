"""What the metrics promise their callers: warnings that point at the caller's line and say
what is returned, and column scorers that follow scikit-learn's scorer conventions."""

import warnings

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.metrics import f1_score, mean_squared_error

from sk_prnet.metrics import ConstantInputWarning, kendall_tau, pearson_r, target_scorer


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
