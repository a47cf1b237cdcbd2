"""A diverging network stops fit with a clear error; zero epochs are refused."""

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sk_prnet import PRNetClassifier, PRNetRegressor, RankNetRegressor, TrainingDivergedError


class LossLog(Callback):
    """Records every training step's loss (``on_batch_end``)."""

    def initialize(self):
        self.losses = []
        return self

    def on_batch_end(self, net, training=False, loss=None, **kwargs):
        if training:
            self.losses.append(float(loss.detach()))


def test_unscaled_diabetes_target_diverges_with_a_clear_error(tmp_path):
    # the reproduction: targets 25..346 and the default lr train to NaN
    X, y = load_diabetes(return_X_y=True)
    log = LossLog()
    reg = PRNetRegressor(
        max_epochs=3, device="cpu", random_state=0, callbacks=[log],
        checkpoint_dir=tmp_path, checkpoint_every=1,
    )  # fmt: skip
    with pytest.raises(TrainingDivergedError) as info:
        make_pipeline(StandardScaler(), reg).fit(X, y)
    first_bad = next(i for i, v in enumerate(log.losses) if not np.isfinite(v)) + 1
    per_epoch = -(-len(X) // reg.batch_size)
    message = str(info.value)
    assert f"optimizer step {first_bad} (epoch {(first_bad - 1) // per_epoch + 1})" in message
    assert "standardize_target=True" in message and "TransformedTargetRegressor" in message
    assert "learning rate" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, FloatingPointError)
    # resuming would diverge again: the run's checkpoint is not kept
    assert not (tmp_path / "sk_prnet_checkpoint.pt").exists()


def test_the_suggested_fix_trains(fast):
    X, y = load_diabetes(return_X_y=True)
    reg = PRNetRegressor(**dict(fast, max_epochs=3, lr=1e-3))
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), reg), transformer=StandardScaler()
    ).fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_classifier_divergence_names_the_learning_rate(eeg_like, fast):
    X, y, _, _ = eeg_like
    with pytest.raises(TrainingDivergedError, match=r"lr=1e\+30") as info:
        PRNetClassifier(**dict(fast, lr=1e30, max_epochs=2)).fit(X * 1e6, y[:, 0])
    assert "standardize_target" not in str(info.value)  # no targets to scale


@pytest.mark.parametrize("Est", [PRNetClassifier, PRNetRegressor, RankNetRegressor])
def test_zero_epochs_is_refused(Est, eeg_like):
    X, y, _, _ = eeg_like
    with pytest.raises(ValueError, match="max_epochs must be an integer >= 1, got 0"):
        Est(max_epochs=0, device="cpu").fit(X, y[:, 0])
    with pytest.raises(ValueError, match="max_steps must be an integer >= 1, got 0"):
        Est(max_steps=0, device="cpu").fit(X, y[:, 0])


def test_standardize_target_trains_the_unscaled_target_and_predicts_its_scale(fast):
    X, y = load_diabetes(return_X_y=True)
    reg = PRNetRegressor(standardize_target=True, **dict(fast, max_epochs=3, lr=1e-3))
    pred = make_pipeline(StandardScaler(), reg).fit(X, y).predict(X)
    assert np.isfinite(pred).all()
    np.testing.assert_allclose([reg.target_mean_[0], reg.target_scale_[0]], [y.mean(), y.std()])
    assert abs(pred.mean() - y.mean()) < 0.5 * y.std()  # on y's scale, not around 0


def test_standardized_fit_is_scale_equivariant_with_epsilon_in_target_units(eeg_like, fast):
    X, _, ratings, _ = eeg_like
    y = ratings[:, 0]
    kw = dict(fast, max_epochs=3, standardize_target=True)
    base = PRNetRegressor(epsilon=0.5, **kw).fit(X, y).predict(X)
    # 4 * y with 4 * epsilon: the same standardized task and the same pair relations, so the
    # same network; predictions on the new scale (x4 is exact in floating point)
    scaled = PRNetRegressor(epsilon=2.0, **kw).fit(X, 4 * y).predict(X)
    np.testing.assert_array_equal(scaled, 4 * base)
    # epsilon is not rescaled for you: on 4 * y, epsilon 0.5 ranks other pairs as similar
    other = PRNetRegressor(epsilon=0.5, **kw).fit(X, 4 * y).predict(X)
    assert not np.allclose(other, 4 * base)
    # a later fit without it predicts raw outputs again (no stale scale)
    reg = PRNetRegressor(**kw).fit(X, y)
    reg.set_params(standardize_target=False).fit(X, y)
    assert not hasattr(reg, "target_mean_")
    with pytest.raises(ValueError, match="standardize_target must be True or False"):
        PRNetRegressor(**dict(kw, standardize_target="yes")).fit(X, y)
