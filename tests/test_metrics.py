import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score

from sk_prnet.metrics import (
    ConstantInputWarning,
    ccc_scorer,
    concordance_correlation_coefficient,
    kendall_tau,
    kendall_tau_scorer,
    pearson_r,
    pearson_scorer,
)

rng = np.random.default_rng(0)
T = rng.normal(size=(50, 2))
P = T + rng.normal(scale=0.5, size=(50, 2)) + [0.3, -0.2]


def ccc_by_hand(t, p):
    n = len(t)
    mt, mp = sum(t) / n, sum(p) / n
    vt = sum((a - mt) ** 2 for a in t) / n
    vp = sum((b - mp) ** 2 for b in p) / n
    cov = sum((a - mt) * (b - mp) for a, b in zip(t, p)) / n
    return 2 * cov / (vt + vp + (mt - mp) ** 2)


def test_ccc_against_hand_formula():
    raw = concordance_correlation_coefficient(T, P, multioutput="raw_values")
    assert raw.shape == (2,)
    for k in range(2):
        assert raw[k] == pytest.approx(ccc_by_hand(list(T[:, k]), list(P[:, k])), rel=1e-12)
    assert concordance_correlation_coefficient(T, P) == pytest.approx(raw.mean())


def test_correlations_against_scipy():
    r = pearson_r(T, P, multioutput="raw_values")
    tau = kendall_tau(T, P, multioutput="raw_values")
    for k in range(2):
        assert r[k] == pytest.approx(stats.pearsonr(T[:, k], P[:, k]).statistic)
        assert tau[k] == pytest.approx(stats.kendalltau(T[:, k], P[:, k]).statistic)
    assert pearson_r(T[:, 0], P[:, 0]) == pytest.approx(r[0])


def test_ccc_penalizes_bias_where_pearson_does_not():
    t = np.arange(10.0)
    assert pearson_r(t, t + 5) == pytest.approx(1.0)
    assert concordance_correlation_coefficient(t, t + 5) < 0.5


def test_constant_predictions_are_defined_and_warned():
    t = np.arange(5.0)
    with pytest.warns(ConstantInputWarning, match="constant"):
        assert pearson_r(t, np.ones(5)) == 0.0
    with pytest.warns(ConstantInputWarning):
        assert kendall_tau(t, np.ones(5)) == 0.0
    assert concordance_correlation_coefficient(t, np.ones(5)) == 0.0
    assert concordance_correlation_coefficient(np.ones(5), np.ones(5)) == 1.0


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.ones(3), np.ones(4)), "inconsistent numbers of samples"),
        ((np.ones((3, 2)), np.ones((3, 3))), "different numbers of outputs"),
        ((np.ones(1), np.ones(1)), "At least 2 samples"),
        ((np.array([1.0, np.nan]), np.ones(2)), "NaN"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        concordance_correlation_coefficient(*args)
    with pytest.raises(ValueError, match="multioutput"):
        pearson_r(T, P, multioutput="variance_weighted")


def test_scorers_in_cross_validation():
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, 2.0, 0.0] + rng.normal(scale=0.1, size=60)
    for scorer in (ccc_scorer, pearson_scorer, kendall_tau_scorer):
        scores = cross_val_score(LinearRegression(), X, y, cv=3, scoring=scorer)
        assert np.all(scores > 0.9)


@given(
    st.lists(st.integers(-1000, 1000), min_size=3, max_size=30, unique=True),
    st.floats(0.1, 10),
    st.floats(-10, 10),
)
def test_correlations_invariant_to_positive_affine_map(t, a, b):
    # distinct integers: a positive affine map cannot create ties by rounding
    t = np.asarray(t, dtype=np.float64)
    p = np.roll(t, 1)
    assert pearson_r(t, a * p + b) == pytest.approx(pearson_r(t, p), abs=1e-9)
    assert kendall_tau(t, a * p + b) == pytest.approx(kendall_tau(t, p), abs=1e-12)


def test_target_scorer_scores_one_column():
    import pickle

    from sklearn.dummy import DummyClassifier
    from sklearn.metrics import accuracy_score

    from sk_prnet.metrics import target_scorer

    X = np.zeros((6, 1))
    y = np.array([[0, 1], [0, 1], [0, 0], [0, 1], [1, 1], [0, 1]])
    est = DummyClassifier(strategy="most_frequent").fit(X, y)  # predicts [0, 1] everywhere
    assert target_scorer(accuracy_score, 0)(est, X, y) == pytest.approx(5 / 6)
    assert target_scorer(accuracy_score, 1)(est, X, y) == pytest.approx(5 / 6)
    y[:, 1] = 0
    assert pickle.loads(pickle.dumps(target_scorer(accuracy_score, 1)))(est, X, y) == 0.0
