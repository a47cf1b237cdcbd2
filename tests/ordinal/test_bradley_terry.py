"""Bradley-Terry against a reference: known strengths come back, and the reference itself
scores as in a round robin.

Expected values are computed independently: by the model's definition
(``P(i beats j) = sigmoid(theta_i - theta_j)``) and, for the estimator, by a direct
maximum-a-posteriori fit with ``scipy.optimize`` of the likelihood the docs state.
"""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from sk_prnet import PRNetRegressor
from sk_prnet.ordinal import bradley_terry_strengths


def _round_robin_wins(theta):
    W = expit(theta[:, None] - theta[None, :])
    np.fill_diagonal(W, 0.0)
    return W.sum(axis=1)


def test_strengths_against_a_reference_recover_theta_minus_the_reference_mean():
    rng = np.random.default_rng(5)
    theta_ref = rng.normal(0.3, 1.2, size=40)
    theta = rng.normal(-0.2, 1.5, size=15)
    # and two samples far outside the reference (winning or losing almost every game)
    theta = np.append(theta, [theta_ref.max() + 6.0, theta_ref.min() - 6.0])
    # the reference on its own (a round robin), then new samples, each compared once with
    # every reference sample: expected wins, so the MLE is exact up to the weak prior
    ref = bradley_terry_strengths(_round_robin_wins(theta_ref), prior=1e-9, tol=1e-13)
    wins = expit(theta[:, None] - theta_ref[None, :]).sum(axis=1)
    est = bradley_terry_strengths(wins, reference_strengths=ref, prior=1e-9, tol=1e-13)
    np.testing.assert_allclose(est - ref.mean(), theta - theta_ref.mean(), atol=1e-5)
    # two targets at once give the same per target
    both = bradley_terry_strengths(
        np.stack([wins, wins[::-1]], axis=1),
        reference_strengths=np.stack([ref, ref], axis=1), prior=1e-9, tol=1e-13,
    )  # fmt: skip
    np.testing.assert_allclose(both[:, 0], est, atol=1e-8)
    np.testing.assert_allclose(both[:, 1], est[::-1], atol=1e-8)


def _map_against(p_win, theta_ref, prior):
    """MAP log-strength of one sample from its win probabilities against fixed opponents
    (ties counted half), with ``prior`` virtual wins and losses against strength 0."""

    def nll(t):
        t = t[0]
        d = t - theta_ref
        ll = (p_win * log_expit(d) + (1 - p_win) * log_expit(-d)).sum()
        ll += prior * (log_expit(t) + log_expit(-t))
        return -ll

    return minimize(nll, x0=[0.0], method="BFGS", options={"gtol": 1e-12}).x[0]


def _map_round_robin(p_win, prior):
    """MAP log-strengths of a round robin (``p_win[i, j]``, the diagonal ignored)."""
    n = len(p_win)
    off = ~np.eye(n, dtype=bool)

    def nll(t):
        d = t[:, None] - t[None, :]
        ll = (p_win * log_expit(d))[off].sum()
        ll += prior * (log_expit(t) + log_expit(-t)).sum()
        return -ll

    return minimize(nll, x0=np.zeros(n), method="BFGS", options={"gtol": 1e-12}).x


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = X @ np.array([1.0, -0.5, 0.2])
    reg = PRNetRegressor(max_epochs=5, lr=0.02, random_state=0, device="cpu").fit(X, y)
    return reg, X


def _symmetrized_wins(reg, A, B):
    """P(a beats b) from the relation head, both orders averaged, ties counted half."""
    n, m = len(A), len(B)
    fwd = reg.compare(np.repeat(A, m, axis=0), np.tile(B, (n, 1))).reshape(n, m, 3)
    rev = reg.compare(np.tile(B, (n, 1)), np.repeat(A, m, axis=0)).reshape(n, m, 3)
    # compare's columns: P(lower), P(similar), P(higher) of the first sample
    win = fwd[..., 2] + fwd[..., 1] / 2
    win_rev = rev[..., 0] + rev[..., 1] / 2
    return (win + win_rev) / 2


def test_rank_scores_with_a_reference_match_a_direct_likelihood_fit(fitted):
    reg, X = fitted
    query, reference = X[:6], X[20:35]
    scores = reg.rank_scores(query, reference=reference, method="bradley-terry")
    prior = 0.1  # the documented weak prior
    theta_ref = _map_round_robin(_symmetrized_wins(reg, reference, reference), prior)
    p = _symmetrized_wins(reg, query, reference)
    expected = np.array([_map_against(p[i], theta_ref, prior) for i in range(len(query))])
    np.testing.assert_allclose(scores, expected - theta_ref.mean(), atol=2e-4)


def test_scoring_the_reference_against_itself_matches_the_round_robin(fitted):
    reg, X = fitted
    R = X[:25]
    alone = reg.rank_scores(R, method="bradley-terry")
    against_itself = reg.rank_scores(R, reference=R, method="bradley-terry")
    # the self-comparison is a tie (half a win at equal strength): it moves nothing
    np.testing.assert_allclose(against_itself, alone, atol=1e-5)


def test_a_sample_winning_or_losing_every_game_stays_finite_and_ordered():
    """The documented prior keeps perfect separation finite, on the reference's scale."""
    ref = np.linspace(-2.0, 2.0, 9)
    m = len(ref)
    est = bradley_terry_strengths(np.array([m, 0.0, m / 2]), reference_strengths=ref)
    assert np.isfinite(est).all()
    assert est[0] > ref.max() and est[1] < ref.min()
    assert est[2] == pytest.approx(0.0, abs=1e-8)  # half the games against a symmetric field


@pytest.mark.parametrize("wins", [0.8, 1.0])
def test_a_round_robin_of_two_samples_is_the_direct_map_fit(wins):
    # one game: sample 0 wins `wins` of it; prior 0.1 wins and losses against strength 0
    def neg_log_posterior(t):
        d = t[0] - t[1]
        return -(wins * log_expit(d) + (1 - wins) * log_expit(-d)
                 + 0.1 * (log_expit(t) + log_expit(-t)).sum())  # fmt: skip

    direct = minimize(neg_log_posterior, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    got = bradley_terry_strengths([wins, 1 - wins])
    assert got.shape == (2,)
    np.testing.assert_allclose(got, direct, atol=1e-6)
