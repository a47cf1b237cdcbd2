"""What a unit's result holds: its scores are the scores of its test predictions, and an
interrupted fit is marked so that the runner never stores it as finished."""

import signal
import time
import warnings

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from skorch.callbacks import Callback

from sk_prnet import PRNetClassifier, TrainingInterruptedWarning
from sk_prnet.experiments import FitTask
from sk_prnet.experiments.execute import run_task, task_result


class InterruptAtEpoch(Callback):
    """Raises KeyboardInterrupt at the end of epoch ``epoch`` (as a Ctrl-C there would)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


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
