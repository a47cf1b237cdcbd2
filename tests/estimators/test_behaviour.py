import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone

from sk_prnet import PRNetClassifier, PRNetRegressor


def test_predict_returns_original_labels_and_proba(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    labels = np.where(y[:, 0] == 1, "high", "low")
    clf = PRNetClassifier(**fast).fit(X, labels, ranking_target=ratings[:, 0])
    pred = clf.predict(X)
    assert set(pred) <= {"high", "low"} and pred.shape == (len(X),)
    assert clf.classes_.tolist() == ["high", "low"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(1)])
    assert clf.score(X, labels) > 0.8


def test_multi_output_classifier(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    clf = PRNetClassifier(**fast).fit(X, y, ranking_target=ratings)
    assert clf.predict(X).shape == (len(X), 2)
    assert isinstance(clf.classes_, list) and len(clf.classes_) == 2
    proba = clf.predict_proba(X)
    assert isinstance(proba, list) and [p.shape for p in proba] == [(len(X), 2)] * 2
    assert clf.compare(X[:5], X[5:10]).shape == (5, 2, 3)
    assert clf.module_.pair_head.n_targets == 2
    assert (clf.predict(X) == y).mean() > 0.8


@pytest.mark.parametrize(
    "classes, criterion_kw",
    [
        ((2, 2, 2), {}),  # equal class counts: one joint cross-entropy
        ((2, 2), {"criterion__label_smoothing": 0.1}),
        ((3, 2), {}),  # unequal counts: one cross-entropy per output
        ((2, 2), {"criterion__weight": torch.tensor([1.0, 3.0])}),  # weighted: per output
    ],
)
def test_multi_output_task_loss_is_the_sum_of_per_output_losses(fast, classes, criterion_kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 5)).astype(np.float32)
    y = np.column_stack([np.arange(24) % k for k in classes])
    clf = PRNetClassifier(alpha=0, **criterion_kw, **{**fast, "max_epochs": 1}).fit(X, y)
    logits = torch.randn(24, sum(classes) + 3, dtype=torch.float32)[:, 3:]  # a strided view
    y_task = torch.as_tensor(y)
    loss = clf.get_task_loss(logits, y_task)
    parts = logits.split(list(classes), dim=1)
    ref = sum(clf.criterion_(part, y_task[:, t]) for t, part in enumerate(parts))
    torch.testing.assert_close(loss, ref)


def test_multi_output_regressor_and_1d_shapes(eeg_like, fast):
    X, _, ratings, _ = eeg_like
    reg = PRNetRegressor(**fast).fit(X, ratings[:, 0])
    assert reg.predict(X).shape == (len(X),)
    assert reg.compare(X[:3], X[3:6]).shape == (3, 3)
    reg2 = PRNetRegressor(**fast).fit(X, ratings)
    assert reg2.predict(X).shape == (len(X), 2)
    assert not hasattr(reg2, "predict_proba")


def test_alpha_zero_is_the_baseline(eeg_like, fast):
    """alpha=0: the ranking head is never evaluated, so it cannot change the task at all."""
    X, y, ratings, _ = eeg_like
    from skorch.callbacks import Callback

    class InitialPairHead(Callback):
        def on_train_begin(self, net, **kwargs):
            self.weight = net.module_.pair_head.sides.weight.detach().clone()

    init = InitialPairHead()
    base = PRNetClassifier(alpha=0, callbacks=[init], **fast).fit(X, y[:, 0])
    other = PRNetClassifier(alpha=0, epsilon=2.0, pairing="all", **fast)
    other.fit(X, y[:, 0], ranking_target=ratings[:, 0] * -1)
    np.testing.assert_array_equal(base.predict_proba(X), other.predict_proba(X))
    # the ranking head kept its initial weights: no gradient ever reached it
    torch.testing.assert_close(base.module_.pair_head.sides.weight, init.weight)
    # while alpha=1 does change the task predictions
    prnet = PRNetClassifier(alpha=1, **fast).fit(X, y[:, 0], ranking_target=ratings[:, 0])
    assert not np.allclose(base.predict_proba(X), prnet.predict_proba(X))


def test_ranking_head_learns_the_order(eeg_like, fast):
    X, _, ratings, _ = eeg_like
    reg = PRNetRegressor(epsilon=0.5, **{**fast, "max_epochs": 30}).fit(X, ratings[:, 0])
    i, j = np.triu_indices(len(X), 1)
    diff = ratings[i, 0] - ratings[j, 0]
    clear = np.abs(diff) > 2.0
    p = reg.compare(X[i[clear]], X[j[clear]])
    decided = np.where(p[:, 2] > p[:, 0], 1, -1)
    assert (decided == np.sign(diff[clear])).mean() > 0.85


def test_rank_groups_restrict_pairs(eeg_like, fast):
    X, y, ratings, subject = eeg_like
    kw = {**fast, "max_epochs": 2}
    a = PRNetClassifier(**kw).fit(X, y, ranking_target=ratings, rank_groups=subject)
    b = PRNetClassifier(**kw).fit(X, y, ranking_target=ratings)
    assert not np.allclose(a.predict_proba(X)[0], b.predict_proba(X)[0])
    # each sample its own group: no pair counts, so it is exactly the alpha=0 fit
    c = PRNetClassifier(**kw).fit(X, y, ranking_target=ratings, rank_groups=np.arange(len(X)))
    d = PRNetClassifier(alpha=0, **kw).fit(X, y)
    np.testing.assert_array_equal(c.predict_proba(X)[0], d.predict_proba(X)[0])


def test_class_order_defines_ranking(fast):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = np.array([-1, 0, 1])[np.digitize(X[:, 0], [-0.5, 0.5])]
    kw = {**fast, "max_epochs": 3}
    seed_order = PRNetClassifier(**kw).fit(X, y)  # default: sorted labels = -1 < 0 < 1
    explicit = PRNetClassifier(class_order=[-1, 0, 1], **kw).fit(X, y)
    reversed_ = PRNetClassifier(class_order=[1, 0, -1], **kw).fit(X, y)
    np.testing.assert_array_equal(seed_order.predict_proba(X), explicit.predict_proba(X))
    assert not np.allclose(seed_order.predict_proba(X), reversed_.predict_proba(X))
    np.testing.assert_array_equal(explicit.class_order_, [-1, 0, 1])


def test_reproducible_and_global_rng_untouched(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = PRNetClassifier(**fast).fit(X, y, ranking_target=ratings).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), state)
    b = PRNetClassifier(**fast).fit(X, y, ranking_target=ratings).predict_proba(X)
    c = PRNetClassifier(**{**fast, "random_state": 1}).fit(X, y, ranking_target=ratings)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c.predict_proba(X)[0])


def test_fit_keeps_parameters_and_returns_self(eeg_like):
    X, y, ratings, _ = eeg_like
    clf = PRNetClassifier(module__hidden_sizes=(16,), max_epochs=1)
    before = clf.get_params(deep=False)
    assert clf.fit(X, y, ranking_target=ratings) is clf
    after = clf.get_params(deep=False)
    assert after == before and after["device"] == "auto"
    assert clf.device_ == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert clf.module_.backbone.layers[0].out_features == 16


def test_pickle_joblib_clone_roundtrip(eeg_like, tmp_path, fast):
    X, y, ratings, _ = eeg_like
    clf = PRNetClassifier(**fast).fit(X, y, ranking_target=ratings)
    expected = clf.predict_proba(X)[0]
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X)[0], expected)
    np.testing.assert_array_equal(restored.compare(X[:4], X[4:8]), clf.compare(X[:4], X[4:8]))
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict(X), clf.predict(X))
    fresh = clone(clf)
    assert not hasattr(fresh, "module_") and fresh.get_params()["random_state"] == 0


def test_warm_start_and_partial_fit_continue(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    kw = {**fast, "max_epochs": 2}
    twice = PRNetClassifier(**kw).fit(X, y[:, 0])
    w0 = twice.module_.task_head.net.weight.detach().clone()
    twice.partial_fit(X, y[:, 0])
    assert len(twice.history) == 4
    assert not torch.equal(w0, twice.module_.task_head.net.weight)
    with pytest.raises(ValueError, match="not seen"):
        twice.partial_fit(X, np.where(y[:, 0] == 1, 7, 0))
    first = PRNetClassifier(**kw).partial_fit(X[:10], np.zeros(10, int), classes=[0, 1])
    assert first.classes_.tolist() == [0, 1]


def test_train_split_records_valid_loss(eeg_like, fast):
    from skorch.dataset import ValidSplit

    X, y, ratings, _ = eeg_like
    clf = PRNetClassifier(train_split=ValidSplit(4), **{**fast, "max_epochs": 2})
    clf.fit(X, y[:, 0], ranking_target=ratings[:, 0])
    assert len(clf.history[:, "valid_loss"]) == 2 and np.isfinite(clf.history[-1, "valid_loss"])


def test_batch_callbacks_still_run(eeg_like, fast, batch_counter):
    X, y, _, _ = eeg_like
    PRNetClassifier(callbacks=[batch_counter], **{**fast, "max_epochs": 2}).fit(X, y[:, 0])
    assert batch_counter.n == 2 * int(np.ceil(len(X) / fast["batch_size"]))


@pytest.mark.parametrize("pairing", ["split", "all"])
def test_vgg_module_on_small_images(pairing):
    rng = np.random.default_rng(0)
    X = rng.random((12, 3, 16, 16), dtype=np.float32)
    y = rng.uniform(-1, 1, size=(12, 2))
    reg = PRNetRegressor(
        module="vgg", module__channels=(4, 8), module__task_hidden=8, module__ranking_hidden=8,
        pairing=pairing, batch_size=6, max_epochs=1, device="cpu", random_state=0,
    )  # fmt: skip
    reg.fit(X, y)
    assert reg.predict(X).shape == (12, 2)
    assert reg.compare(X[:2], X[2:4]).shape == (2, 2, 3)


def test_default_sgd_is_fused_in_one_group(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    net = PRNetClassifier(**{**fast, "max_epochs": 1}).fit(
        X, y[:, 0], ranking_target=ratings[:, 0]
    )
    (group,) = net.optimizer_.param_groups
    assert group["fused"] and group["momentum"] == 0.9 and group["weight_decay"] == 5e-4
    assert len(group["params"]) == len(list(net.module_.parameters()))
    # the user's choice wins, and dampening (which late buffers cannot reproduce) opts out
    plain = PRNetClassifier(optimizer__fused=False, **{**fast, "max_epochs": 1}).fit(X, y[:, 0])
    assert not plain.optimizer_.param_groups[0]["fused"]
    damped = PRNetClassifier(optimizer__dampening=0.1, **{**fast, "max_epochs": 1})
    assert not damped.fit(X, y[:, 0]).optimizer_.param_groups[0]["fused"]


def test_ranking_head_can_join_training_late_with_fused_sgd(eeg_like, fast):
    """Fused SGD makes momentum buffers per group only when none exists yet: the ranking
    head's first gradient after a warm start from alpha=0 must not break the step, and its
    zero buffer must give torch's first momentum step (buffer = gradient)."""
    X, y, ratings, _ = eeg_like
    runs = {}
    for fused in (True, False):
        net = PRNetClassifier(
            alpha=0, warm_start=True, optimizer__fused=fused, **{**fast, "max_epochs": 2}
        )
        net.fit(X, y[:, 0], ranking_target=ratings[:, 0])
        before = net.module_.pair_head.sides.weight.detach().clone()
        net.set_params(alpha=1.0)
        net.fit(X, y[:, 0], ranking_target=ratings[:, 0])
        assert not torch.equal(before, net.module_.pair_head.sides.weight)
        assert np.isfinite(net.history[-1, "train_loss"])
        runs[fused] = net
    for a, b in zip(runs[True].module_.parameters(), runs[False].module_.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_prime_momentum_buffers_fills_only_late_parameters():
    from sk_prnet.estimators._optim import prime_momentum_buffers

    early, late = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([early, late], lr=0.1, momentum=0.9, fused=True)
    early.grad = torch.ones(3)
    assert prime_momentum_buffers(opt)  # fresh group: torch makes the buffers itself
    opt.step()
    assert prime_momentum_buffers(opt) and late not in opt.state  # no gradient yet
    late.grad = torch.full((2,), 2.0)
    with pytest.raises((TypeError, RuntimeError)):  # what the priming prevents
        opt.step()
    assert not prime_momentum_buffers(opt)
    opt.step()
    torch.testing.assert_close(late.detach(), torch.full((2,), 0.8))  # 1 - 0.1 * 2
    torch.testing.assert_close(opt.state[late]["momentum_buffer"], torch.full((2,), 2.0))


def test_fused_sgd_follows_the_same_update_rule(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    kw = {**fast, "max_epochs": 3}
    fused = PRNetClassifier(**kw).fit(X, y[:, 0], ranking_target=ratings[:, 0])
    plain = PRNetClassifier(optimizer__fused=False, **kw).fit(
        X, y[:, 0], ranking_target=ratings[:, 0]
    )
    for a, b in zip(fused.module_.parameters(), plain.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
