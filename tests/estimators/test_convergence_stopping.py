"""max_epochs="auto" and ConvergenceStopping: how long a fit trains (issue 16, item 5)."""

import math
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sk_prnet import PRNetClassifier, PRNetRegressor, RankNetRegressor, TrainingInterruptedWarning
from sk_prnet.estimators import ConvergenceStopping
from sk_prnet.estimators import _convergence as convergence
from sk_prnet.estimators._convergence import AUTO_MAX_EPOCHS, AUTO_MIN_EPOCHS, AUTO_MIN_STEPS

ESTIMATORS = [PRNetRegressor, PRNetClassifier, RankNetRegressor]


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)
    return X, y


def _target(cls, y):
    return (y > 0).astype(int) if cls is PRNetClassifier else y


def _complete_fit(est, X, y):
    """Fit with TrainingInterruptedWarning as an error: a stop must be a complete fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingInterruptedWarning)
        est.fit(X, y)
    assert est.interrupted_ is False
    return est


def _same_weights(a, b):
    for (name, wa), wb in zip(a.module_.state_dict().items(), b.module_.state_dict().values()):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy(), err_msg=name)


@pytest.fixture
def small_budget(monkeypatch):
    """A smaller "auto" budget (60 steps, 3 epochs), so that the tests train little."""
    monkeypatch.setattr(convergence, "AUTO_MIN_STEPS", 60)
    monkeypatch.setattr(convergence, "AUTO_MIN_EPOCHS", 3)
    return 60


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_auto_trains_the_step_budget_and_equals_that_many_fixed_epochs(cls, small_budget):
    # 40 samples in batches of 8: 5 steps an epoch, so the budget takes 12 epochs
    X, y = _data(40)
    y = _target(cls, y)
    kw = dict(batch_size=8, device="cpu", random_state=0)
    auto = _complete_fit(cls(max_epochs="auto", **kw), X, y)
    epochs = math.ceil(small_budget / 5)
    assert epochs > convergence.AUTO_MIN_EPOCHS
    assert len(auto.history_) == epochs and auto.steps_ == 5 * epochs >= small_budget
    # stopping only ends the fit: the same epochs run as with a fixed max_epochs
    _same_weights(auto, cls(max_epochs=epochs, **kw).fit(X, y))


def test_the_auto_budget_is_at_least_500_steps_and_20_epochs():
    stop = convergence.auto_stopping()
    assert (stop.min_steps, stop.min_epochs, stop.n_iter_no_change) == (500, 20, 0)
    assert (AUTO_MIN_STEPS, AUTO_MIN_EPOCHS, AUTO_MAX_EPOCHS) == (500, 20, 200)


def test_auto_on_a_large_set_is_the_papers_20_epochs():
    # 25 steps an epoch: 20 epochs already make the 500-step budget, so "auto" is the paper's
    X, y = _data(200)
    kw = dict(batch_size=8, device="cpu", random_state=0)
    auto = _complete_fit(PRNetRegressor(max_epochs="auto", **kw), X, y)
    paper = PRNetRegressor(max_epochs=20, **kw).fit(X, y)
    assert "convergence" not in dict(paper.callbacks_)  # 20 is the plain fixed-length loop
    assert len(auto.history_) == len(paper.history_) == AUTO_MIN_EPOCHS
    _same_weights(auto, paper)
    np.testing.assert_array_equal(auto.predict(X), paper.predict(X))


def test_auto_stops_at_the_cap_on_a_tiny_set(small_budget, monkeypatch):
    monkeypatch.setattr(convergence, "AUTO_MAX_EPOCHS", 30)
    X, y = _data(30)  # one step an epoch: the budget cannot be reached within the cap
    auto = _complete_fit(PRNetRegressor(max_epochs="auto", device="cpu", random_state=0), X, y)
    assert len(auto.history_) == 30 and auto.steps_ == 30


def test_max_steps_replaces_auto():
    X, y = _data(200)
    reg = PRNetRegressor(max_epochs="auto", max_steps=30, batch_size=8, device="cpu")
    _complete_fit(reg, X, y)
    assert reg.steps_ == 30 and "convergence" not in dict(reg.callbacks_)


def _replayed_stop(losses, tol, patience):
    """First epoch (1-based) at which a relative-tolerance plateau rule fires, else None."""
    threshold, misses = np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < threshold:
            threshold, misses = loss * (1 - tol), 0
        else:
            misses += 1
        if misses >= patience:
            return epoch
    return None


def test_stops_when_the_training_loss_plateaus():
    X, y = _data(120)
    kw = dict(batch_size=40, lr=0.02, device="cpu", random_state=0)
    free = PRNetRegressor(max_epochs=60, **kw).fit(X, y)  # the loss curve without a rule
    curve = free.history_[:, "train_loss"]
    tol, patience = 0.02, 3
    expected = _replayed_stop(curve, tol, patience)
    assert expected is not None and expected < 60  # the curve does flatten within 60 epochs
    stop = ConvergenceStopping(tol=tol, n_iter_no_change=patience)
    reg = _complete_fit(PRNetRegressor(max_epochs=60, callbacks=[stop], **kw), X, y)
    assert len(reg.history_) == expected == stop.stopped_epoch_
    np.testing.assert_array_equal(reg.history_[:, "train_loss"], curve[:expected])
    # no plateau of that length inside the cap: the cap ends the fit, as usual
    never = ConvergenceStopping(tol=0.5, n_iter_no_change=1000)
    capped = _complete_fit(PRNetRegressor(max_epochs=5, callbacks=[never], **kw), X, y)
    assert len(capped.history_) == 5 and never.stopped_epoch_ is None


@pytest.mark.parametrize(
    "min_steps, min_epochs, cap, stopped",
    [(0, 1, 10, 2), (23, 2, 10, 5), (23, 7, 10, 7), (23, 7, 4, 4)],
)
def test_respects_the_minimums_and_the_cap(min_steps, min_epochs, cap, stopped):
    X, y = _data(160)  # 5 steps an epoch in batches of 32
    # tol 0.99: no later epoch counts as progress, so a miss every epoch from the 2nd on
    stop = ConvergenceStopping(
        tol=0.99, n_iter_no_change=1, min_steps=min_steps, min_epochs=min_epochs
    )
    kw = dict(batch_size=32, device="cpu", random_state=0, callbacks=[stop])
    reg = _complete_fit(PRNetRegressor(max_epochs=cap, **kw), X, y)
    assert len(reg.history_) == stopped and reg.steps_ == 5 * stopped
    assert stop.stopped_epoch_ == (stopped if stopped < cap else None)


def test_a_warm_start_counts_its_own_minimum():
    X, y = _data(160)
    stop = ConvergenceStopping(n_iter_no_change=0, min_steps=12)  # 3 epochs of 5 steps
    reg = PRNetRegressor(
        max_epochs=10, batch_size=32, device="cpu", random_state=0, callbacks=[stop],
        warm_start=True,
    )  # fmt: skip
    _complete_fit(reg, X, y)
    _complete_fit(reg, X, y)
    assert len(reg.history_) == 6 and reg.steps_ == 30


class InterruptAtStep(Callback):
    """Raises KeyboardInterrupt (a user's Ctrl-C) after training step ``step``."""

    def __init__(self, step):
        self.step = step

    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.steps_ == self.step:
            raise KeyboardInterrupt


def test_a_resumed_auto_fit_equals_the_uninterrupted_one(tmp_path, small_budget):
    X, y = _data(40)  # 5 steps an epoch: the budget is reached in epoch 12
    kw = dict(max_epochs="auto", batch_size=8, device="cpu", random_state=0)
    reference = PRNetRegressor(**kw).fit(X, y)
    assert len(reference.history_) == 12
    ckpt = dict(checkpoint_dir=tmp_path, checkpoint_every=20)
    # interrupted (Ctrl-C) inside epoch 10, after the last checkpoint (step 40, epoch 8)
    cut = PRNetRegressor(callbacks=[InterruptAtStep(47)], **ckpt, **kw)
    with pytest.warns(TrainingInterruptedWarning):
        cut.fit(X, y)
    assert cut.interrupted_ and cut.steps_ == 47
    resumed = _complete_fit(PRNetRegressor(**ckpt, **kw), X, y)
    assert resumed.steps_ == reference.steps_ and len(resumed.history_) == len(reference.history_)
    _same_weights(resumed, reference)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "Auto", "20", None, True])
def test_bad_max_epochs_is_rejected(bad):
    X, y = _data(20)
    with pytest.raises(ValueError, match=r"max_epochs must be an integer >= 1.*'auto'"):
        PRNetRegressor(max_epochs=bad, device="cpu").fit(X, y)


@pytest.mark.parametrize(
    "param, bad",
    [("tol", -0.1), ("tol", 1.0), ("tol", float("nan")), ("n_iter_no_change", -1),
     ("n_iter_no_change", 1.5), ("min_steps", -1), ("min_epochs", 0), ("min_epochs", None)],
)  # fmt: skip
def test_bad_rule_parameters_are_rejected(param, bad):
    X, y = _data(20)
    stop = ConvergenceStopping(**{param: bad})
    with pytest.raises(ValueError, match=param):
        PRNetRegressor(max_epochs=2, callbacks=[stop], device="cpu").fit(X, y)


def test_get_params_clone_and_grid_search(small_budget):
    X, y = _data(48)
    stop = ConvergenceStopping(tol=0.05, n_iter_no_change=2)
    reg = PRNetRegressor(max_epochs="auto", callbacks=[stop], device="cpu", random_state=0)
    twin = clone(reg)
    params = reg.fit(X, y).get_params()  # skorch lists a callback's parameters once fitted
    assert params["max_epochs"] == "auto" and params["callbacks__ConvergenceStopping__tol"] == 0.05
    assert not any(k.endswith("__fit_epochs_") for k in params)  # fitted state, not params
    assert twin.get_params()["max_epochs"] == "auto" and twin.callbacks[0] is not stop
    reg.set_params(callbacks__ConvergenceStopping__n_iter_no_change=3)
    assert stop.n_iter_no_change == 3
    grid = GridSearchCV(
        PRNetRegressor(batch_size=16, device="cpu", random_state=0),
        {"max_epochs": [2, "auto"]},
        cv=2,
    ).fit(X, y)
    assert set(grid.cv_results_["param_max_epochs"]) == {2, "auto"}
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_the_paper_pipelines_keep_the_papers_20_epochs():
    from sk_prnet.pipelines import make_deap_pipeline, make_seed_pipeline

    assert PRNetClassifier().max_epochs == PRNetRegressor().max_epochs == "auto"
    assert RankNetRegressor().max_epochs == 20
    for make in (make_deap_pipeline, make_seed_pipeline):
        assert make(alpha=0.0).named_steps["prnet"].max_epochs == 20
        assert make(max_epochs="auto").named_steps["prnet"].max_epochs == "auto"
