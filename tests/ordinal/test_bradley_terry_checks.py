"""What `bradley_terry_strengths` accepts and refuses: options, win totals, references.

A Bradley-Terry fit of bad input must fail with a message that says what is wrong, and
input that is right up to rounding (win totals a hair outside [0, n_opponents], one
reference sample, one iteration) must be fitted.
"""

import numpy as np
import pytest
from scipy.special import expit

from sk_prnet.ordinal import bradley_terry_strengths


def _round_robin_totals(theta):
    W = expit(theta[:, None] - theta[None, :])
    np.fill_diagonal(W, 0)
    return W.sum(axis=1)


@pytest.mark.parametrize(
    "option, value",
    [
        ("prior", True), ("prior", 0), ("prior", -0.1), ("prior", "0.1"),
        ("tol", True), ("tol", 0.0), ("tol", None), ("tol", -1e-8),
        ("max_iter", True), ("max_iter", 0), ("max_iter", 1.5), ("max_iter", None),
    ],
)  # fmt: skip
def test_bad_options_are_refused_naming_the_option_and_the_value(option, value):
    with pytest.raises(ValueError, match=rf"{option} must be .*got {value!r}"):
        bradley_terry_strengths(np.array([0.5, 1.0, 1.5]), **{option: value})


def test_the_smallest_valid_options_are_accepted():
    totals = _round_robin_totals(np.array([-1.0, 0.0, 1.0]))
    for kw in ({"max_iter": 1}, {"tol": 1e-300}, {"prior": 1e-6}):
        theta = bradley_terry_strengths(totals, **kw)
        assert np.isfinite(theta).all() and np.all(np.diff(theta) > 0)


def test_win_totals_outside_the_games_played_are_refused():
    # 3 samples in a round robin: 2 games each
    with pytest.raises(ValueError, match=r"\[0, n_opponents=2\]"):
        bradley_terry_strengths(np.array([-0.5, 1.0, 1.5]))
    with pytest.raises(ValueError, match=r"\[0, n_opponents=2\]"):
        bradley_terry_strengths(np.array([0.0, 1.0, 2.5]))
    # against 4 reference samples: 4 games each
    with pytest.raises(ValueError, match=r"\[0, n_opponents=4\]"):
        bradley_terry_strengths(np.array([4.5]), reference_strengths=np.zeros(4))


def test_win_totals_off_by_rounding_are_clipped_into_range():
    # sums of probabilities may land 1e-9 outside [0, n]: fitted as 0 and n
    exact = bradley_terry_strengths(np.array([0.0, 1.0, 2.0]))
    rounded = bradley_terry_strengths(np.array([-1e-9, 1.0, 2.0 + 1e-9]))
    np.testing.assert_allclose(rounded, exact, rtol=1e-9, atol=1e-9)


def test_a_round_robin_with_the_wrong_number_of_opponents_is_explained():
    totals = np.tile(_round_robin_totals(np.array([-1.0, 0.0, 1.0, 2.0]))[:, None], (1, 2))
    with pytest.raises(ValueError, match=r"round robin of 4 samples has n_opponents = 3, got 5"):
        bradley_terry_strengths(totals, n_opponents=5)


def test_reference_strengths_are_checked():
    wins = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match=r"reference_strengths must have shape .*got \(4, 3\)"):
        bradley_terry_strengths(wins, reference_strengths=np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"reference_strengths must have shape"):
        bradley_terry_strengths(wins, reference_strengths=np.empty((0, 2)))
    with pytest.raises(ValueError, match=r"reference_strengths must have shape .*got \(\)"):
        bradley_terry_strengths(np.array([0.5]), reference_strengths=1.0)
    with pytest.raises(ValueError, match="reference_strengths must be finite"):
        bradley_terry_strengths(wins, reference_strengths=np.array([[0.0, np.nan]]))


def test_one_reference_sample_is_enough():
    # one game against a reference of strength r, with w wins: theta solves the 1-D MAP
    # equation w + prior * sigmoid(-theta) = sigmoid(theta - r) + prior * sigmoid(theta)
    r, w, prior = 0.7, 0.8, 0.1
    theta = bradley_terry_strengths(np.array([w]), reference_strengths=np.array([r]))
    t = theta[0]
    np.testing.assert_allclose(
        w + prior * expit(-t), expit(t - r) + prior * expit(t), atol=1e-9
    )
