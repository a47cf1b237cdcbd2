"""The ``criterion`` of FisherFeatureSelector: Koelstra et al.'s J(f) vs the weighted score."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sk_prnet.feature_selection import (
    FisherFeatureSelector,
    deap_fisher_criterion,
    fisher_score,
)


def _deap_by_hand(X, y):
    """Mean over class pairs of |mu_a - mu_b| / (var_a + var_b), with explicit loops."""
    X = np.asarray(X, dtype=float)
    y = list(y)
    classes = sorted(set(y))
    scores = []
    for j in range(X.shape[1]):
        stats = {}
        for c in classes:
            vals = [X[i, j] for i in range(len(y)) if y[i] == c]
            mu = sum(vals) / len(vals)
            stats[c] = (mu, sum((v - mu) ** 2 for v in vals) / len(vals))  # ddof=0
        pair_scores = []
        for a, b in itertools.combinations(classes, 2):
            den = stats[a][1] + stats[b][1]
            pair_scores.append(abs(stats[a][0] - stats[b][0]) / den if den > 0 else np.nan)
        scores.append(sum(pair_scores) / len(pair_scores))
    return np.array(scores)


# Six samples of class 0, two of class 1; both features have class means 0 and 2.
#   A: variances 1 (class 0) and 0.25 (class 1)  -> J = 2 / 1.25 = 1.6
#      Fisher: between 6*0.5**2 + 2*1.5**2 = 6, within 6*1 + 2*0.25 = 6.5 -> 0.923
#   B: variances 0.25 and 2.25                    -> J = 2 / 2.5 = 0.8
#      Fisher: between 6, within 6*0.25 + 2*2.25 = 6 -> 1.0
# So J keeps A and the class-size-weighted score keeps B.
_A = [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.5, 2.5]
_B = [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, 0.5, 3.5]
_X = np.column_stack([_A, _B])
_Y = np.array([0] * 6 + [1] * 2)


def test_imbalanced_classes_the_two_criteria_choose_different_features():
    np.testing.assert_allclose(deap_fisher_criterion(_X, _Y), [1.6, 0.8], rtol=1e-12)
    np.testing.assert_allclose(fisher_score(_X, _Y), [6 / 6.5, 1.0], rtol=1e-12)
    deap = FisherFeatureSelector(k=1, criterion="deap").fit(_X, _Y)
    fisher = FisherFeatureSelector(k=1, criterion="fisher").fit(_X, _Y)
    assert deap.get_support(indices=True).tolist() == [0]
    assert fisher.get_support(indices=True).tolist() == [1]
    np.testing.assert_allclose(deap.scores_, [1.6, 0.8], rtol=1e-12)
    np.testing.assert_array_equal(deap.transform(_X), _X[:, [0]])


def test_default_criterion_is_deap():
    assert FisherFeatureSelector().criterion == "deap"
    np.testing.assert_allclose(FisherFeatureSelector(k=1).fit(_X, _Y).scores_, [1.6, 0.8])


def test_three_classes_mean_over_pairs():
    X = np.array([[1.0, 2.0], [2.0, 0.0], [3.0, 4.0], [7.0, 1.0], [8.0, 3.0], [6.0, 5.0],
                  [4.0, 2.0], [5.0, 2.5]])  # fmt: skip
    y = [-1, -1, -1, 0, 0, 0, 1, 1]
    expected = _deap_by_hand(X, y)
    # Feature 0: means 2, 7, 4.5; variances 2/3, 2/3, 0.25.
    f0 = np.mean([5 / (4 / 3), 2.5 / (2 / 3 + 0.25), 2.5 / (2 / 3 + 0.25)])
    assert expected[0] == pytest.approx(f0)
    sel = FisherFeatureSelector(k=1).fit(X, y)
    np.testing.assert_allclose(sel.scores_, expected, rtol=1e-12)


def test_two_outputs_average_the_criterion():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    Y = np.column_stack([rng.integers(0, 2, 30), rng.integers(0, 2, 30)])
    expected = (_deap_by_hand(X, Y[:, 0]) + _deap_by_hand(X, Y[:, 1])) / 2
    np.testing.assert_allclose(FisherFeatureSelector(k=2).fit(X, Y).scores_, expected)


def test_degenerate_features_never_nan():
    X = np.array([[5.0, 1.0, 0.0], [5.0, 1.0, 1.0], [5.0, 2.0, 0.0], [5.0, 2.0, 1.0]])
    scores = deap_fisher_criterion(X, [0, 0, 1, 1])
    assert scores.tolist() == [0.0, np.inf, 0.0]
    # class means of a constant non-representable value may differ by rounding: still 0
    X2 = np.column_stack([np.full(7, 0.1), np.arange(7.0)])
    assert deap_fisher_criterion(X2, [0, 1, 0, 1, 0, 1, 1])[0] == 0.0


@pytest.mark.parametrize("criterion", ["Fisher", "lda", "", None, 1])
def test_unknown_criterion_is_a_clear_value_error(criterion):
    with pytest.raises(ValueError, match="criterion"):
        FisherFeatureSelector(k=1, criterion=criterion).fit(_X, _Y)


def test_feature_names_out_follow_the_criterion():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(_X, columns=["a", "b"])
    deap = FisherFeatureSelector(k=1).fit(df, _Y)
    fisher = FisherFeatureSelector(k=1, criterion="fisher").fit(df, _Y)
    assert deap.get_feature_names_out().tolist() == ["a"]
    assert fisher.get_feature_names_out().tolist() == ["b"]


def _deap_exact(X, y):
    """The criterion in exact rational arithmetic; 0/0 = 0 and x/0 = inf as documented."""
    classes = sorted(set(y))
    scores = []
    for j in range(X.shape[1]):
        stats = []
        for c in classes:
            vals = [Fraction(int(X[i, j])) for i in range(len(y)) if y[i] == c]
            mu = sum(vals) / len(vals)
            stats.append((mu, sum((v - mu) ** 2 for v in vals) / len(vals)))  # ddof=0
        pair_scores = []
        for (mu_a, var_a), (mu_b, var_b) in itertools.combinations(stats, 2):
            num, den = abs(mu_a - mu_b), var_a + var_b
            pair_scores.append(float(num / den) if den else (np.inf if num else 0.0))
        scores.append(np.mean(pair_scores))
    return np.array(scores)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(np.float64, (9, 3), elements=st.integers(-20, 20).map(float)),
    y=st.lists(st.integers(0, 2), min_size=9, max_size=9),
)
def test_matches_exact_hand_computation(X, y):
    assume(len(set(y)) >= 2)
    expected = _deap_exact(X, y)
    got = deap_fisher_criterion(X, np.array(y))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-9, atol=1e-12)
