"""Tests of the Fisher-score feature selector."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_prnet.feature_selection import FisherFeatureSelector, fisher_score


def _fisher_by_hand(X, y):
    """The formula with explicit loops over features, classes and samples."""
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    scores = []
    for j in range(d):
        mu = sum(X[i, j] for i in range(n)) / n
        num = den = 0.0
        for c in sorted(set(y)):
            vals = [X[i, j] for i in range(n) if y[i] == c]
            mu_c = sum(vals) / len(vals)
            var_c = sum((v - mu_c) ** 2 for v in vals) / len(vals)  # ddof=0
            num += len(vals) * (mu_c - mu) ** 2
            den += len(vals) * var_c
        scores.append(num / den)
    return np.array(scores)


@parametrize_with_checks([FisherFeatureSelector(k=2), FisherFeatureSelector(k=1)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_hand_computed_tiny_dataset():
    X = np.array(
        [
            [1.0, 2.0, 0.5],
            [2.0, 0.0, 0.1],
            [3.0, 4.0, 0.3],
            [7.0, 1.0, 0.9],
            [8.0, 3.0, 0.2],
            [6.0, 5.0, 0.4],
            [4.0, 2.0, 0.8],
        ]
    )
    y = [0, 0, 0, 1, 1, 1, 2]
    expected = _fisher_by_hand(X, y)
    np.testing.assert_allclose(fisher_score(X, y), expected, rtol=1e-12)
    selector = FisherFeatureSelector(k=1, criterion="fisher").fit(X, y)
    np.testing.assert_allclose(selector.scores_, expected)
    # Feature 0: mu=31/7, class means 2, 7, 4; within = 3*(2/3) + 3*(2/3) + 0 = 4.
    between = 3 * (2 - 31 / 7) ** 2 + 3 * (7 - 31 / 7) ** 2 + (4 - 31 / 7) ** 2
    assert fisher_score(X, y)[0] == pytest.approx(between / 4.0)


def test_selects_the_k_best_in_column_order():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    noise = rng.normal(size=(100, 6))
    X = noise.copy()
    X[:, 4] += 3 * y  # strongest
    X[:, 1] += 1 * y  # second
    sel = FisherFeatureSelector(k=2).fit(X, y)
    assert sel.get_support(indices=True).tolist() == [1, 4]
    assert np.argmax(sel.scores_) == 4
    np.testing.assert_array_equal(sel.transform(X), X[:, [1, 4]])
    back = sel.inverse_transform(sel.transform(X))
    assert back.shape == X.shape and np.all(back[:, [0, 2, 3, 5]] == 0)


def test_ties_broken_by_lowest_index():
    X = np.tile([[0.0], [1.0], [10.0], [11.0]], (1, 4))  # four identical columns
    sel = FisherFeatureSelector(k=2).fit(X, [0, 0, 1, 1])
    assert sel.get_support(indices=True).tolist() == [0, 1]


def test_degenerate_features_never_nan():
    X = np.array([[5.0, 1.0, 0.0], [5.0, 1.0, 1.0], [5.0, 2.0, 0.0], [5.0, 2.0, 1.0]])
    y = [0, 0, 1, 1]
    scores = fisher_score(X, y)
    assert scores[0] == 0.0  # constant everywhere
    assert scores[1] == np.inf  # constant within classes, separates them
    assert scores[2] == 0.0  # same distribution in both classes
    # Rounding noise of a constant non-representable value must not create a score.
    X2 = np.column_stack([np.full(7, 0.1), np.arange(7.0)])
    assert fisher_score(X2, [0, 1, 0, 1, 0, 1, 1])[0] == 0.0
    sel = FisherFeatureSelector(k=1).fit(X, y)
    assert sel.get_support(indices=True).tolist() == [1]


def test_two_dimensional_y_averages_outputs():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5))
    arousal = (X[:, 0] > 0).astype(int)
    valence = (X[:, 3] + 0.1 * rng.normal(size=60) > 0).astype(int)
    Y = np.column_stack([arousal, valence])
    expected = (fisher_score(X, arousal) + fisher_score(X, valence)) / 2
    sel = FisherFeatureSelector(k=2, criterion="fisher").fit(X, Y)
    np.testing.assert_allclose(sel.scores_, expected)
    assert sel.get_support(indices=True).tolist() == [0, 3]


def test_multiclass_seed_labels():
    rng = np.random.default_rng(2)
    y = np.repeat([-1, 0, 1], 20)
    X = rng.normal(size=(60, 4))
    X[:, 2] += 2 * y
    assert FisherFeatureSelector(k=1).fit(X, y).get_support(indices=True).tolist() == [2]


def test_k_all_and_k_too_large():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 4)), np.repeat([0, 1], 10)
    sel = FisherFeatureSelector(k="all").fit(X, y)
    assert sel.get_support().all() and sel.scores_.shape == (4,)
    with pytest.warns(UserWarning, match="k=10 is greater than n_features=4"):
        sel = FisherFeatureSelector(k=10).fit(X, y)
    assert sel.transform(X).shape == (20, 4)


@pytest.mark.parametrize("k", [0, -1, 1.5, "best"])
def test_invalid_k(k):
    with pytest.raises(ValueError, match="'k' parameter"):
        FisherFeatureSelector(k=k).fit(np.eye(4), [0, 0, 1, 1])


@pytest.mark.parametrize(
    "y", [np.linspace(1, 9, 6), np.column_stack([np.linspace(1, 9, 6), np.linspace(2, 3, 6)])]
)
def test_continuous_y_rejected(y):
    with pytest.raises(ValueError, match="needs class labels.*threshold"):
        FisherFeatureSelector(k=1).fit(np.arange(12.0).reshape(6, 2), y)


def test_single_class_rejected():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="at least 2 classes"):
        FisherFeatureSelector(k=1).fit(X, np.ones(6))
    with pytest.raises(ValueError, match="Output column 1 of y.*at least 2 classes"):
        FisherFeatureSelector(k=1).fit(X, np.column_stack([[0, 1] * 3, np.ones(6, int)]))


def test_non_finite_x_rejected():
    X = np.arange(12.0).reshape(6, 2)
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FisherFeatureSelector(k=1).fit(X, [0, 1] * 3)
    X[2, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        FisherFeatureSelector(k=1).fit(X, [0, 1] * 3)


def test_pandas_feature_names_and_output():
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1], 15)
    df = pd.DataFrame(
        rng.normal(size=(30, 4)), columns=["Fp1_theta", "Fp1_alpha", "Cz_beta", "Oz_gamma"]
    )
    df["Cz_beta"] += 3 * y
    sel = FisherFeatureSelector(k=1).fit(df, y)
    assert sel.feature_names_in_.tolist() == df.columns.tolist()
    assert sel.get_feature_names_out().tolist() == ["Cz_beta"]
    out = sel.set_output(transform="pandas").transform(df)
    assert isinstance(out, pd.DataFrame) and out.columns.tolist() == ["Cz_beta"]
    pd.testing.assert_frame_equal(out, df[["Cz_beta"]])


def test_in_pipeline():
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1], 40)
    X = rng.normal(size=(80, 30))
    X[:, 7] += 2.5 * y
    pipe = make_pipeline(FisherFeatureSelector(k=3), StandardScaler(), LogisticRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = cross_val_score(pipe, X, y, cv=4)
    assert scores.mean() > 0.8
    pipe.fit(X, y)
    assert 7 in pipe[0].get_support(indices=True)
    assert pipe[-1].coef_.shape == (1, 3)


_small_ints = st.integers(-20, 20).map(float)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, (12, 4), elements=_small_ints),
    scale=st.lists(st.sampled_from([-8.0, -2.0, -0.5, 0.25, 1.0, 4.0]), min_size=4, max_size=4),
    shift=st.lists(st.integers(-100, 100).map(float), min_size=4, max_size=4),
)
def test_scores_invariant_to_affine_feature_maps(X, scale, shift):
    y = np.array([0, 1, 2] * 4)
    s0 = fisher_score(X, y)
    s1 = fisher_score(X * np.array(scale) + np.array(shift), y)
    finite = np.isfinite(s0)
    np.testing.assert_array_equal(finite, np.isfinite(s1))
    np.testing.assert_allclose(s1[finite], s0[finite], rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, (10, 5), elements=_small_ints),
    y=arrays(np.int64, 10, elements=st.integers(0, 2)),
    perm=st.permutations(range(10)),
)
def test_selection_invariant_to_sample_permutation(X, y, perm):
    assume(np.unique(y).shape[0] >= 2)
    a = FisherFeatureSelector(k=2).fit(X, y)
    b = FisherFeatureSelector(k=2).fit(X[list(perm)], y[list(perm)])
    assert not np.isnan(a.scores_).any()
    np.testing.assert_allclose(a.scores_, b.scores_, rtol=1e-9)
    ranked = np.sort(a.scores_)[::-1]
    if not np.isclose(ranked[1], ranked[2], rtol=1e-9, atol=1e-12):  # no near-tie at the cut
        np.testing.assert_array_equal(a.get_support(), b.get_support())
