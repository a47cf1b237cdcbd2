"""skorch's hooks and stock callbacks on the PRNet estimators (issue 13, item 1).

Every test is a real tiny fit: the training path is skorch's chain (fit -> partial_fit ->
fit_loop -> run_single_epoch -> train_step -> train_step_single -> infer/get_loss), so a
subclass's override of one of these hooks runs, and skorch's callbacks work as documented.
"""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score
from skorch.callbacks import (
    BatchScoring,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    GradientNormClipping,
    LoadInitState,
    LRScheduler,
    ProgressBar,
)
from skorch.dataset import Dataset, ValidSplit
from skorch.helper import predefined_split

from sk_prnet import PRNetClassifier, PRNetRegressor

KW = dict(max_epochs=2, batch_size=16, lr=0.05, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def data():
    """60 samples; string class labels (so a scorer comparing class indices would fail)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    ratings = 5 + 2 * X[:, 0] + 0.3 * rng.normal(size=60)
    labels = np.where(ratings > 5, "high", "low")
    return X, labels, ratings


def valid_part(X, y, cv=4):
    """The validation rows that ``ValidSplit(cv)`` picks (unstratified: deterministic)."""
    _, ds_valid = ValidSplit(cv)(Dataset(X, y), None)
    idx = np.asarray(ds_valid.indices)
    return X[idx], y[idx]


def weights(est):
    return [p.detach().clone() for p in est.module_.parameters()]


# ---------------------------------------------------------------------------- hooks
class Hooked(PRNetClassifier):
    """Counts the calls of skorch's training hooks (and delegates to them)."""

    def _count(self, name):
        vars(self).setdefault("_calls", {})
        self._calls[name] = self._calls.get(name, 0) + 1

    def partial_fit(self, X, y=None, classes=None, **kw):
        self._count("partial_fit")
        return super().partial_fit(X, y, classes, **kw)

    def fit_loop(self, X, y=None, epochs=None, **kw):
        self._count("fit_loop")
        return super().fit_loop(X, y, epochs, **kw)

    def get_dataset(self, X, y=None):
        self._count("get_dataset")
        return super().get_dataset(X, y)

    def get_split_datasets(self, X, y=None, **kw):
        self._count("get_split_datasets")
        return super().get_split_datasets(X, y, **kw)

    def get_iterator(self, dataset, training=False):
        self._count("get_iterator")
        return super().get_iterator(dataset, training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **kw):
        self._count("run_single_epoch")
        return super().run_single_epoch(iterator, training, prefix, step_fn, **kw)

    def train_step(self, batch, **kw):
        self._count("train_step")
        return super().train_step(batch, **kw)

    def train_step_single(self, batch, **kw):
        self._count("train_step_single")
        return super().train_step_single(batch, **kw)

    def validation_step(self, batch, **kw):
        self._count("validation_step")
        return super().validation_step(batch, **kw)

    def infer(self, x, **kw):
        self._count("infer")
        return super().infer(x, **kw)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        self._count("get_loss")
        return super().get_loss(y_pred, y_true, X=X, training=training)


def test_fit_runs_through_skorchs_hooks(data):
    X, labels, _ = data
    est = Hooked(train_split=ValidSplit(4), **KW)
    params = est.get_params(deep=False)
    assert est.fit(X, labels) is est
    calls = est._calls
    steps = est.steps_  # 45 training rows / 16: 3 steps per epoch
    assert steps == 2 * 3
    assert calls["partial_fit"] == calls["fit_loop"] == calls["get_split_datasets"] == 1
    assert calls["get_dataset"] == 1
    assert calls["get_iterator"] == 2  # train and valid
    assert calls["run_single_epoch"] == 2 * 2
    assert calls["train_step"] == calls["train_step_single"] == steps
    assert calls["validation_step"] == 2 * 1  # 15 validation rows: one batch per epoch
    # the overridden infer runs for training and validation batches alike
    assert calls["infer"] == calls["get_loss"] == steps + 2
    after = est.get_params(deep=False)
    assert after.keys() == params.keys()
    assert all(after[k] is v for k, v in params.items())


def test_an_overridden_iterator_changes_training(data):
    X, labels, _ = data

    class FirstBatchOnly(PRNetClassifier):
        def get_iterator(self, dataset, training=False):
            batches = super().get_iterator(dataset, training)

            class First:
                def __iter__(self):
                    return iter([next(iter(batches))])

            return First()

    est = FirstBatchOnly(**dict(KW, max_epochs=3)).fit(X, labels)
    assert est.steps_ == 3  # one batch per epoch, not 4
    assert est.history[:, "train_batch_count"] == [1, 1, 1]


def test_an_overridden_train_step_single_is_what_trains(data):
    X, labels, _ = data

    class Frozen(PRNetClassifier):
        def train_step_single(self, batch, **kw):
            step = super().train_step_single(batch, **kw)
            for p in self.module_.parameters():
                p.grad = torch.zeros_like(p)  # no gradient: only weight decay moves weights
            return step

    kw = dict(KW, momentum=0.0, weight_decay=0.0)
    frozen = Frozen(**kw).fit(X, labels)
    init = Frozen(**dict(kw, max_epochs=1, lr=1e-30)).fit(X, labels)
    for a, b in zip(weights(frozen), weights(init)):
        torch.testing.assert_close(a, b)


def test_fit_loop_called_directly_continues_training(data):
    X, labels, _ = data
    est = PRNetClassifier(**KW).fit(X, labels)
    before, n_rows, steps = weights(est), len(est.history), est.steps_
    assert est.fit_loop(X, labels, epochs=1) is est
    assert len(est.history) == n_rows + 1
    assert est.steps_ == steps + 4
    assert any(not torch.equal(a, b) for a, b in zip(before, weights(est)))
    assert set(est.predict(X)) <= {"high", "low"}


def test_fit_loop_before_fit_is_a_clear_error(data):
    X, labels, _ = data
    with pytest.raises(NotFittedError, match="not fitted yet"):
        PRNetClassifier(**KW).fit_loop(X, labels)


def test_a_train_split_returning_other_data_is_a_clear_error(data):
    X, labels, _ = data
    split = predefined_split(Dataset(X[:10], labels[:10]))
    with pytest.raises(ValueError, match="Subsets of the dataset it is given"):
        PRNetClassifier(train_split=split, **KW).fit(X, labels)


# ---------------------------------------------------------------------------- scoring
@pytest.mark.parametrize(
    "scoring, metric",
    [("accuracy", accuracy_score), ("f1_macro", lambda a, b: f1_score(a, b, average="macro"))],
)
def test_epoch_scoring_on_valid_compares_with_the_users_labels(data, scoring, metric):
    X, labels, _ = data
    cb = EpochScoring(scoring, lower_is_better=False, name="valid_score")
    est = PRNetClassifier(train_split=ValidSplit(4), callbacks=[cb], **KW).fit(X, labels)
    Xv, yv = valid_part(X, labels)
    # the cached predictions of the last epoch's validation are the fitted model's
    assert est.history[-1, "valid_score"] == pytest.approx(metric(yv, est.predict(Xv)))
    assert isinstance(est.history[0, "valid_score_best"], bool)


@pytest.mark.parametrize("use_caching", [True, False])
def test_epoch_scoring_on_train(data, use_caching):
    X, labels, _ = data
    cb = EpochScoring("accuracy", on_train=True, lower_is_better=False, use_caching=use_caching)
    # lr so small that the weights do not move: the cached training-time predictions
    # (made before each step) then equal the fitted model's (no dropout in the MLP)
    kw = dict(KW, lr=1e-12, momentum=0.0, weight_decay=0.0)
    est = PRNetClassifier(callbacks=[cb], **kw).fit(X, labels)
    assert est.history[-1, "accuracy"] == pytest.approx(accuracy_score(labels, est.predict(X)))


@pytest.mark.parametrize(
    "scoring, metric",
    [("r2", r2_score), ("neg_mean_squared_error", lambda a, b: -mean_squared_error(a, b))],
)
def test_epoch_scoring_of_a_regressor(data, scoring, metric):
    X, _, ratings = data
    cb = EpochScoring(scoring, lower_is_better=False, name="score")
    est = PRNetRegressor(train_split=ValidSplit(4), callbacks=[cb], **KW).fit(X, ratings)
    Xv, yv = valid_part(X, ratings)
    assert est.history[-1, "score"] == pytest.approx(metric(yv, est.predict(Xv)), rel=1e-4)


def test_batch_scoring_on_valid(data):
    X, labels, _ = data
    cb = BatchScoring("accuracy", lower_is_better=False, name="bacc")
    est = PRNetClassifier(train_split=ValidSplit(4), callbacks=[cb], **KW).fit(X, labels)
    Xv, yv = valid_part(X, labels)
    # one validation batch per epoch: its score is the fitted model's accuracy
    assert est.history[-1, "bacc"] == pytest.approx(accuracy_score(yv, est.predict(Xv)))
    assert est.history[-1, "batches", -1, "valid_batch_size"] == len(yv)


# ---------------------------------------------------------------------------- training
def test_early_stopping_stops_a_complete_fit(data, recwarn):
    X, _, ratings = data
    # train_loss falls, so with lower_is_better=False every epoch is a miss
    stop = EarlyStopping(monitor="train_loss", patience=2, lower_is_better=False)
    est = PRNetRegressor(callbacks=[stop], **dict(KW, max_epochs=20)).fit(X, ratings)
    assert len(est.history) == 3
    assert est.interrupted_ is False
    assert not [w for w in recwarn if "interrupted" in str(w.message)]


def test_lr_scheduler_steps_the_learning_rate(data):
    X, _, ratings = data
    sched = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    est = PRNetRegressor(callbacks=[sched], **dict(KW, max_epochs=3)).fit(X, ratings)
    assert est.optimizer_.param_groups[0]["lr"] == pytest.approx(0.05 * 0.5**3)
    assert est.history[:, "event_lr"] == pytest.approx([0.05, 0.025, 0.0125])
    assert est.lr == 0.05  # the parameter is not rewritten


def test_gradient_norm_clipping_is_applied(data):
    X, _, ratings = data
    kw = dict(KW, momentum=0.0, weight_decay=0.0)
    init = weights(PRNetRegressor(**dict(kw, lr=1e-30, max_epochs=1)).fit(X, ratings))
    clipped = PRNetRegressor(callbacks=[GradientNormClipping(1e-6)], **kw).fit(X, ratings)
    free = PRNetRegressor(**kw).fit(X, ratings)

    def moved(est):
        return max(float((a - b).abs().max()) for a, b in zip(weights(est), init))

    # 8 steps of lr 0.05 with gradient norms at most 1e-6
    assert moved(clipped) <= 8 * 0.05 * 1e-6 * 1.01
    assert moved(free) > 1e-3


def test_checkpoint_and_load_init_state(data, tmp_path):
    X, _, ratings = data
    cp = Checkpoint(dirname=tmp_path)  # monitor="valid_loss_best", skorch's default
    first = PRNetRegressor(train_split=ValidSplit(4), callbacks=[cp], **KW).fit(X, ratings)
    assert (tmp_path / "params.pt").exists()
    assert first.history[:, "event_cp"] == [True] * sum(first.history[:, "valid_loss_best"])
    cp2 = Checkpoint(dirname=tmp_path)
    second = PRNetRegressor(
        train_split=ValidSplit(4), callbacks=[cp2, LoadInitState(cp2)], **dict(KW, max_epochs=1)
    )
    second.fit(X, ratings)
    # the history was loaded and continued; training started from the saved weights
    assert len(second.history) == len(first.history) + 1
    assert second.history[:-1, "train_loss"] == first.history[:, "train_loss"]


def test_progress_bar_runs(data, capsys):
    X, labels, _ = data
    est = PRNetClassifier(callbacks=[ProgressBar()], **KW).fit(X, labels)
    assert len(est.history[-1, "batches"]) == 4
    assert "0/4" in capsys.readouterr().err  # 4 batches an epoch, from the dataset's length


def test_print_log_at_verbose_1(data, capsys):
    X, labels, _ = data
    cb = EpochScoring("accuracy", lower_is_better=False)
    PRNetClassifier(train_split=ValidSplit(4), callbacks=[cb], verbose=1, **KW).fit(X, labels)
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:2] == ["epoch", "accuracy"]
    assert {"train_loss", "valid_loss", "valid_task_loss", "dur"} <= set(header)
    rows = [line.split() for line in out.splitlines()[2:]]
    assert [r[0] for r in rows] == ["1", "2"]
