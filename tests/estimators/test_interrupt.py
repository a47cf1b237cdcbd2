"""Ctrl-C during fit: the model is kept but marked unfinished; an early stop is a complete fit."""

import signal
import warnings

import numpy as np
import pytest
from interrupting import InterruptAtEpoch, SigintAt
from skorch.callbacks import EarlyStopping

from sk_prnet import PRNetClassifier, PRNetRegressor, TrainingInterruptedWarning

CKPT = "sk_prnet_checkpoint.pt"


@pytest.fixture
def data(eeg_like):
    X, y, ratings, _ = eeg_like
    return X, ratings[:, 0] - 5  # 160 samples: 5 batches of 32 an epoch


@pytest.mark.skipif(
    signal.getsignal(signal.SIGINT) is not signal.default_int_handler,
    reason="needs Python's default SIGINT handler",
)
def test_real_sigint_keeps_the_model_and_records_the_interrupt(data, fast):
    X, y = data
    reg = PRNetRegressor(callbacks=[SigintAt(7)], **fast)
    with pytest.warns(TrainingInterruptedWarning, match=r"interrupted after 7 optimizer steps"):
        assert reg.fit(X, y) is reg
    assert reg.interrupted_ is True
    assert reg.steps_ == 7 and len(reg.history) == 2  # stopped inside epoch 2
    assert np.isfinite(reg.predict(X)).all()  # skorch's "keep the model"
    complete = PRNetRegressor(**fast).fit(X, y)
    assert complete.interrupted_ is False and complete.steps_ == 8 * 5
    assert not np.allclose(reg.predict(X), complete.predict(X))


def test_a_new_fit_clears_the_interrupt(data, fast):
    X, y = data
    stop = InterruptAtEpoch(2)
    clf = PRNetClassifier(callbacks=[stop], **fast)
    y_cls = (y > 0).astype(int)
    with pytest.warns(TrainingInterruptedWarning, match="fit again to train from the start"):
        clf.fit(X, y_cls)
    assert clf.interrupted_ and len(clf.history) == 2
    stop.epoch = -1  # never again
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingInterruptedWarning)
        clf.fit(X, y_cls)
    assert clf.interrupted_ is False and len(clf.history) == fast["max_epochs"]


def test_early_stopping_is_a_complete_fit(data, fast, tmp_path):
    X, y = data
    # an absolute threshold no loss can beat: no improvement after epoch 1, stop at epoch 2
    early = EarlyStopping(monitor="train_loss", patience=1, threshold=1e9, threshold_mode="abs")
    kw = dict(fast, checkpoint_dir=tmp_path, checkpoint_every=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingInterruptedWarning)
        reg = PRNetRegressor(callbacks=[early], **kw).fit(X, y)
    assert len(reg.history) == 2 < fast["max_epochs"]
    assert reg.interrupted_ is False
    assert not (tmp_path / CKPT).exists()  # complete: nothing left to resume


# checkpoints every 3 steps: the last before step 7 is at 6, the last before 10 (epoch 2) at 9
@pytest.mark.parametrize(
    "stop, last_checkpoint", [(SigintAt(7), 6), (InterruptAtEpoch(2), 9)], ids=["sigint", "epoch"]
)
def test_interrupted_fit_keeps_its_checkpoint_and_resumes_identically(
    data, fast, tmp_path, stop, last_checkpoint, batch_counter
):
    if isinstance(stop, SigintAt) and signal.getsignal(signal.SIGINT) is not (
        signal.default_int_handler
    ):
        pytest.skip("needs Python's default SIGINT handler")
    X, y = data
    kw = dict(fast, max_epochs=4, checkpoint_every=3)
    reference = PRNetRegressor(**kw).fit(X, y)
    cut = PRNetRegressor(checkpoint_dir=tmp_path, callbacks=[stop], **kw)
    with pytest.warns(TrainingInterruptedWarning, match="resume from"):
        cut.fit(X, y)
    assert cut.interrupted_
    assert (tmp_path / CKPT).exists()  # today's main deleted it here

    resumed = PRNetRegressor(checkpoint_dir=tmp_path, callbacks=[batch_counter], **kw)
    resumed.fit(X, y)
    # resumed from the last checkpoint, not from the start (4 epochs of 5 steps)
    assert batch_counter.n == 20 - last_checkpoint
    assert resumed.interrupted_ is False and resumed.steps_ == reference.steps_ == 20
    for (name, a), b in zip(
        resumed.module_.state_dict().items(), reference.module_.state_dict().values()
    ):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert not (tmp_path / CKPT).exists()


def test_the_warning_as_an_error_makes_ctrl_c_raise(data, fast, tmp_path):
    # for callers that must never continue with a partial fit (e.g. an experiment runner)
    X, y = data
    kw = dict(fast, checkpoint_dir=tmp_path, checkpoint_every=3)
    reg = PRNetRegressor(callbacks=[InterruptAtEpoch(2)], **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingInterruptedWarning)
        with pytest.raises(TrainingInterruptedWarning, match="resume from"):
            reg.fit(X, y)
    assert (tmp_path / CKPT).exists()
