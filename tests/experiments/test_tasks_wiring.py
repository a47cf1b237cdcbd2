"""What a unit's result holds: its scores are the scores of its test predictions, and an
interrupted fit is marked so that the runner never stores it as finished."""

import signal
import time
import warnings

import numpy as np
import torch
from interrupting import InterruptAtEpoch
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sk_prnet
from sk_prnet import PRNetClassifier, PRNetRegressor, TrainingInterruptedWarning
from sk_prnet.experiments import FitTask
from sk_prnet.experiments.execute import run_task, task_result


def _task(callbacks=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = np.stack([X[:, 0] > 0, X[:, 1] + 0.5 * rng.normal(size=120) > 0], axis=1).astype(int)
    net = PRNetClassifier(max_epochs=3, batch_size=20, module__hidden_sizes=(8,), alpha=1.0,
                          random_state=seed, callbacks=callbacks)  # fmt: skip
    return FitTask(
        unit={"name": "toy", "fold": 0}, estimator=net, X_train=X[:80], y_train=y[:80],
        X_test=X[80:], y_test=y[80:], targets=["a", "b"], metrics=("accuracy", "f1"),
    )  # fmt: skip


def test_a_units_metrics_are_those_of_its_test_predictions_per_target():
    task = _task()
    result = run_task(task, device="cpu")
    pred = task.estimator.predict(task.X_test)
    expected = {}
    for j, target in enumerate(["a", "b"]):
        expected[(target, "accuracy")] = accuracy_score(task.y_test[:, j], pred[:, j])
        expected[(target, "f1")] = f1_score(task.y_test[:, j], pred[:, j], average="macro")
    assert result["metrics"].keys() == expected.keys()
    for key, value in expected.items():
        assert isinstance(result["metrics"][key], float)
        np.testing.assert_allclose(result["metrics"][key], value, rtol=1e-12)
    assert result["unit"] == task.unit and result["interrupted"] is None
    assert result["wall_time"] > 0 and result["versions"]["device"] == "cpu"


def test_an_interrupted_fit_is_marked_as_interrupted_not_finished():
    task = _task(callbacks=[InterruptAtEpoch(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingInterruptedWarning)
        result = run_task(task, device="cpu")
    assert task.estimator.interrupted_
    assert result["interrupted"] == int(signal.SIGINT)


def test_a_signal_received_during_the_unit_is_kept_in_its_result():
    task = _task()
    task.estimator.fit(task.X_train, task.y_train)
    start = time.perf_counter()
    assert task_result(task, task.estimator, start)["interrupted"] is None
    assert task_result(task, task.estimator, start, int(signal.SIGTERM))["interrupted"] == int(
        signal.SIGTERM
    )


def test_a_result_records_the_versions_device_and_time_of_its_unit():
    # the report prints these per configuration; the wall time is the unit's own
    task = _task()
    before = time.perf_counter()
    result = run_task(task, device="cpu")
    elapsed = time.perf_counter() - before
    assert result["versions"] == {
        "package_version": sk_prnet.__version__,
        "torch_version": torch.__version__,
        "device": "cpu",
    }
    assert 0 < result["wall_time"] <= elapsed


def test_a_network_that_is_not_a_prnet_is_scored_and_not_marked_interrupted():
    # the executor fits any scikit-learn estimator; one without ``interrupted_`` or
    # ``device_`` is a finished unit that ran on the CPU
    task = _task()
    y = task.y_train[:, 0]
    model = make_pipeline(StandardScaler(), LogisticRegression())
    task = FitTask(
        unit={"name": "plain", "fold": 0}, estimator=model, X_train=task.X_train, y_train=y,
        X_test=task.X_test, y_test=task.y_test[:, 0], targets=["a"], metrics=("accuracy",),
    )  # fmt: skip
    result = run_task(task, device="cpu")
    assert result["interrupted"] is None
    assert result["versions"]["device"] == "cpu"
    expected = accuracy_score(task.y_test, model.predict(task.X_test))
    assert result["metrics"] == {("a", "accuracy"): expected}


def test_an_interrupted_network_inside_a_target_transformer_is_marked():
    # the regression experiments wrap their pipeline in a TransformedTargetRegressor, which
    # fits a clone: the flag is read from the fitted clone, not the unfitted template
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 5)).astype(np.float32)
    y = X[:, 0] + 0.1 * rng.normal(size=100)
    net = PRNetRegressor(max_epochs=3, batch_size=20, module__hidden_sizes=(8,),
                         random_state=0, callbacks=[InterruptAtEpoch(1)])  # fmt: skip
    model = TransformedTargetRegressor(make_pipeline(StandardScaler(), net),
                                       transformer=StandardScaler())  # fmt: skip
    task = FitTask(
        unit={"name": "ttr", "fold": 0}, estimator=model, X_train=X[:80], y_train=y[:80],
        X_test=X[80:], y_test=y[80:], targets=["y"], metrics=("rmse",),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingInterruptedWarning)
        result = run_task(task, device="cpu")
    assert result["interrupted"] == int(signal.SIGINT)
