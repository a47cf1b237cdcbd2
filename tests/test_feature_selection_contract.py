"""Fisher selection: documented tie-breaking and degenerate columns, and errors that say
what is wrong."""

import numpy as np
import pytest

from sk_prnet.feature_selection import FisherFeatureSelector, fisher_score


def test_ties_keep_the_lowest_column_indices():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    base = rng.normal(size=40) + y  # one informative column...
    X = np.tile(base[:, None], (1, 60))  # ...copied 60 times: 60 exactly tied scores
    X[:, ::7] = rng.normal(size=(40, 9))  # and some noise columns between them
    selector = FisherFeatureSelector(k=25).fit(X, y)
    tied = [j for j in range(60) if j % 7]
    np.testing.assert_array_equal(np.flatnonzero(selector.get_support()), tied[:25])


def test_a_column_constant_within_each_class_is_perfectly_discriminative():
    # 0.1 repeated: its float mean is not exactly 0.1, so a computed variance would be
    # ~1e-35 instead of 0 and the score a large finite number instead of +inf
    y = np.repeat([0, 1], 10)
    X = np.column_stack([np.where(y == 0, 0.1, 0.7), np.arange(20.0), np.full(20, 3.0)])
    scores = fisher_score(X, y)
    assert scores[0] == np.inf and np.isfinite(scores[1]) and scores[2] == 0.0


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros(5), [0, 1, 0, 1, 0], r"X must be 2-D \(n_samples, n_features\), got shape"),
        (np.zeros((5, 3)), [0, 1, 0, 1], "inconsistent numbers of samples: 5 and 4"),
        (np.zeros((4, 3)), [0, 1, np.nan, 1], "Input y contains NaN"),
        (np.zeros((4, 3)), [0, 0, 0, 0], "needs at least 2 classes .* Check that the training"),
    ],
)
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_errors_say_what_is_wrong(X, y, match):
    with pytest.raises(ValueError, match=match):
        fisher_score(X, np.asarray(y))


def test_a_single_label_column_scores_like_the_flat_labels():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], 8)
    X = rng.normal(size=(24, 5)) + y[:, None] * np.array([0.0, 1.0, 0.2, 3.0, 0.0])
    np.testing.assert_array_equal(fisher_score(X, y[:, None]), fisher_score(X, y))
