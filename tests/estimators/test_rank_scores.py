"""Ranking at inference: ``rank_scores`` and the aggregations in ``sk_prnet.ordinal``."""

import numpy as np
import pytest
import torch
from scipy.special import expit
from scipy.stats import kendalltau
from sklearn.exceptions import NotFittedError
from torch.utils._python_dispatch import TorchDispatchMode

from sk_prnet import PRNetClassifier, PRNetRegressor
from sk_prnet.ordinal import borda_scores, bradley_terry_scores, bradley_terry_strengths

METHODS = ("borda", "bradley-terry")


@pytest.fixture(scope="module")
def monotone():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = X @ np.array([1.0, -0.8, 0.5, 0.3, 0.0, 0.0])
    return X, y


@pytest.fixture(scope="module")
def reg(monotone):
    X, y = monotone
    return PRNetRegressor(
        max_epochs=10, lr=0.02, epsilon=0.1, batch_size=32, device="cpu", random_state=0
    ).fit(X, y)


@pytest.fixture(scope="module")
def reg2(monotone):
    X, y = monotone
    Y = np.column_stack([y, X[:, 0]])
    return PRNetRegressor(max_epochs=3, batch_size=32, device="cpu", random_state=0).fit(X, Y)


def _all_pairs(est, X, R):
    """Forward and reversed relation probabilities of every (x_i, r_j), layout (i, j)."""
    n, m = len(X), len(R)
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    fwd = est.compare(X[i.ravel()], R[j.ravel()])
    rev = est.compare(R[j.ravel()], X[i.ravel()])
    return fwd.reshape(n, m, *fwd.shape[1:]), rev.reshape(n, m, *rev.shape[1:])


# ----------------------------------------------------------------------- estimator
@pytest.mark.parametrize("method", METHODS)
def test_ordering_quality_on_a_monotone_target(reg, monotone, method):
    X, y = monotone
    tau = kendalltau(reg.rank_scores(X, method=method), y).statistic
    assert tau > 0.6


@pytest.mark.parametrize("method", METHODS)
def test_held_out_samples_against_a_reference(reg, monotone, method):
    X, y = monotone
    scores = reg.rank_scores(X[:60], reference=X[60:], method=method)
    assert scores.shape == (60,)
    assert kendalltau(scores, y[:60]).statistic > 0.6
    # with a reference, a sample's score does not depend on the other rows scored with it
    np.testing.assert_allclose(
        reg.rank_scores(X[:7], reference=X[60:], method=method), scores[:7], atol=1e-6
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("ref", [False, True])
def test_chunked_equals_unchunked(reg2, monotone, method, ref):
    X, _ = monotone
    R = X[200:] if ref else None
    Xq = X[:200] if ref else X
    small = reg2.rank_scores(Xq, reference=R, method=method, chunk_size=7)
    whole = reg2.rank_scores(Xq, reference=R, method=method, chunk_size=10_000)
    auto = reg2.rank_scores(Xq, reference=R, method=method)
    np.testing.assert_allclose(small, whole, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(auto, whole, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("hidden", [None, 8])
@pytest.mark.parametrize("two_d", [False, True])
def test_borda_equals_ordinal_aggregation_of_compare(monotone, hidden, two_d):
    X, y = monotone
    X = X[:40]
    Y = np.column_stack([y[:40], X[:, 1]]) if two_d else y[:40]
    kw = {} if hidden is None else {"module__ranking_hidden": hidden}
    est = PRNetRegressor(max_epochs=2, device="cpu", random_state=0, **kw).fit(X, Y)
    fwd, rev = _all_pairs(est, X, X)
    expected = borda_scores(fwd, rev, mask=~np.eye(len(X), dtype=bool))
    got = est.rank_scores(X, chunk_size=3)
    assert got.shape == ((40, 2) if two_d else (40,))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    fwd, rev = _all_pairs(est, X[:5], X[5:])
    np.testing.assert_allclose(
        est.rank_scores(X[:5], reference=X[5:]), borda_scores(fwd, rev), atol=1e-5
    )


@pytest.mark.parametrize("method", METHODS)
def test_shapes(reg, reg2, monotone, method):
    X, _ = monotone
    assert reg.rank_scores(X[:10], method=method).shape == (10,)
    assert reg2.rank_scores(X[:10], method=method).shape == (10, 2)
    assert reg2.rank_scores(X[:10], reference=X[:3], method=method).shape == (10, 2)
    assert reg.rank_scores(X[:1], method=method).tolist() == [0.0]  # nothing to compare


def test_bradley_terry_is_centered_and_orders_like_symmetrized_borda(reg2, monotone):
    X, _ = monotone
    bt = reg2.rank_scores(X, method="bradley-terry")
    borda = reg2.rank_scores(X)
    np.testing.assert_allclose(bt.mean(axis=0), 0, atol=1e-9)
    for t in range(2):  # a round robin: BT strengths are monotone in total wins
        order = np.argsort(borda[:, t], kind="stable")
        assert (np.diff(bt[order, t]) >= -1e-9).all()


def test_classifier_ranks_too(monotone):
    X, y = monotone
    clf = PRNetClassifier(max_epochs=10, lr=0.02, batch_size=32, device="cpu", random_state=0)
    clf.fit(X, (y > 0).astype(int), ranking_target=y)
    assert kendalltau(clf.rank_scores(X), y).statistic > 0.6


class _LargestTensor(TorchDispatchMode):
    """Records the largest tensor produced by any torch op."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, tuple | list) else (out,):
            if isinstance(t, torch.Tensor):
                self.largest = max(self.largest, t.numel())
        return out


@pytest.mark.parametrize("method", METHODS)
def test_memory_is_bounded_by_the_chunk(method):
    # d = 128 embeddings; a pair-embedding tensor of n * n_ref * d (or even n * n_ref) floats
    # would break these bounds: the largest tensor must be a chunk or the embeddings.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 5)).astype(np.float32)
    est = PRNetRegressor(max_epochs=1, device="cpu", random_state=0).fit(X, X[:, :2])
    n, d, n_targets, chunk = len(X), 128, 2, 4
    with _LargestTensor() as mode:
        est.rank_scores(X, method=method, chunk_size=chunk)
    bound = max(n * d, chunk * n * n_targets * 3)
    assert mode.largest <= bound < n * n
    assert mode.largest < n * n * d


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "copeland"}, "method must be one of"),
        ({"chunk_size": 0}, "chunk_size must be"),
        ({"chunk_size": 2.5}, "chunk_size must be"),
        ({"chunk_size": True}, "chunk_size must be"),
        ({"reference": np.zeros((3, 4), dtype=np.float32)}, "Invalid reference"),
        ({"reference": np.full((3, 6), np.nan, dtype=np.float32)}, "Invalid reference"),
    ],
)
def test_errors(reg, monotone, kwargs, match):
    X, _ = monotone
    with pytest.raises(ValueError, match=match):
        reg.rank_scores(X[:5], **kwargs)


def test_wrong_X_and_unfitted(reg, monotone):
    with pytest.raises(ValueError, match="features"):
        reg.rank_scores(np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(NotFittedError):
        PRNetRegressor().rank_scores(monotone[0])


# ----------------------------------------------------------------------- ordinal
def _proba_from_strengths(theta, tie=0.5):
    """(lower, similar, higher) of every pair from known strengths (a simple ordinal model)."""
    d = theta[:, None] - theta[None, :]
    higher, lower = expit(d - tie), expit(-d - tie)
    return np.stack([lower, 1 - higher - lower, higher], axis=-1)


def test_borda_and_bradley_terry_recover_known_order():
    rng = np.random.default_rng(1)
    theta = rng.normal(size=50) * 2
    P = _proba_from_strengths(theta)
    mask = ~np.eye(50, dtype=bool)
    assert kendalltau(borda_scores(P, mask=mask), theta).statistic > 0.99
    wins = P[..., 2] + 0.5 * P[..., 1]
    assert kendalltau(bradley_terry_scores(wins), theta).statistic > 0.99


def test_bradley_terry_recovers_strengths_exactly():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=40) * 1.5
    W = expit(theta[:, None] - theta[None, :])
    est = bradley_terry_scores(W, prior=1e-8, tol=1e-12)
    np.testing.assert_allclose(est, theta - theta.mean(), atol=1e-5)
    W3 = np.stack([W, W.T], axis=-1)  # two targets, the second reversed
    est3 = bradley_terry_scores(W3, prior=1e-8, tol=1e-12)
    np.testing.assert_allclose(est3[:, 1], -(theta - theta.mean()), atol=1e-5)


def _dense_newton(totals, prior):
    """Reference: plain Newton with the dense Hessian (round robin + virtual opponent)."""
    n = totals.size
    theta = np.zeros(n)
    for _ in range(100):
        s = expit(theta[:, None] - theta[None, :])
        np.fill_diagonal(s, 0)
        g = totals + prior - s.sum(1) - 2 * prior * expit(theta)
        h = s * (1 - s)
        H = np.diag(h.sum(1) + 2 * prior * expit(theta) * (1 - expit(theta))) - h
        theta += np.linalg.solve(H, g)
        if np.abs(g).max() < 1e-11 * n:
            break
    return theta


@pytest.mark.parametrize("n, spread", [(30, 1.0), (1500, 3.0)])
def test_fast_round_robin_matches_dense_newton(n, spread):
    # n = 1500 takes the Chebyshev-interpolated path, n = 30 the direct one
    rng = np.random.default_rng(3)
    theta = rng.normal(size=n) * spread
    W = expit(theta[:, None] - theta[None, :] + rng.normal(scale=0.5, size=(n, n)))
    W = 0.5 * (W + 1 - W.T)
    np.fill_diagonal(W, 0)
    totals = W.sum(1)
    np.testing.assert_allclose(
        bradley_terry_strengths(totals), _dense_newton(totals, 0.1), atol=1e-7
    )


def test_strengths_against_a_fixed_reference():
    rng = np.random.default_rng(4)
    ref = rng.normal(size=3000) * 2
    q = np.array([-3.0, 0.0, 0.7, 4.0])
    wins = expit(q[:, None] - ref[None, :]).sum(1)
    np.testing.assert_allclose(
        bradley_terry_strengths(wins, reference_strengths=ref, prior=1e-9), q, atol=1e-5
    )


def test_perfect_separation_stays_finite():
    n = 20
    W = np.triu(np.ones((n, n)), 1).T  # i beats every j < i
    scores = bradley_terry_scores(W)
    assert np.isfinite(scores).all() and (np.diff(scores) > 0).all()
    ref = bradley_terry_strengths(np.zeros(1), reference_strengths=np.zeros(5))
    assert np.isfinite(ref).all() and ref[0] < 0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: borda_scores(np.zeros((3, 3, 2))), "lower, similar, higher"),
        (lambda: borda_scores(np.zeros((3, 3, 3)), np.zeros((3, 2, 3))), "shape of proba"),
        (lambda: borda_scores(np.zeros((3, 3, 3)), mask=np.ones(3, bool)), "mask"),
        (lambda: bradley_terry_scores(np.zeros((3, 4))), "shape"),
        (lambda: bradley_terry_scores(np.full((3, 3), 2.0)), r"\[0, 1\]"),
        (lambda: bradley_terry_scores(np.eye(3), prior=0), "prior"),
        (lambda: bradley_terry_scores(np.eye(3), max_iter=0), "max_iter"),
        (lambda: bradley_terry_strengths([1.0, 5.0]), "total_wins must lie"),
        (lambda: bradley_terry_strengths([np.nan, 0.0]), "finite"),
        (lambda: bradley_terry_strengths([1.0], reference_strengths=np.ones((2, 2))), "match"),
        (lambda: bradley_terry_strengths([1.0, 0.0], n_opponents=3), "round robin"),
    ],
)
def test_ordinal_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
