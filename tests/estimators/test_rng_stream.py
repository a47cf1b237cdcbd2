"""alpha = 0 is the plain network's run: the ranking head's init leaves torch's stream alone."""

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.callbacks import Callback
from torch import nn

from sk_prnet import PRNetClassifier, PRNetRegressor


def plain_mlp_run(X, y, random_state, epochs, batch_size, lr=1e-3, momentum=0.9, wd=5e-4):
    """MLP 8-8 + linear output trained with MSE by hand: the estimator's documented recipe
    (torch seeded from random_state, layers built in order, one randperm per epoch)."""
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(
            nn.Linear(X.shape[1], 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1)
        )
        init = [p.detach().clone() for p in net.parameters()]
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
        Xt, yt = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.float32)[:, None]
        for _ in range(epochs):
            perm = torch.randperm(len(Xt))
            for start in range(0, len(Xt), batch_size):
                idx = perm[start : start + batch_size]
                opt.zero_grad()
                loss = ((net(Xt[idx]) - yt[idx]) ** 2).mean()
                loss.backward()
                opt.step()
    return init, list(net.parameters())


class InitialWeights(Callback):
    """Copies the backbone and task head weights when training begins."""

    def on_train_begin(self, net, **kwargs):
        m = net.module_
        self.weights = [p.detach().clone() for p in (*m.backbone.parameters(),
                                                     *m.task_head.parameters())]  # fmt: skip


def test_alpha_zero_is_the_same_run_as_a_plain_network():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)).astype(np.float32)
    y = X[:, 0] - 0.5 * X[:, 1]
    init, final = plain_mlp_run(X, y, random_state=7, epochs=3, batch_size=16)
    first = InitialWeights()
    reg = PRNetRegressor(alpha=0, module__hidden_sizes=(8, 8), max_epochs=3, batch_size=16,
                         device="cpu", random_state=7, callbacks=[first])  # fmt: skip
    reg.fit(X, y)
    for p, q in zip(first.weights, init):  # same initial weights ...
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    mine = [*reg.module_.backbone.parameters(), *reg.module_.task_head.parameters()]
    for p, q in zip(mine, final):  # ... and the same batches (fused vs plain SGD: rounding)
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_warm_start_from_alpha_zero_trains_the_ranking_head():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    ratings = rng.uniform(1, 9, size=40)
    y = (ratings > 5).astype(int)
    clf = PRNetClassifier(alpha=0, max_epochs=2, device="cpu", random_state=0, warm_start=True)
    clf.fit(X, y)
    head0 = [p.detach().clone() for p in clf.module_.pair_head.parameters()]
    clf.set_params(alpha=1.0).fit(X, y, ranking_target=ratings)
    assert any(not torch.equal(p, q) for p, q in zip(head0, clf.module_.pair_head.parameters()))
    assert np.isfinite(clf.history_[-1, "train_loss"])


def test_building_the_module_leaves_torch_global_stream_unchanged_but_for_the_plain_net():
    from sk_prnet.modules import build_prnet

    torch.manual_seed(3)
    build_prnet("mlp", (5,), 2, 2, ranking_hidden=4)
    after_prnet = torch.rand(4)
    torch.manual_seed(3)
    nn.Linear(5, 128), nn.Linear(128, 128), nn.Linear(128, 2)  # backbone + task head only
    torch.testing.assert_close(torch.rand(4), after_prnet)
    # two modules built in a row still get different ranking heads
    torch.manual_seed(3)
    a = build_prnet("mlp", (5,), 2, 1)
    b = build_prnet("mlp", (5,), 2, 1)
    assert not torch.equal(a.pair_head.sides.weight, b.pair_head.sides.weight)
