"""What the ordinal helpers promise callers: which class orders they accept, what their
errors say, and that ``bradley_terry_scores``' defaults give the documented weak-prior MAP."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from sk_prnet.ordinal import borda_scores, bradley_terry_scores, class_ranks, ordinal_relation


def test_class_order_must_be_a_non_empty_flat_sequence():
    for bad in ([], [[0, 1], [2, 3]]):
        with pytest.raises(ValueError, match="class_order must be a non-empty 1-D sequence"):
            class_ranks([0], bad)
    # a single class is a valid (if trivial) order
    np.testing.assert_array_equal(class_ranks([7, 7], [7]), [0, 0])


def test_repeated_classes_are_listed_exactly():
    with pytest.raises(ValueError, match=r"class_order repeats classes \[2, 3\]\.$"):
        class_ranks([1], [1, 2, 2, 3, 3, 3])


@pytest.mark.parametrize(
    "wins, match",
    [
        (np.full((3, 4), 0.5), r"wins must have shape \(n, n\)"),
        (np.full((2, 2, 2, 2), 0.5), r"wins must have shape \(n, n\)"),
        (np.array([[0.5, np.nan], [0.5, 0.5]]), r"wins must hold probabilities in \[0, 1\]"),
        (np.array([[0.5, -0.1], [0.5, 0.5]]), r"wins must hold probabilities in \[0, 1\]"),
        (np.array([[0.5, 1.1], [0.5, 0.5]]), r"wins must hold probabilities in \[0, 1\]"),
    ],
)
def test_bradley_terry_scores_errors_say_what_is_wrong(wins, match):
    with pytest.raises(ValueError, match=match):
        bradley_terry_scores(wins)


def test_bradley_terry_scores_defaults_are_the_documented_weak_prior_map():
    """Defaults: prior 0.1 (virtual win and loss against strength 0), converged tightly."""
    rng = np.random.default_rng(8)
    theta = rng.normal(0, 1.5, size=12)
    W = expit(theta[:, None] - theta[None, :])
    n = len(theta)
    off = ~np.eye(n, dtype=bool)

    def nll(t):  # the symmetrized round robin with the documented prior of 0.1
        d = t[:, None] - t[None, :]
        return -((W * log_expit(d))[off].sum() + 0.1 * (log_expit(t) + log_expit(-t)).sum())

    fit = minimize(nll, np.zeros(n), method="BFGS", options={"gtol": 1e-12}).x
    np.testing.assert_allclose(bradley_terry_scores(W), fit - fit.mean(), atol=1e-6)


def test_class_order_need_not_be_sorted_and_ranks_are_integers():
    ranks = class_ranks(["b", "c", "a", "b"], ["c", "a", "b"])  # c lowest, b highest
    np.testing.assert_array_equal(ranks, [2, 0, 1, 2])
    assert ranks.dtype == np.int64
    np.testing.assert_array_equal(class_ranks([[3, -2], [0, 3]], [3, 0, -2]), [[0, 2], [1, 0]])


def test_labels_missing_from_the_class_order_are_named():
    with pytest.raises(ValueError, match=r"^Labels \[5, 9\] are not in class_order \[1, 2\]"):
        class_ranks([1, 9, 5, 2], [1, 2])


def test_relations_of_unsigned_ratings_do_not_wrap_around():
    from sk_prnet.ordinal import ordinal_relation

    lo, hi = np.array([1, 3], dtype=np.uint8), np.array([3, 1], dtype=np.uint8)
    relation = ordinal_relation(lo, hi, epsilon=0.5)
    np.testing.assert_array_equal(relation, [0, 2])  # 1 < 3 and 3 > 1
    assert relation.dtype == np.int64


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.float32])
def test_borda_of_one_hot_relations_of_any_dtype_is_the_mean_sign(dtype):
    # a hard comparator's one-hot (lower, similar, higher) relations, stored compactly
    y = np.array([3, 1, 2, 2, 0])
    one_hot = np.eye(3, dtype=dtype)[ordinal_relation(y[:, None], y[None, :])]
    expected = np.sign(y[:, None] - y[None, :]).mean(axis=1)
    everyone = np.ones((5, 5), dtype=bool)
    for scores in (borda_scores(one_hot), borda_scores(one_hot, one_hot.transpose(1, 0, 2)),
                   borda_scores(one_hot, mask=everyone)):  # fmt: skip
        assert scores.dtype == np.float64  # as documented, whatever the input's dtype
        np.testing.assert_allclose(scores, expected)


def test_borda_against_a_single_reference_is_that_comparison():
    proba = np.array([[[0.7, 0.2, 0.1]], [[0.1, 0.3, 0.6]]])  # 2 samples, 1 reference
    for mask in (None, [[True], [True]]):
        np.testing.assert_allclose(borda_scores(proba, mask=mask), [0.1 - 0.7, 0.6 - 0.1])


def test_borda_shape_errors_name_the_argument():
    good = np.full((2, 3, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"^proba must have shape \(n, m, 3\)"):
        borda_scores(good[..., :2])
    with pytest.raises(ValueError, match=r"^proba_reversed must have shape \(n, m, 3\)"):
        borda_scores(good, good[..., :2])
