"""The training loss of a 2-output batch is the task loss plus alpha times the ranking loss.

The estimators train on one batch holding every sample (``pairing="all"``: every ordered
pair, so the batch order does not matter) for one SGD step without weight decay; a skorch
callback keeps the initial weights. Then

* the recorded ``train_loss`` is the loss at the initial weights, and
* the step moved the weights by ``-lr`` times its gradient (the first SGD step, momentum
  or not),

both compared with a hand computation in float64 from the paper's definitions: per output
``k`` the task loss (cross-entropy / MSE) and the mean over pairs of the cross-entropy of
the pair head's relation logits ``W [e_i; e_j] + b`` (the unfactorized layer) against
the relation ``higher`` (2) / ``similar`` (1) / ``lower`` (0) with tolerance ``epsilon``
(for a pair head with a hidden layer, ``ReLU`` then the per-target output layer).
Documented reductions over outputs: the classifier sums both terms over outputs; the
regressor averages both (paper eq. 2, issue 12 item 4).
"""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from sk_prnet import PRNetClassifier, PRNetRegressor

ALPHA, EPSILON, LR = 0.7, 0.3, 0.05
N = 10


def _data(kind):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(N, 5)).astype(np.float32)
    # ratings rounded to a 0.25 grid: some pairs are within epsilon ("similar")
    ratings = np.round(rng.uniform(1, 9, size=(N, 2)) * 4) / 4
    if kind == "classifier":
        y = np.stack([ratings[:, 0] > 5, np.digitize(ratings[:, 1], [3.5, 6.5])], axis=1)
        return X, y.astype(np.int64), ratings
    return X, ratings.astype(np.float64), ratings


def _relations(r):
    diff = r[:, None] - r[None, :]
    return np.where(diff > EPSILON, 2, np.where(diff < -EPSILON, 0, 1))


def _hand_loss(module, X, y, ratings, kind, n_classes):
    """The loss of the batch by the paper's definitions, float64, differentiable."""
    task_out, embedding = module(torch.as_tensor(X, dtype=torch.float64))[:2]
    weight, bias = module.pair_head.first_layer()  # W = [W1, W2], b = b1 + b2
    n_targets = y.shape[1]
    task_terms, rank_terms = [], []
    start = 0
    for k in range(n_targets):
        if kind == "classifier":
            logits = task_out[:, start : start + n_classes[k]]
            start += n_classes[k]
            task_terms.append(F.cross_entropy(logits, torch.as_tensor(y[:, k])))
        else:
            target = torch.as_tensor(y[:, k], dtype=torch.float64)
            task_terms.append(((task_out[:, k] - target) ** 2).mean())
        codes = _relations(ratings[:, k])
        pair_losses = []
        for i in range(N):
            for j in range(N):
                if i == j:
                    continue
                pair = torch.cat([embedding[i], embedding[j]])
                logits = (weight @ pair + bias).reshape(n_targets, -1)[k]
                if module.pair_head.hidden:  # 2d -> hidden -> ReLU -> 3, per target
                    head = module.pair_head
                    logits = torch.relu(logits) @ head.out_weight[k] + head.out_bias[k]
                pair_losses.append(-F.log_softmax(logits, dim=0)[codes[i, j]])
        rank_terms.append(torch.stack(pair_losses).mean())
    reduce = torch.sum if kind == "classifier" else torch.mean
    return reduce(torch.stack(task_terms)) + ALPHA * reduce(torch.stack(rank_terms))


class InitialWeights(Callback):
    """Keeps a copy of the module as it is when training begins."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.module = copy.deepcopy(net.module_)


def _fit(kind, hidden=None):
    X, y, ratings = _data(kind)
    initial = InitialWeights()
    common = dict(alpha=ALPHA, epsilon=EPSILON, pairing="all", batch_size=N, max_epochs=1,
                  lr=LR, weight_decay=0.0, random_state=3, device="cpu",
                  callbacks=[initial], module__ranking_hidden=hidden)  # fmt: skip
    if kind == "classifier":
        net = PRNetClassifier(**common).fit(X, y, ranking_target=ratings)
        n_classes = [len(c) for c in net.classes_]
    else:
        net = PRNetRegressor(**common).fit(X, y)  # ranks by the targets themselves
        n_classes = None
    return net, initial.module, (X, y, ratings, kind, n_classes)


def _check(kind, hidden=None):
    moved, initial, args = _fit(kind, hidden)
    module = copy.deepcopy(initial).double().eval()  # the tiny MLP has no dropout
    hand = _hand_loss(module, *args)
    # the loss: recorded by the estimator at the initial weights
    assert moved.history[-1]["train_loss"] == pytest.approx(hand.item(), rel=1e-5)
    # its gradient: the first SGD step
    hand.backward()
    before = dict(initial.named_parameters())
    for name, p in moved.module_.named_parameters():
        step = (before[name].detach().double() - p.detach().double()) / LR
        grad = dict(module.named_parameters())[name].grad
        grad = torch.zeros_like(step) if grad is None else grad
        torch.testing.assert_close(step, grad, rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.parametrize("hidden", [None, 6], ids=["linear-pair-head", "hidden-pair-head"])
def test_classifier_loss_sums_task_and_ranking_losses_over_outputs(hidden):
    _check("classifier", hidden)


def test_regressor_loss_is_mean_mse_plus_alpha_mean_ranking_loss():
    _check("regressor")
