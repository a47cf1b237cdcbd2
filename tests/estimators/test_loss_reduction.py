"""How the losses are reduced over outputs, and their 2-D (deterministic on CUDA) shapes.

The references are written by hand from the module's outputs and parameters with plain torch
ops (explicit pair logits, relation labels by comparison, one cross-entropy per pair and
output), independent of the package's loss code.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sk_prnet import PRNetClassifier, PRNetRegressor
from sk_prnet.modules import pair_codes

EPS = 0.15


@pytest.fixture(autouse=True)
def deterministic():
    """Every test here runs under torch.use_deterministic_algorithms(True)."""
    was = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was)


def hand_codes(r_a, r_b, eps):
    """Relation label of every pair (a, b): 2 if r_a > r_b + eps, 0 if r_a < r_b - eps, else 1."""
    diff = r_a[:, None, :] - r_b[None, :, :]
    return torch.where(diff > eps, 2, torch.where(diff < -eps, 0, 1))


def hand_rank_losses(module, emb, codes):
    """Per-output mean cross-entropy over the split pairs, from the head's own parameters."""
    head = module.pair_head
    m = head.n_targets * 3
    proj = emb @ head.sides.weight.T + head.sides.bias  # [W1 e + b1, W2 e + b2]
    half = emb.shape[0] // 2
    side_a, side_b = proj[:half, :m], proj[half : 2 * half, m:]
    losses = []
    for t in range(head.n_targets):
        per_pair = [
            F.cross_entropy(
                (side_a[a, 3 * t : 3 * t + 3] + side_b[b, 3 * t : 3 * t + 3])[None],
                codes[a, b, t][None],
            )
            for a in range(half)
            for b in range(half)
        ]
        losses.append(torch.stack(per_pair).mean())
    return torch.stack(losses)


def fitted(cls, X, y, **kw):
    est = cls(module__hidden_sizes=(6,), max_epochs=1, batch_size=8, device="cpu",
              random_state=0, **kw)  # fmt: skip
    return est.fit(X, y)


def loss_and_grads(est, x, targets, weight=None):
    if weight is not None:
        targets = {**targets, "weight": weight}
    y_pred = est._training_forward(x, targets)
    loss = est.get_loss(y_pred, targets, X=x, training=True)
    return loss, torch.autograd.grad(loss, list(est.module_.parameters()))


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_regressor_averages_task_and_ranking_losses_over_outputs(alpha):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)) * 0.3
    est = fitted(PRNetRegressor, X, y, alpha=alpha, epsilon=EPS)
    est.module_.double()
    x, yt = torch.as_tensor(X[:8], dtype=torch.float64), torch.as_tensor(y[:8])
    codes = pair_codes(yt, EPS, "split")
    loss, grads = loss_and_grads(est, x, {"task": yt, "codes": codes})

    params = list(est.module_.parameters())
    out, emb = est.module_(x)
    mse_k = ((out - yt) ** 2).mean(0)
    rank_k = hand_rank_losses(est.module_, emb, hand_codes(yt[:4], yt[4:], EPS))
    ref = mse_k.mean() + alpha * rank_k.mean()  # paper eq. 2 and the same reduction
    torch.testing.assert_close(loss, ref, rtol=1e-10, atol=1e-12)
    for g, g_ref in zip(grads, torch.autograd.grad(ref, params)):
        torch.testing.assert_close(g, g_ref, rtol=1e-9, atol=1e-12)


def test_classifier_sums_task_and_ranking_losses_over_outputs():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(16, 3)).astype(np.float32)
    ratings = rng.uniform(1, 9, size=(16, 2))
    y = (ratings > 5).astype(int)
    y[0], y[1] = [0, 1], [1, 0]
    est = fitted(PRNetClassifier, X, y, alpha=0.7, epsilon=0.25)
    est.module_.double()
    x = torch.as_tensor(X[:8], dtype=torch.float64)
    task, r = torch.as_tensor(y[:8]), torch.as_tensor(ratings[:8])
    loss, grads = loss_and_grads(est, x, {"task": task, "codes": pair_codes(r, 0.25)})

    out, emb = est.module_(x)
    ce_k = torch.stack([F.cross_entropy(out[:, 2 * k : 2 * k + 2], task[:, k]) for k in (0, 1)])
    rank_k = hand_rank_losses(est.module_, emb, hand_codes(r[:4], r[4:], 0.25))
    ref = ce_k.sum() + 0.7 * rank_k.sum()
    torch.testing.assert_close(loss, ref, rtol=1e-10, atol=1e-12)
    params = list(est.module_.parameters())
    for g, g_ref in zip(grads, torch.autograd.grad(ref, params)):
        torch.testing.assert_close(g, g_ref, rtol=1e-9, atol=1e-12)


def test_no_nll_loss2d_and_a_fit_runs_under_deterministic_algorithms():
    """nll_loss2d (a 3-D/4-D cross-entropy) is nondeterministic on CUDA and raises under
    torch.use_deterministic_algorithms there; the training losses use 2-D shapes only."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    ratings = rng.uniform(1, 9, size=(40, 2))
    y = (ratings > 5).astype(int)
    clf = PRNetClassifier(max_epochs=2, batch_size=10, device="cpu", random_state=0)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        clf.fit(X, y, ranking_target=ratings)
    names = {e.name for e in prof.events()}
    assert "aten::nll_loss" in names or "aten::nll_loss_forward" in names
    assert not any("nll_loss2d" in name for name in names)
    assert np.isfinite(clf.history_[-1, "train_loss"])
