"""Pair losses are ``rank_criterion`` modules: the defaults, a user's loss, the contract."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sk_prnet import PRNetClassifier, PRNetRegressor, RankNetRegressor
from sk_prnet.modules import (
    IGNORE,
    PairHead,
    PairwiseRankingLoss,
    RankNetLoss,
    pair_codes,
    pair_logits,
    ranking_loss,
)


class PairMarginLoss(nn.Module):
    """The margin loss of docs/extending.md: a hinge on the pair head's higher-minus-lower
    logit (similar pairs pulled to 0), mean over counted pairs and targets."""

    def __init__(self, margin=1.0):
        super().__init__()
        self.margin = margin

    def forward(self, y_pred, codes, weight=None, *, module, pairing="split"):
        projection = y_pred[2] if len(y_pred) > 2 else None
        logits = pair_logits(module.pair_head, y_pred[1], pairing, projection)
        z = logits[..., 2] - logits[..., 0]
        sign = (codes - 1).clamp(-1, 1).to(z.dtype)
        loss = torch.where(sign == 0, z.abs(), (self.margin - sign * z).clamp_min(0))
        counted = codes != IGNORE
        return (loss * counted).sum() / counted.sum()


def _batch(net, X, rank, epsilon):
    """A training batch as the fit loop builds it: module outputs and pair codes."""
    x = torch.as_tensor(X)
    codes = pair_codes(torch.as_tensor(rank, dtype=torch.float64), epsilon, net.pairing)
    return net.module_.forward_with_projection(x), codes


def test_a_user_margin_loss_trains_the_pair_head(eeg_like, fast):
    X, _, ratings, _ = eeg_like
    y = ratings[:, 0]
    reg = PRNetRegressor(
        rank_criterion=PairMarginLoss, rank_criterion__margin=2.0, epsilon=0.5,
        **{**fast, "max_epochs": 15},
    ).fit(X, y)  # fmt: skip
    assert isinstance(reg.rank_criterion_, PairMarginLoss) and reg.rank_criterion_.margin == 2.0
    assert np.isfinite(reg.history[:, "train_loss"]).all()
    # trained with the margin loss only, the pair head orders clearly separated pairs
    a, b = X[:80], X[80:]
    far = np.abs(y[:80] - y[80:]) > 2
    proba = reg.compare(a[far], b[far])
    right = np.where(
        y[:80][far] > y[80:][far], proba[:, 2] > proba[:, 0], proba[:, 0] > proba[:, 2]
    )
    assert right.mean() > 0.8
    # the estimator's loss is the task loss plus alpha times the user's pair loss
    y_pred, codes = _batch(reg, X[:32], y[:32, None], reg.epsilon)
    task = torch.as_tensor(y[:32, None], dtype=torch.float32)
    with torch.no_grad():
        got = reg.get_loss(y_pred, {"task": task, "codes": codes})
        margin = PairMarginLoss(2.0)(y_pred, codes, module=reg.module_)
        want = F.mse_loss(y_pred[0], task) + margin
    torch.testing.assert_close(got, want)
    assert margin > 0
    # pickled with its criterion, and set_params re-initializes the pair loss (skorch)
    assert pickle.loads(pickle.dumps(reg)).rank_criterion_.margin == 2.0
    reg.set_params(rank_criterion__margin=0.25)
    assert reg.rank_criterion_.margin == 0.25


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_per_output_factor_regressors_mean_classifiers_sum(eeg_like, fast, alpha):
    """The pair loss is a mean over outputs; the classifier's loss sums its outputs' losses,
    so its ranking term is ``alpha * n_targets * pair loss``, the regressor's ``alpha * pair
    loss`` (any pair loss, here the user's)."""
    X, y, ratings, _ = eeg_like
    kw = dict(rank_criterion=PairMarginLoss, alpha=alpha, **{**fast, "max_epochs": 1})
    clf = PRNetClassifier(**kw).fit(X, y, ranking_target=ratings)
    reg = PRNetRegressor(**kw).fit(X, ratings)
    for net, targets, dtype, factor in (
        (clf, y, torch.long, 2),  # the classifier sums over its 2 outputs
        (reg, ratings, torch.float32, 1),  # the regressor averages
    ):
        y_pred, codes = _batch(net, X[:32], ratings[:32], net.rank_epsilon_)
        y_task = torch.as_tensor(targets[:32]).to(dtype)
        with torch.no_grad():
            pair = PairMarginLoss()(y_pred, codes, module=net.module_)
            task = net.get_task_loss(y_pred[0], y_task)
            got = net.get_loss(y_pred, {"task": y_task, "codes": codes})
        torch.testing.assert_close(got, task + alpha * factor * pair)


def test_default_pair_losses_are_the_paper_losses():
    torch.manual_seed(0)
    head = PairHead(6, 2, hidden=None)
    emb = torch.randn(10, 6)
    rank = torch.randn(10, 2, dtype=torch.float64)
    for pairing in ("split", "all"):
        codes = pair_codes(rank, 0.3, pairing)
        module = nn.Module()
        module.pair_head = head
        y_pred = (torch.zeros(10, 1), emb, head.sides(emb))
        got = PairwiseRankingLoss()(y_pred, codes, module=module, pairing=pairing)
        assert torch.equal(got, ranking_loss(head, emb, codes, pairing, head.sides(emb)))
        # RankNet: mean binary cross-entropy of s_a - s_b against 1, 0 or 1/2, counted pairs
        scores = torch.randn(10, 2)
        n = 5 if pairing == "split" else 10
        first, second = (scores[:5], scores[5:]) if pairing == "split" else (scores, scores)
        terms = []
        for i in range(n):
            for j in range(n):
                for t in range(2):
                    c = int(codes[i, j, t])
                    if c != IGNORE:
                        logit = first[i, t] - second[j, t]
                        terms.append(
                            F.binary_cross_entropy_with_logits(logit, torch.tensor(c / 2))
                        )
        want = torch.stack(terms).mean()
        torch.testing.assert_close(RankNetLoss()((scores,), codes, pairing=pairing), want)
        plain = RankNetLoss(nn.BCEWithLogitsLoss())((scores,), codes, pairing=pairing)
        torch.testing.assert_close(plain, want)


def test_ranknet_is_the_shared_machinery_with_ranknet_loss(eeg_like, fast):
    X, _, ratings, _ = eeg_like
    net = RankNetRegressor(epsilon=0.5, **fast).fit(X, ratings[:, 0])
    assert type(net.rank_criterion_) is RankNetLoss
    # the pair loss got the estimator's criterion (RankNet's binary cross-entropy)
    assert net.rank_criterion_.criterion is net.criterion_
    assert "alpha" not in net.get_params() and "rank_criterion" in net.get_params()
    for name in ("compare", "rank_scores", "predict_proba", "alpha"):
        assert not hasattr(net, name)

    # a user's pair loss on the scores trains RankNet as well
    class ScoreMargin(nn.Module):
        def forward(self, y_pred, codes, weight=None, *, module, pairing="split"):
            half = y_pred[0].shape[0] // 2
            s = y_pred[0][:half, None, :] - y_pred[0][None, half : 2 * half, :]
            sign = (codes - 1).clamp(-1, 1).to(s.dtype)
            counted = (codes != IGNORE) & (sign != 0)
            return ((1 - sign * s).clamp_min(0) * counted).sum() / counted.sum().clamp_min(1)

    user = RankNetRegressor(rank_criterion=ScoreMargin(), epsilon=0.5, **fast)
    assert user.fit(X, ratings[:, 0]).score(X, ratings[:, 0]) > 0.5


def test_soft_labels_need_the_default_pair_loss(eeg_like, fast):
    X, _, ratings, _ = eeg_like
    net = PRNetRegressor(rank_criterion=PairMarginLoss, rank_labels="soft", **fast)
    with pytest.raises(ValueError, match="rank_labels='soft'.*rank_criterion"):
        net.fit(X, ratings[:, 0])


def test_every_estimator_has_rank_criterion_with_its_default():
    assert PRNetClassifier().get_params()["rank_criterion"] is PairwiseRankingLoss
    assert PRNetRegressor().get_params()["rank_criterion"] is PairwiseRankingLoss
    assert RankNetRegressor().get_params()["rank_criterion"] is RankNetLoss


def test_pair_loss_parameters_change_on_a_fitted_default_estimator(eeg_like):
    """``set_params(rank_criterion__*)`` re-initializes the pair loss also with the default
    ``device="auto"`` (skorch moves it to the device), and the parameter stays "auto"."""
    X, _, ratings, _ = eeg_like
    reg = PRNetRegressor(rank_criterion=PairMarginLoss, max_epochs=1, random_state=0)
    reg.fit(X, ratings[:, 0]).set_params(rank_criterion__margin=3.0, criterion__reduction="sum")
    assert reg.rank_criterion_.margin == 3.0 and reg.criterion_.reduction == "sum"
    assert reg.device == "auto"
    assert np.isfinite(reg.partial_fit(X, ratings[:, 0]).history[-1, "train_loss"])


@pytest.mark.parametrize("cls", [PRNetRegressor, RankNetRegressor])
def test_an_estimator_pickled_before_rank_criterion_continues_training(eeg_like, fast, cls):
    """A pickle of a fitted estimator from before the parameter existed (no
    ``rank_criterion``/``rank_criterion_`` in its state) loads with its default pair loss."""
    X, _, ratings, _ = eeg_like
    net = cls(epsilon=0.5, **{**fast, "max_epochs": 1}).fit(X, ratings[:, 0])
    del net.rank_criterion_  # skorch's __delattr__ also unregisters the component
    del vars(net)["rank_criterion"]
    assert "rank_criterion" not in net.prefixes_ + net._criteria
    old = pickle.loads(pickle.dumps(net))
    assert old.rank_criterion is cls().rank_criterion
    assert type(old.rank_criterion_) is cls().rank_criterion
    assert np.isfinite(old.partial_fit(X, ratings[:, 0]).history[-1, "train_loss"])
