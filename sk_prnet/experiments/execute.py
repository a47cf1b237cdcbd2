"""The executor: fit and score one :class:`~sk_prnet.experiments.protocol.FitTask`."""

import hashlib
import re
import signal
import time
from functools import partial

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, root_mean_squared_error

from ..metrics import concordance_correlation_coefficient, pearson_r
from .devices import unit_device, worker_index
from .interrupt import StopRequest
from .protocol import network_of

__all__ = ["METRICS", "estimator_settings", "run_task", "set_unit_device", "task_result"]

#: The metrics a :class:`~sk_prnet.experiments.protocol.FitTask` may name:
#: ``name -> f(y_true, y_pred)`` for one target.
METRICS = {
    "accuracy": accuracy_score,
    "f1": partial(f1_score, average="macro"),
    "rmse": root_mean_squared_error,
    "pcc": pearson_r,
    "ccc": concordance_correlation_coefficient,
}


def estimator_settings(estimator, named=()):
    """Fingerprint of every parameter of a unit's estimator.

    ``alpha``, ``epsilon``, ``random_state`` and ``device`` are left out (they vary between
    the units of one run, or do not change a result), and so are the ``named`` settings
    (recorded on their own). The fingerprint catches what the named settings do not: a
    changed default (batch size, momentum, feature selection, loss reduction...) between two
    checkouts of one package version.

    Parameters
    ----------
    estimator : estimator
        An experiment's
        :meth:`~sk_prnet.experiments.protocol.Experiment.reference_estimator`.
    named : collection of str
        Parameter names the unit's settings already hold (e.g. ``max_epochs``, ``lr``).

    Returns
    -------
    fingerprint : str
        12 hexadecimal digits.
    """
    items = []
    for name, value in sorted(estimator.get_params(deep=True).items()):
        leaf = name.rsplit("__", 1)[-1]
        if leaf in ("alpha", "epsilon", "random_state", "device") or leaf in named:
            continue
        if hasattr(value, "get_params"):  # its parameters are items of their own
            text = type(value).__qualname__
        elif callable(value):  # classes and functions by name, never by address
            text = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
        else:
            text = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))
        items.append(f"{name}={text}")
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:12]


def _device(requested, images):
    import torch

    count = torch.cuda.device_count()
    kind = "images" if images else "tabular"
    worker = worker_index() if requested == "auto" and images and count else 0
    return unit_device(requested, kind, worker, count)


def _set_device(estimator, device):
    """Set every ``device`` parameter of ``estimator`` (the network's, wherever it sits)."""
    names = [k for k in estimator.get_params(deep=True) if k.rsplit("__", 1)[-1] == "device"]
    estimator.set_params(**dict.fromkeys(names, device))


def _scores(task, y_pred):
    y_true = np.asarray(task.y_test).reshape(len(task.y_test), -1)
    y_pred = np.asarray(y_pred).reshape(len(y_pred), -1)
    out = {}
    for j, target in enumerate(task.targets):
        for metric in task.metrics:
            out[(target, metric)] = float(METRICS[metric](y_true[:, j], y_pred[:, j]))
    return out


def run_task(task, device="auto"):
    """Fit and evaluate one unit (single-threaded torch); return its results.

    Parameters
    ----------
    task : FitTask
        What to fit and score (its estimator is fitted in place).
    device : str, default="auto"
        ``--device``: ``"auto"`` applies :func:`sk_prnet.experiments.devices.unit_device`'s
        policy (CPU for the small EEG/regression nets, a GPU per worker for images).

    Returns
    -------
    result : dict
        ``unit``, ``metrics`` ({(target, metric): value}), ``wall_time``, ``versions``,
        ``interrupted`` (the signal number if a SIGINT/SIGTERM arrived during the unit or
        the estimator reports ``interrupted_``, else ``None``: the runner never stores such a
        result).
    """
    import sklearn
    import torch

    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # units run in parallel; tiny nets are fastest on one thread
    model = task.estimator
    # A signal during the unit is recorded here (in a loky worker, or chained to the runner's
    # handler in its own process): the fit may swallow the KeyboardInterrupt and return.
    try:
        with (
            StopRequest(chain=True) as watch,
            sklearn.config_context(enable_metadata_routing=True),
        ):
            set_unit_device(model, device, task.images)
            model.fit(task.X_train, task.y_train, **task.fit_params)
            result = task_result(task, model, start, watch.signum)
    finally:
        torch.set_num_threads(threads)
    return result


def set_unit_device(estimator, device, images):
    """Set every ``device`` parameter of a unit's ``estimator`` to the ``--device`` policy's.

    Parameters
    ----------
    estimator : estimator
        A task's unfitted estimator (changed in place).
    device : str
        ``--device`` (``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``).
    images : bool
        Whether the unit trains a CNN on images (:attr:`FitTask.images`).
    """
    _set_device(estimator, _device(device, images))


def task_result(task, model, start, signum=None):
    """Score a task's fitted ``model`` on its test data: the result the runner stores.

    Shared by :func:`run_task` and the batched executor
    (:func:`sk_prnet.experiments.batching.run_group`), so that both score a unit alike.

    Parameters
    ----------
    task : FitTask
        The unit's task.
    model : estimator
        Its estimator, fitted.
    start : float
        :func:`time.perf_counter` when the unit started (its ``wall_time`` ends after the
        predictions).
    signum : int or None, default=None
        A signal received while the unit ran.

    Returns
    -------
    result : dict
        ``unit``, ``metrics`` ({(target, metric): value}), ``wall_time``, ``versions``,
        ``interrupted`` (``signum``, or SIGINT when the network reports ``interrupted_``, else
        ``None``: the runner never stores such a result).
    """
    import torch

    import sk_prnet

    pred = model.predict(task.X_test)
    net = network_of(model)
    interrupted = signum
    if interrupted is None and getattr(net, "interrupted_", False):
        interrupted = int(signal.SIGINT)
    versions = {
        "package_version": sk_prnet.__version__,
        "torch_version": torch.__version__,
        "device": str(getattr(net, "device_", "cpu")),
    }
    return {
        "unit": task.unit,
        "metrics": _scores(task, pred),
        "wall_time": time.perf_counter() - start,
        "versions": versions,
        "interrupted": interrupted,
    }
