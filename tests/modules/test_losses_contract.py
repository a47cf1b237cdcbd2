"""The pair losses called directly, against explicit float64 loops over the batch's pairs.

The pair-loss contract (:mod:`sk_prnet.modules.losses`): with ``pairing="split"`` row ``i`` of
the codes is sample ``i`` and column ``j`` is sample ``N // 2 + j``; with ``"all"`` both are
sample indices. Pairs coded ``IGNORE`` (the diagonal, pairs across groups) do not count; the
loss is the mean over the counted pairs and targets, weighted: the sum of ``w_a * w_b * loss``
over the counted ones divided by their number. The estimators call the default
``PairwiseRankingLoss`` through a shortcut, so these direct calls are its forward's own tests.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sk_prnet.modules import IGNORE, PairHead, PairwiseRankingLoss, RankNetLoss, pair_codes
from sk_prnet.modules.losses import unreduced

N_TARGETS = 2


def _pairs(n, pairing):
    """``(row, column, sample a, sample b)`` of every cell of the codes, in their layout."""
    if pairing == "split":
        half = n // 2
        return [(i, j, i, half + j) for i in range(half) for j in range(half)]
    return [(i, j, i, j) for i in range(n) for j in range(n)]


def _batch(pairing, seed=0):
    """Float64 scores, ranks with ties, two groups (so "split" has ignored pairs too) and
    an odd batch (the last sample is left out of "split")."""
    gen = torch.Generator().manual_seed(seed)
    n = 9 if pairing == "split" else 6
    scores = 2 * torch.randn(n, N_TARGETS, dtype=torch.float64, generator=gen)
    rank = torch.randint(0, 4, (n, N_TARGETS), generator=gen).double()
    groups = torch.tensor([0, 0, 1, 0, 1, 0, 0, 1, 0][:n])
    codes = pair_codes(rank, 0.5, pairing, groups)
    counted = codes != IGNORE
    # every kind of pair is present, so no term of the loss can hide
    assert counted.any() and (~counted).any()
    assert {0, 1, 2} <= set(codes[counted].tolist())
    return scores, codes


def _log_sigmoid(x):
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _bce(x, t, pos_weight=1.0):
    return -(pos_weight * t * _log_sigmoid(x) + (1 - t) * _log_sigmoid(-x))


def _sigmoid_mse(x, t):
    return (1 / (1 + math.exp(-x)) - t) ** 2


def _ranknet_by_hand(scores, codes, pairing, loss, weight=None, reduce="mean"):
    """``loss(s_a - s_b, code / 2)`` over the counted pairs and targets, in Python floats."""
    s = scores.tolist()
    total, count = 0.0, 0
    for i, j, a, b in _pairs(len(s), pairing):
        for t in range(codes.shape[-1]):
            code = int(codes[i, j, t])
            if code == IGNORE:
                continue
            w = 1.0
            if weight is not None:
                col = t if weight.shape[1] > 1 else 0
                w = float(weight[a, col]) * float(weight[b, col])
            total += w * loss(s[a][t] - s[b][t], code / 2)
            count += 1
    return total if reduce == "sum" else total / count


class SigmoidMSE(nn.Module):
    """A user's criterion: squared error of ``sigmoid(logit)`` against the soft target."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, targets):
        return F.mse_loss(torch.sigmoid(logits), targets, reduction=self.reduction)


# criteria of RankNetLoss, their per-pair loss and their reduction over the counted pairs:
# None and plain BCE take the masked fast path, the others the criterion's own (general) path
CRITERIA = {
    "default": (lambda: None, _bce, "mean"),
    "bce": (nn.BCEWithLogitsLoss, _bce, "mean"),
    "bce_sum": (lambda: nn.BCEWithLogitsLoss(reduction="sum"), _bce, "sum"),
    "bce_pos_weight": (
        lambda: nn.BCEWithLogitsLoss(pos_weight=torch.tensor(3.0, dtype=torch.float64)),
        lambda x, t: _bce(x, t, pos_weight=3.0),
        "mean",
    ),
    "bce_weight": (
        lambda: nn.BCEWithLogitsLoss(weight=torch.tensor([2.0], dtype=torch.float64)),
        lambda x, t: 2 * _bce(x, t),
        "mean",
    ),
    "sigmoid_mse": (SigmoidMSE, _sigmoid_mse, "mean"),
}


@pytest.mark.parametrize("pairing", ["split", "all"])
@pytest.mark.parametrize("name", list(CRITERIA))
def test_ranknet_loss_is_its_criterion_over_the_counted_pairs(pairing, name):
    make, loss, reduce = CRITERIA[name]
    scores, codes = _batch(pairing)
    want = _ranknet_by_hand(scores, codes, pairing, loss, reduce=reduce)
    # only y_pred[0] (the scores) is read: the embedding next to it changes nothing
    emb = torch.randn(len(scores), 5, dtype=torch.float64)
    got = RankNetLoss(make())((scores, emb), codes, pairing=pairing)
    assert got.shape == () and got.dtype == torch.float64
    torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64))
    # the loss is differentiable in the scores (it trains the network)
    s = scores.clone().requires_grad_()
    RankNetLoss(make())((s,), codes, pairing=pairing).backward()
    assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0


@pytest.mark.parametrize("pairing", ["split", "all"])
@pytest.mark.parametrize("per_target", [False, True])
@pytest.mark.parametrize("name", ["default", "bce", "bce_pos_weight", "sigmoid_mse"])
def test_weighted_ranknet_loss_is_the_mean_of_pair_weight_times_loss(pairing, per_target, name):
    make, loss, _ = CRITERIA[name]
    scores, codes = _batch(pairing)
    gen = torch.Generator().manual_seed(1)
    weight = torch.rand(len(scores), N_TARGETS if per_target else 1, generator=gen) * 2
    weight = weight.double()
    want = _ranknet_by_hand(scores, codes, pairing, loss, weight)
    got = RankNetLoss(make())((scores,), codes, weight, pairing=pairing)
    torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64))
    # unit weights give the unweighted loss
    ones = torch.ones(len(scores), 1, dtype=torch.float64)
    torch.testing.assert_close(
        RankNetLoss(make())((scores,), codes, ones, pairing=pairing),
        RankNetLoss(make())((scores,), codes, pairing=pairing),
    )


def test_ranknet_loss_paths_agree_and_keep_the_scores_dtype():
    """The masked fast path (no criterion, plain BCE), the criterion's own path (a BCE with
    a neutral ``pos_weight``) and the weighted path (unit weights) give one loss; float64
    weights (e.g. from numpy) do not turn a float32 network's loss into float64."""
    scores, codes = _batch("all")
    scores = scores.float()
    losses = [
        RankNetLoss()((scores,), codes, pairing="all"),
        RankNetLoss(nn.BCEWithLogitsLoss())((scores,), codes, pairing="all"),
        RankNetLoss(nn.BCEWithLogitsLoss(pos_weight=torch.tensor(1.0)))(
            (scores,), codes, pairing="all"
        ),
        RankNetLoss()((scores,), codes, torch.ones(len(scores), 1), pairing="all"),
    ]
    want = torch.tensor(_ranknet_by_hand(scores.double(), codes, "all", _bce))
    for got in losses:
        torch.testing.assert_close(got, want.float())
    w64 = torch.full((len(scores), 1), 2.0, dtype=torch.float64)
    for crit in (None, SigmoidMSE()):
        got = RankNetLoss(crit)((scores,), codes, w64, pairing="all")
        assert got.dtype == torch.float32
        unweighted = RankNetLoss(crit)((scores,), codes, pairing="all")
        torch.testing.assert_close(got, 4 * unweighted)  # every pair weighs 2 * 2


@pytest.mark.parametrize("name", ["default", "sigmoid_mse"])
def test_ranknet_loss_pairs_the_batch_halves_by_default(name):
    make, loss, _ = CRITERIA[name]
    scores, codes = _batch("split")
    want = torch.tensor(_ranknet_by_hand(scores, codes, "split", loss), dtype=torch.float64)
    torch.testing.assert_close(RankNetLoss(make())((scores,), codes), want)
    weight = torch.linspace(0.5, 1.5, len(scores), dtype=torch.float64)[:, None]
    want_w = _ranknet_by_hand(scores, codes, "split", loss, weight)
    torch.testing.assert_close(
        RankNetLoss(make())((scores,), codes, weight), torch.tensor(want_w, dtype=torch.float64)
    )


# --- PRNet's pair loss ---------------------------------------------------------------


def _pair_head_loss_by_hand(head, emb, codes, pairing, weight=None):
    """Cross-entropy of the pair head's logits of ``[e_a; e_b]``, from its unfactorized first
    layer ``W [e_a; e_b] + b`` (then ReLU and the per-target second layer if hidden)."""
    w_first, b_first = head.first_layer()
    total, count = 0.0, 0
    for i, j, a, b in _pairs(len(emb), pairing):
        pre = (w_first @ torch.cat([emb[a], emb[b]]) + b_first).reshape(head.n_targets, -1)
        for t in range(head.n_targets):
            code = int(codes[i, j, t])
            if code == IGNORE:
                continue
            logits = pre[t]
            if head.hidden is not None:
                logits = torch.relu(logits) @ head.out_weight[t] + head.out_bias[t]
            logits = logits.tolist()
            log_z = math.log(sum(math.exp(v) for v in logits))
            w = 1.0
            if weight is not None:
                col = t if weight.shape[1] > 1 else 0
                w = float(weight[a, col]) * float(weight[b, col])
            total += w * (log_z - logits[code])
            count += 1
    return total / count


def _prnet_batch(pairing, hidden):
    torch.manual_seed(0)
    head = PairHead(4, N_TARGETS, hidden=hidden).double()
    module = nn.Module()
    module.pair_head = head
    _, codes = _batch(pairing)
    gen = torch.Generator().manual_seed(2)
    n = 9 if pairing == "split" else 6  # as in _batch
    emb = torch.randn(n, 4, dtype=torch.float64, generator=gen)
    task = torch.zeros(len(emb), 1, dtype=torch.float64)
    return module, head, emb, task, codes


@pytest.mark.parametrize("pairing", ["split", "all"])
@pytest.mark.parametrize("hidden", [None, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_pairwise_ranking_loss_is_the_pair_heads_cross_entropy(pairing, hidden, weighted):
    module, head, emb, task, codes = _prnet_batch(pairing, hidden)
    weight = None
    if weighted:
        weight = torch.linspace(0.2, 2.0, len(emb) * N_TARGETS, dtype=torch.float64)
        weight = weight.reshape(len(emb), N_TARGETS)
    with torch.no_grad():
        want = _pair_head_loss_by_hand(head, emb, codes, pairing, weight)
        # the projection y_pred[2] is optional: with it or without it, the same loss
        for y_pred in ((task, emb), (task, emb, head.sides(emb))):
            got = PairwiseRankingLoss()(y_pred, codes, weight, module=module, pairing=pairing)
            assert got.shape == ()
            torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64))


@pytest.mark.parametrize("hidden", [None, 3])
def test_pairwise_ranking_loss_pairs_the_batch_halves_by_default(hidden):
    module, head, emb, task, codes = _prnet_batch("split", hidden)
    with torch.no_grad():
        want = torch.tensor(_pair_head_loss_by_hand(head, emb, codes, "split"))
        for y_pred in ((task, emb), (task, emb, head.sides(emb))):
            torch.testing.assert_close(
                PairwiseRankingLoss()(y_pred, codes, module=module), want.double()
            )


def test_pairwise_ranking_loss_keeps_the_networks_dtype_with_float64_weights():
    module, head, emb, task, codes = _prnet_batch("all", None)
    module.float()
    emb = emb.float()
    w64 = torch.full((len(emb), 1), 2.0, dtype=torch.float64)
    loss = PairwiseRankingLoss()
    with torch.no_grad():
        got = loss((task.float(), emb), codes, w64, module=module, pairing="all")
        unweighted = loss((task.float(), emb), codes, module=module, pairing="all")
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, 4 * unweighted)


# --- unreduced ------------------------------------------------------------------------


def test_unreduced_gives_per_element_losses_and_restores_the_reduction():
    crit = nn.BCEWithLogitsLoss(reduction="sum")
    x = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64)
    t = torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64)
    got = unreduced(crit, x, t)
    want = [_bce(float(a), float(b)) for a, b in zip(x, t)]
    torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64))
    assert crit.reduction == "sum"
    # restored also when the criterion raises (here: mismatched shapes)
    with pytest.raises(ValueError):
        unreduced(crit, torch.zeros(3), torch.zeros(4))
    assert crit.reduction == "sum"


@pytest.mark.parametrize("reduction", ["absent", None])
def test_unreduced_refuses_a_criterion_without_a_reduction_and_says_why(reduction):
    class NoReduction(nn.Module):
        def forward(self, logits, targets):
            return ((logits - targets) ** 2).mean()

    crit = NoReduction()
    if reduction != "absent":
        crit.reduction = reduction
    with pytest.raises(ValueError) as info:
        unreduced(crit, torch.zeros(2), torch.zeros(2))
    message = str(info.value)
    # names the criterion, what it lacks and the way out
    assert "NoReduction" in message and "`reduction`" in message
    assert "without weights" in message.lower()
    # the weighted RankNet loss refuses it the same way
    scores, codes = _batch("split")
    with pytest.raises(ValueError, match="NoReduction"):
        RankNetLoss(crit)((scores,), codes, torch.ones(len(scores), 1, dtype=torch.float64))
