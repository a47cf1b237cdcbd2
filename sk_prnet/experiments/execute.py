"""Running one unit of an experiment: build the model, fit, predict, score."""

import hashlib
import re
import signal
import time

import numpy as np

from .devices import IMAGE_KINDS, unit_device, worker_index
from .interrupt import StopRequest
from .units import recipe_factory

__all__ = ["run_unit"]


def _build(spec, device="cpu"):
    net_params = {"alpha": spec["alpha"], "random_state": spec["random_state"], "device": device}
    if spec.get("max_epochs") is not None:
        net_params["max_epochs"] = spec["max_epochs"]
    if spec["alpha"] and spec.get("epsilon") is not None:
        net_params["epsilon"] = spec["epsilon"]
    if spec["alpha"] and spec.get("pairing", "split") != "split":
        net_params["pairing"] = spec["pairing"]
    if spec["kind"] == "images" and spec.get("model") == "ranknet":  # paper Section IV-C
        from ..estimators import RankNetRegressor

        net = RankNetRegressor(
            module="vgg", weight_decay=1e-4, max_steps=spec["max_steps"],
            batch_size=spec["batch_size"], augment=spec["augment"],
            random_state=spec["random_state"], device=device,
        )  # fmt: skip
        return net, net
    if spec["kind"] == "images":  # paper Section IV-A: VGG, FC 256 heads, SGD wd 1e-4
        from ..estimators import PRNetRegressor

        net = PRNetRegressor(
            module="vgg", module__task_hidden=256, module__ranking_hidden=256,
            weight_decay=1e-4, max_steps=spec["max_steps"], batch_size=spec["batch_size"],
            augment=spec["augment"], **net_params,
        )  # fmt: skip
        return net, net
    if spec["kind"] == "regression":
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        from ..estimators import PRNetRegressor

        net = PRNetRegressor(lr=spec["lr"], **net_params)
        pipe = Pipeline([("scale", StandardScaler()), ("prnet", net)])
        return TransformedTargetRegressor(pipe, transformer=StandardScaler()), net
    factory = recipe_factory(spec["kind"], spec["recipe"])
    if spec["kind"] == "deap":
        pipe = factory(request_ranking_target=True, **net_params)
        if spec.get("skip_features"):
            pipe = pipe[1:]
    else:
        pipe = factory(**net_params)
    return pipe, pipe.steps[-1][1]


def estimator_settings(spec, named=()):
    """Fingerprint of every parameter of the model a unit of ``spec`` builds.

    ``alpha``, ``epsilon``, ``random_state`` and ``device`` are left out (they vary between
    the units of one run, or do not change a result), and so are the ``named`` settings
    (recorded on their own). The fingerprint catches what the named settings do not: a
    changed default (batch size, momentum, feature selection, loss reduction...) between two
    checkouts of one package version.

    Parameters
    ----------
    spec : dict
        An experiment's ``model_spec()``.
    named : collection of str
        Parameter names the unit's settings already hold (e.g. ``max_epochs``, ``lr``).

    Returns
    -------
    fingerprint : str
        12 hexadecimal digits.
    """
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):  # the DEAP recipe routes
        model, _ = _build(dict(spec, alpha=1.0, epsilon=None), device="cpu")
    items = []
    for name, value in sorted(model.get_params(deep=True).items()):
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


def _device(requested, kind):
    import torch

    count = torch.cuda.device_count()
    worker = worker_index() if requested == "auto" and kind in IMAGE_KINDS and count else 0
    return unit_device(requested, kind, worker, count)


def _metrics(spec, y_true, y_pred):
    from sklearn.metrics import accuracy_score, f1_score, root_mean_squared_error

    from ..metrics import concordance_correlation_coefficient, pearson_r

    y_true = np.asarray(y_true).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred).reshape(len(y_pred), -1)
    out = {}
    for j, target in enumerate(spec["targets"]):
        t, p = y_true[:, j], y_pred[:, j]
        if spec.get("model") == "ranknet":  # scores without a scale: PCC only (the paper)
            out[(target, "pcc")] = pearson_r(t, p)
        elif spec["kind"] in ("regression", "images"):
            out[(target, "rmse")] = root_mean_squared_error(t, p)
            out[(target, "pcc")] = pearson_r(t, p)
            out[(target, "ccc")] = concordance_correlation_coefficient(t, p)
        else:
            out[(target, "accuracy")] = accuracy_score(t, p)
            out[(target, "f1")] = f1_score(t, p, average="macro")
    return {k: float(v) for k, v in out.items()}


def run_unit(unit, spec, X, y, rank, train, test, device="auto"):
    """Fit and evaluate one unit (single-threaded torch); return its results.

    Parameters
    ----------
    unit : dict
        The unit's identity (returned unchanged).
    spec : dict
        What to build: ``kind`` (``"deap"``, ``"seed"``, ``"regression"``), ``alpha``,
        ``epsilon``, ``random_state``, ``max_epochs``, ``targets``, ...
    X, y : ndarray
        All samples of the subject (or dataset); ``train``/``test`` index them.
    rank : ndarray or None
        ``ranking_target`` (DEAP ratings), routed to the network.
    train, test : ndarray of int
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

    import sk_prnet

    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # units run in parallel; tiny nets are fastest on one thread
    net = None
    # A signal during the unit is recorded here (in a loky worker, or chained to the runner's
    # handler in its own process): the fit may swallow the KeyboardInterrupt and return.
    try:
        with (
            StopRequest(chain=True) as watch,
            sklearn.config_context(enable_metadata_routing=True),
        ):
            model, net = _build(spec, _device(device, spec["kind"]))
            if spec["kind"] == "images":  # (train, validation) arrays, used in place
                (X_fit, X_test), (y_fit, y_test) = X, y
            else:
                X_fit, y_fit, X_test, y_test = X[train], y[train], X[test], y[test]
            fit_params = {} if rank is None else {"ranking_target": rank[train]}
            model.fit(X_fit, y_fit, **fit_params)
            pred = model.predict(X_test)
        if spec["kind"] == "regression":
            net = model.regressor_.named_steps["prnet"]
        elif spec["kind"] != "images":
            net = model.steps[-1][1]
    finally:
        torch.set_num_threads(threads)
    interrupted = watch.signum
    if interrupted is None and getattr(net, "interrupted_", False):
        interrupted = int(signal.SIGINT)
    versions = {
        "package_version": sk_prnet.__version__,
        "torch_version": torch.__version__,
        "device": str(getattr(net, "device_", "cpu")),
    }
    return {
        "unit": unit,
        "metrics": _metrics(spec, y_test, pred),
        "wall_time": time.perf_counter() - start,
        "versions": versions,
        "interrupted": interrupted,
    }
