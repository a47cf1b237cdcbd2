"""fit_batched trains many networks as one and gives each what its own fit gives.

The contract (issue 15): for every estimator, the same initial weights, batches and pairs
as its own ``fit``, so final weights within 1e-5 relative (float32; the batched matmuls
and the per-model loss reductions round differently), identical class predictions, the
same history. Every comparison is against a real ``fit`` of an identical estimator.
"""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from skorch.callbacks import EarlyStopping

from sk_prnet import PRNetClassifier, PRNetRegressor, TrainingDivergedError, fit_batched

RTOL = 1e-5


def _data(n=90, p=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)).astype(np.float32)
    ratings = np.column_stack([5 + 2 * X[:, 0], 5 - 2 * X[:, 1]]) + rng.normal(size=(n, 2))
    return X, ratings.clip(1, 9), rng


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def assert_same_fit(batched, own, X_test):
    """``batched`` (from fit_batched) ends where ``own`` (its own fit) ends."""
    for (name, p), (_, q) in zip(
        batched.module_.named_parameters(), own.module_.named_parameters()
    ):
        assert _rel(p.detach(), q.detach()) < RTOL, name
    pb, po = batched.predict(X_test), own.predict(X_test)
    if pb.dtype.kind == "f":  # regression outputs: float32 rounding of the weights
        np.testing.assert_allclose(pb, po, rtol=RTOL, atol=1e-6)
    else:
        np.testing.assert_array_equal(pb, po)
    for key in ("train_loss", "train_batch_count", "epoch"):
        np.testing.assert_allclose(batched.history[:, key], own.history[:, key], rtol=RTOL)
    assert batched.steps_ == own.steps_
    assert batched.n_features_in_ == own.n_features_in_
    assert batched.interrupted_ is False


def _fit_both(estimators, Xs, ys, params, **kwargs):
    own = [clone(e) for e in estimators]
    fitted = fit_batched(estimators, Xs, ys, fit_params_list=params, **kwargs)
    assert all(f is e for f, e in zip(fitted, estimators))
    for est, X, y, kw in zip(own, Xs, ys, params):
        est.fit(X, y, **kw)
    return fitted, own


# sizes 70, 57, 49 with batch 16: last batches of 6, 9 and 1 samples (a 1-sample batch has
# no pair: its step leaves the ranking head without a gradient, as in fit)
SIZES = (70, 57, 49)
SETTINGS = [
    dict(alpha=0.0, lr=0.02, random_state=0),
    # torch's unfused SGD (fit's default is the fused kernel): the engine follows each one
    dict(alpha=1.0, epsilon=0.5, lr=0.03, momentum=0.5, weight_decay=1e-3, random_state=1,
         optimizer__fused=False),
    dict(alpha=0.5, epsilon=0.2, lr=0.01, momentum=0.0, weight_decay=0.0, random_state=2),
]


@pytest.mark.parametrize("pairing", ["split", "all"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_each_network_equals_its_own_fit(kind, pairing):
    X, ratings, _ = _data()
    base = dict(max_epochs=2, batch_size=16, device="cpu", pairing=pairing)
    if kind == "classifier":
        nets = [PRNetClassifier(**base, **s) for s in SETTINGS]
        ys = [(ratings[:n] > 5).astype(int) for n in SIZES]
        params = [dict(ranking_target=ratings[:n]) for n in SIZES]
    else:
        nets = [PRNetRegressor(**base, **s) for s in SETTINGS]
        ys = [(ratings[:n] - 5) / 4 for n in SIZES]
        params = [{} for _ in SIZES]
    fitted, own = _fit_both(nets, [X[:n] for n in SIZES], ys, params)
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)
    # the alpha = 0 network's ranking head is never trained: it keeps its initial weights
    head0 = fitted[0].module_.pair_head.sides.weight.detach()
    assert _rel(head0, own[0].module_.pair_head.sides.weight.detach()) == 0


@pytest.mark.parametrize("alphas", [(0.0,), (0.0, 0.0), (1.0, 1.0)])
def test_networks_that_all_rank_or_none_does(alphas):
    X, ratings, _ = _data()
    y = (ratings[:, 0] > 5).astype(int)
    nets = [PRNetClassifier(max_epochs=2, batch_size=16, device="cpu", random_state=i,
                            alpha=a) for i, a in enumerate(alphas)]  # fmt: skip
    sizes = (70, 90)[: len(nets)]
    params = [dict(ranking_target=ratings[:n, 0]) for n in sizes]
    fitted, own = _fit_both(nets, [X[:n] for n in sizes], [y[:n] for n in sizes], params)
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)


def _momentum_buffers(est):
    state = est.optimizer_.state
    return {name: state[p]["momentum_buffer"] for name, p in est.module_.named_parameters()
            if "momentum_buffer" in state.get(p, {})}  # fmt: skip


def test_batches_without_pairs_leave_the_pair_head_alone():
    # rank groups: only pairs inside a group count, so some batches of an epoch have fewer
    # than two counted pairs (no ranking loss; the pair head takes no step, as in fit) and
    # others do, in any order; a network whose groups are all singletons never ranks (its
    # pair head keeps its initial weights and gets no momentum buffer). The first network has
    # no full batch at all (12 samples, batch 16).
    X, ratings, rng = _data()
    y = (ratings[:, 0] > 5).astype(int)
    sizes = (12, 90, 90)
    groups = [rng.integers(0, 3, 12), rng.integers(0, 25, 90), np.arange(90)]
    nets = [PRNetClassifier(max_epochs=3, batch_size=16, device="cpu", random_state=i,
                            alpha=1.0, weight_decay=1e-3) for i in range(3)]  # fmt: skip
    params = [dict(ranking_target=ratings[:n, 0], rank_groups=g) for n, g in zip(sizes, groups)]
    fitted, own = _fit_both(nets, [X[:n] for n in sizes], [y[:n] for n in sizes], params)
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)
        mine, theirs = _momentum_buffers(b), _momentum_buffers(o)
        assert mine.keys() == theirs.keys()
        for name in mine:
            assert _rel(mine[name], theirs[name]) < RTOL, name
    assert not any("pair_head" in name for name in _momentum_buffers(fitted[2]))
    assert any("pair_head" in name for name in _momentum_buffers(fitted[1]))


def test_weights_multi_output_and_continued_training():
    # sample and class weights ("balanced" is the same path, but partial_fit refuses it),
    # two outputs with 2 and 3 classes, then one more epoch with
    # partial_fit: the momentum buffers handed back equal fit's
    X, ratings, rng = _data()
    y = np.column_stack([(ratings[:, 0] > 5), np.digitize(ratings[:, 1], [4, 6])]).astype(int)
    weight = rng.uniform(0.2, 2.0, size=len(X))
    nets = [
        PRNetClassifier(max_epochs=2, batch_size=16, device="cpu", random_state=0, alpha=1.0,
                        class_weight=[{0: 1.0, 1: 2.0}, {0: 1.0, 1: 0.5, 2: 2.0}]),
        PRNetClassifier(max_epochs=2, batch_size=16, device="cpu", random_state=3, alpha=0.0),
    ]  # fmt: skip
    params = [dict(sample_weight=weight[:n], ranking_target=ratings[:n]) for n in SIZES[:2]]
    Xs, ys = [X[:n] for n in SIZES[:2]], [y[:n] for n in SIZES[:2]]
    fitted, own = _fit_both(nets, Xs, ys, params)
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)
        np.testing.assert_array_equal(
            b.predict_proba(X)[1].argmax(1), o.predict_proba(X)[1].argmax(1)
        )
    for est, Xi, yi in zip(fitted + own, Xs * 2, ys * 2):
        est.set_params(max_epochs=1).partial_fit(Xi, yi)
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)


def test_groups_chunks_and_fallback():
    # different architectures and epoch counts are grouped; max_models=1 chunks; an
    # unsupported estimator (alpha_schedule) is fitted with its own fit under fallback
    X, ratings, _ = _data()
    y = (ratings[:, 0] > 5).astype(int)
    nets = [
        PRNetClassifier(max_epochs=1, batch_size=16, device="cpu", random_state=0),
        PRNetClassifier(max_epochs=2, batch_size=16, device="cpu", random_state=1,
                        module__hidden_sizes=(6, 5, 4)),
        PRNetClassifier(max_epochs=1, batch_size=16, device="cpu", random_state=2),
        PRNetClassifier(max_epochs=1, batch_size=16, device="cpu", random_state=3,
                        alpha_schedule="warmup"),
    ]  # fmt: skip
    done = []
    fitted, own = _fit_both(
        nets, [X] * 4, [y] * 4, [{}] * 4, max_models=1, fallback=True,
        on_fitted=lambda i, est: done.append((i, est.history_[-1, "epoch"])),
    )  # fmt: skip
    # each reported once, fitted when reported; the fallback first (fitted while checking)
    assert done == [(3, 1), (0, 1), (2, 1), (1, 2)]
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)
    # ordinary estimators: pickling and the ranking head's compare work
    again = pickle.loads(pickle.dumps(fitted[0]))
    np.testing.assert_array_equal(again.predict(X), own[0].predict(X))
    np.testing.assert_allclose(again.compare(X[:5], X[5:10]), own[0].compare(X[:5], X[5:10]),
                               rtol=1e-4, atol=1e-6)  # fmt: skip


@settings(max_examples=4, deadline=None)
@given(sizes=st.lists(st.integers(2, 40), min_size=1, max_size=3))
def test_any_fold_sizes(sizes):
    X, ratings, _ = _data(n=40)
    nets = [PRNetRegressor(max_epochs=1, batch_size=8, device="cpu", random_state=i, lr=0.02)
            for i in range(len(sizes))]  # fmt: skip
    ys = [(ratings[:n, 0] - 5) / 4 for n in sizes]
    fitted, own = _fit_both(nets, [X[:n] for n in sizes], ys, [{}] * len(sizes))
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)


def test_a_diverging_network_does_not_stop_the_others():
    X, ratings, _ = _data()
    nets = [
        # alpha = 0 first: the engine trains the ranked networks first, and still names
        # the diverging one by its place in the caller's list
        PRNetRegressor(max_epochs=2, batch_size=16, device="cpu", random_state=0, lr=0.02,
                       alpha=0.0),
        PRNetRegressor(max_epochs=2, batch_size=16, device="cpu", random_state=1, lr=5.0),
    ]
    ys = [(ratings[:, 0] - 5) / 4, ratings[:, 0] * 1e4]
    own = clone(nets[0]).fit(X, ys[0])
    with pytest.raises(TrainingDivergedError, match="estimators 1 diverged"):
        fit_batched(nets, [X, X], ys)
    assert_same_fit(nets[0], own, X)


def test_bad_input_is_refused_with_what_to_do():
    X, ratings, _ = _data()
    y = (ratings[:, 0] > 5).astype(int)
    est = PRNetClassifier(max_epochs=1, device="cpu")
    with pytest.raises(ValueError, match="one X, one y"):
        fit_batched([est, clone(est)], [X], [y, y])
    with pytest.raises(ValueError, match="max_models must be"):
        fit_batched([est], [X], [y], max_models=0)
    with pytest.raises(ValueError, match="same estimator object"):
        fit_batched([est, est], [X, X], [y, y])
    vgg = PRNetClassifier(module="vgg", device="cpu")
    with pytest.raises(ValueError, match=r"Estimator 1 cannot .*module='vgg'.*fallback=True"):
        fit_batched([est, vgg], [X, X], [y, y])
    assert not hasattr(est, "n_features_in_")  # nothing was fitted before the refusal
    with pytest.raises(ValueError, match="callbacks"):
        fit_batched([PRNetClassifier(callbacks=[EarlyStopping()], device="cpu")], [X], [y])


def test_ctrl_c_keeps_partly_trained_networks_marked_unfinished():
    # SIGINT arrives once training runs: both networks are written back with
    # interrupted_=True and a warning, and the KeyboardInterrupt reaches the caller
    import signal

    from sk_prnet import TrainingInterruptedWarning

    X, ratings, _ = _data()
    y = (ratings[:, 0] > 5).astype(int)
    nets = [
        PRNetClassifier(max_epochs=100_000, batch_size=16, device="cpu", random_state=i)
        for i in range(2)
    ]

    def interrupt(signum, frame):
        history = getattr(nets[1], "history_", None)
        if history is not None and len(history) >= 2:
            raise KeyboardInterrupt
        signal.setitimer(signal.ITIMER_REAL, 0.05)

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.warns(TrainingInterruptedWarning), pytest.raises(KeyboardInterrupt):
            fit_batched(nets, [X, X[:50]], [y, y[:50]])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for est in nets:
        assert est.interrupted_ is True
        assert 2 <= len(est.history_) < 100_000
        assert np.isfinite(est.predict_proba(X)).all()


def test_auto_epochs_follow_each_networks_budget():
    # max_epochs="auto" (the default): each network trains as many epochs as its own fit's
    # budget gives for its fold size (batch 50: 2, 3 and 6 batches an epoch), the others
    # continue after the first is done; a user's budget callback (n_iter_no_change=0) too
    from sk_prnet.estimators import ConvergenceStopping

    X, ratings, _ = _data(n=260)
    sizes = (60, 130, 260)
    base = dict(batch_size=50, device="cpu", module__hidden_sizes=(8, 8), lr=0.01)
    nets = [
        PRNetClassifier(**base, alpha=1.0, random_state=0),
        PRNetClassifier(**base, alpha=0.0, random_state=1),
        PRNetClassifier(**base, alpha=0.5, random_state=2, max_epochs=50,
                        callbacks=[ConvergenceStopping(n_iter_no_change=0, min_steps=30)]),
    ]  # fmt: skip
    ys = [(ratings[:n, 0] > 5).astype(int) for n in sizes]
    params = [dict(ranking_target=ratings[:n, 0]) for n in sizes]
    # a regressor whose fit ends by keeping a reference set (rank_blend): finished by the
    # engine as its own fit finishes, also when its budget stops it before the others
    for i, n in enumerate((60, 260)):
        nets.append(PRNetRegressor(**base, alpha=1.0, rank_blend=0.25, random_state=3 + i))
        ys.append((ratings[:n, 1] - 5) / 4)
        params.append({})
    fitted, own = _fit_both(nets, [X[:n] for n in sizes + (60, 260)], ys, params)
    epochs = [len(o.history_) for o in own]
    assert len(set(epochs[:3])) == 3  # the budget gave each network its own epoch count
    assert epochs[3] != epochs[4]  # one regressor stops while the other goes on
    for b, o in zip(fitted, own):
        assert_same_fit(b, o, X)
    assert all(len(b.rank_maps_) == 1 for b in fitted[3:])


def test_an_error_during_training_leaves_no_network_finished():
    # an error that is not an interrupt (here from a budget callback's subclass) reaches the
    # caller, and no network is finished as if its training had completed: a rank_blend
    # regressor does not keep its reference set (its fit would only do that at the end)
    from sk_prnet.estimators import ConvergenceStopping

    class FailsAtFirstEpochEnd(ConvergenceStopping):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("disk full")

    X, ratings, _ = _data()
    y = (ratings[:, 1] - 5) / 4
    nets = [
        PRNetRegressor(max_epochs=3, batch_size=16, device="cpu", random_state=i,
                       rank_blend=0.25, callbacks=[FailsAtFirstEpochEnd(n_iter_no_change=0)])
        for i in range(2)
    ]  # fmt: skip
    with pytest.raises(RuntimeError, match="disk full"):
        fit_batched(nets, [X, X[:60]], [y, y[:60]])
    assert not any(hasattr(net, "rank_maps_") for net in nets)


def test_a_loss_plateau_rule_is_refused_or_falls_back():
    from sk_prnet.estimators import ConvergenceStopping

    X, ratings, _ = _data()
    y = (ratings[:, 0] > 5).astype(int)
    plateau = PRNetClassifier(max_epochs=3, batch_size=16, device="cpu", random_state=0,
                              callbacks=[ConvergenceStopping(n_iter_no_change=1)])  # fmt: skip
    with pytest.raises(ValueError, match=r"Estimator 0 cannot .*loss plateau.*n_iter_no_change"):
        fit_batched([plateau], [X], [y])
    tuned = PRNetClassifier(device="cpu", callbacks__convergence__n_iter_no_change=2)
    with pytest.raises(ValueError, match="loss plateau"):
        fit_batched([tuned], [X], [y])
    own = clone(plateau).fit(X, y)
    fit_batched([plateau], [X], [y], fallback=True)
    assert_same_fit(plateau, own, X)
