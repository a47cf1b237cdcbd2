"""The issue-16 study prototypes (benchmarks/study/variants.py) plug into PRNet's training
in the same pair layout as the package: in their limits they reproduce it exactly."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.study.variants import (
    BalancedPRNet,
    RankBlendPRNet,
    SoftLabelPRNet,
    soft_relation_targets,
)
from sk_prnet import PRNetRegressor
from sk_prnet.modules import pair_codes, relation_codes


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype("float32")
    y = X @ np.array([1.0, -0.5, 0.3]) + 0.1 * rng.normal(size=n)
    return X, (y - y.mean()) / y.std()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=1, max_size=20),
    st.floats(0, 1),
)
def test_soft_targets_tend_to_the_hard_relation_codes(diffs, eps):
    d = torch.tensor(diffs, dtype=torch.float64)
    d = d[(d.abs() - eps).abs() > 1e-3]  # away from the boundary itself
    soft = soft_relation_targets(d, eps, tau=1e-5)
    hard = relation_codes(d, torch.zeros_like(d), eps)
    np.testing.assert_allclose(soft.numpy(), torch.eye(3, dtype=torch.float64)[hard].numpy(),
                               atol=1e-6)


def test_soft_targets_split_the_boundary():
    soft = soft_relation_targets(torch.tensor([0.5, -0.5]), 0.5, tau=0.1)
    np.testing.assert_allclose(soft[0].numpy(), [0.0, 0.5, 0.5], atol=1e-4)
    np.testing.assert_allclose(soft[1].numpy(), [0.5, 0.5, 0.0], atol=1e-4)


def test_soft_label_net_with_tiny_tau_trains_like_prnet():
    X, y = _data()
    kw = dict(alpha=1.0, epsilon=0.3, max_epochs=3, lr=0.01, batch_size=16, random_state=0)
    plain = PRNetRegressor(**kw).fit(X, y)
    soft = SoftLabelPRNet(soft_tau=1e-6, **kw).fit(X, y)
    np.testing.assert_allclose(soft.history[:, "train_loss"], plain.history[:, "train_loss"],
                               rtol=1e-5)
    np.testing.assert_allclose(soft.predict(X), plain.predict(X), rtol=1e-4, atol=1e-6)


def test_warmup_of_one_epoch_trains_like_prnet():
    X, y = _data()
    kw = dict(alpha=1.0, max_epochs=3, lr=0.01, batch_size=16, random_state=0)
    plain = PRNetRegressor(**kw).fit(X, y)
    warm = BalancedPRNet(balance="warmup", warmup_epochs=1, **kw).fit(X, y)
    np.testing.assert_allclose(warm.history[:, "train_loss"], plain.history[:, "train_loss"],
                               rtol=1e-5)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_ratio_balance_makes_the_rank_term_alpha_times_the_task_loss(alpha):
    X, y = _data()
    net = BalancedPRNet(balance="ratio", alpha=alpha, max_epochs=1, random_state=0).fit(X, y)
    xb = torch.as_tensor(X[:16])
    tb = torch.as_tensor(y[:16, None], dtype=torch.float32)
    codes = pair_codes(tb.double(), net.rank_epsilon_, "split")
    with torch.no_grad():
        out = net.module_.forward_with_projection(xb)
        task = net.get_task_loss(out[0], tb)
        loss = net.get_loss(out, {"task": tb, "codes": codes}, training=True)
    assert float(loss) == pytest.approx((1 + alpha) * float(task), rel=1e-5)


def test_rank_blend_zero_is_prnet_and_the_ranking_head_predicts():
    X, y = _data(n=120)
    kw = dict(alpha=1.0, max_epochs=15, lr=0.02, random_state=0)
    plain = PRNetRegressor(**kw).fit(X, y)
    blend = RankBlendPRNet(blend=0.0, **kw).fit(X, y)
    np.testing.assert_allclose(blend.predict(X), plain.predict(X))
    ranked = blend.ranking_predict(X)
    assert ranked.min() >= y.min() and ranked.max() <= y.max()  # isotonic map, clipped
    assert np.corrcoef(ranked, y)[0, 1] > 0.5
    blend.blend = 0.5
    np.testing.assert_allclose(blend.predict(X), 0.5 * plain.predict(X) + 0.5 * ranked)


def test_task_validation_loss_leaves_training_unchanged_and_drops_the_rank_term():
    from skorch.dataset import ValidSplit

    from benchmarks.study.variants import TaskValidationPRNet

    X, y = _data(n=80)
    kw = dict(alpha=1.0, max_epochs=2, lr=0.01, batch_size=16, random_state=0,
              train_split=ValidSplit(0.25, random_state=0))
    plain = PRNetRegressor(**kw).fit(X, y)
    task = TaskValidationPRNet(**kw).fit(X, y)
    np.testing.assert_allclose(task.history[:, "train_loss"], plain.history[:, "train_loss"],
                               rtol=1e-5)
    # the plain validation loss adds alpha * L_rank (> 0) to the same task loss
    assert all(t < p for t, p in zip(task.history[:, "valid_loss"],
                                     plain.history[:, "valid_loss"]))
