"""The batched executor: fit a group of units' networks as one batched model (issue 15).

A unit's estimator is usually a pipeline (feature steps, selector, scaler, then the PRNet),
possibly inside a ``TransformedTargetRegressor``. :func:`run_group` fits each unit's
estimator with its own ``fit`` up to the network: the network is stood in for by
:class:`_Deferred`, which records the data the network's ``fit`` would receive (the
transformed inputs, the transformed target and the routed fit parameters). The recorded
networks are then trained together by :func:`sk_prnet.fit_batched`, each fitted network is
put in place of its stand-in as soon as it finishes (``on_fitted``), and the whole fitted
estimator is scored by :func:`~sk_prnet.experiments.execute.task_result`, exactly as
:func:`~sk_prnet.experiments.execute.run_task` scores a unit fitted on its own. A network
that the batched engine does not support is fitted with its own ``fit`` (fallback).
"""

import signal
import time

import numpy as np
from sklearn.base import BaseEstimator

from .execute import run_task, set_unit_device, task_result
from .interrupt import StopRequest

__all__ = ["group_tasks", "run_group", "run_units"]

#: Most units in one group (the default of ``--batch-units``): about the fastest number of
#: the paper's EEG networks at once (docs/performance.md), and one DEAP subject's units of
#: Table IV; and about the most bytes of training inputs a group holds (a worker also holds
#: the pipelines' transformed copies and the engine's float32 copy of them): 64 MiB keeps
#: the paper's Table IV at groups of 20 (~1 MiB a unit) and the authors' 0.25 s step
#: (~15 MiB a unit) at 5, under 2 GB for a run with two workers (docs/performance.md).
GROUP_UNITS = 20
GROUP_BYTES = 64 * 2**20


class _Deferred(BaseEstimator):
    """Stands in for a network during its pipeline's ``fit``: records what it is given.

    Its metadata requests are the network's, so the pipeline routes it the same fit
    parameters (e.g. ``ranking_target``).
    """

    def __init__(self, net=None):
        self.net = net

    def fit(self, X, y=None, **fit_params):
        self.fit_args_ = (X, y, fit_params)
        return self

    def predict(self, X):  # validation of the containers asks for one; never called
        raise RuntimeError("A stand-in network cannot predict; it is replaced once trained.")

    def get_metadata_routing(self):
        return self.net.get_metadata_routing()


def _is_leaf(estimator):
    return not hasattr(estimator, "steps") and not hasattr(estimator, "regressor")


def _swap_network(estimator, replace, fitted=False):
    """Put ``replace(net)`` in place of the network at the end of ``estimator``.

    Walks the same path as :func:`~sk_prnet.experiments.protocol.network_of`: through
    target transformers (``regressor``, or the fitted ``regressor_``) and pipelines'
    last steps. A bare network (no container) is not swapped: ``None`` is returned.
    """
    while True:
        attr = "regressor_" if fitted and hasattr(estimator, "regressor_") else "regressor"
        inner = getattr(estimator, attr, None)
        if inner is not None:
            if _is_leaf(inner):
                setattr(estimator, attr, replace(inner))
                return inner
            estimator = inner
        elif hasattr(estimator, "steps"):
            name, last = estimator.steps[-1]
            if _is_leaf(last):
                estimator.steps[-1] = (name, replace(last))
                return last
            estimator = last
        else:
            return None


def _deferred_fit(task):
    """Fit ``task.estimator`` up to its network; return (network, X, y, fit params)."""
    model = task.estimator
    if _is_leaf(model):  # a bare network: it gets the task's data as is
        return model, task.X_train, task.y_train, dict(task.fit_params)
    _swap_network(model, _Deferred)
    model.fit(task.X_train, task.y_train, **task.fit_params)
    stand_in = _swap_network(model, lambda d: d.net, fitted=True)
    # the unfitted template (a target transformer's ``regressor``) gets its network back too
    _swap_network(model, lambda d: d.net if isinstance(d, _Deferred) else d)
    X, y, params = stand_in.fit_args_
    return stand_in.net, X, y, params


def run_group(tasks, device="auto", on_result=None):
    """Fit and evaluate a group of units, their networks trained as one batched model.

    Every unit gets the result :func:`~sk_prnet.experiments.execute.run_task` would give
    it (the same fitted estimator up to float32 rounding, scored by the same code). Units on
    images (:attr:`FitTask.images`) run one by one with ``run_task``.

    Parameters
    ----------
    tasks : list of FitTask
        The group's tasks (their estimators are fitted in place; their ``X_train`` and
        ``y_train`` are released once the network's inputs are computed).
    device : str, default="auto"
        ``--device`` (see :func:`~sk_prnet.experiments.execute.run_task`).
    on_result : callable or None, default=None
        Called with each unit's result as soon as its network is fitted and scored (the
        runner stores it there). ``None``: the results are returned.

    Returns
    -------
    results : list of dict
        The results not handed to ``on_result`` (all of them without it), as
        :func:`~sk_prnet.experiments.execute.run_task` returns them; a unit's
        ``wall_time`` is its share of the group's wall time. After a SIGINT/SIGTERM in a
        worker process (no ``on_result``), one result with ``interrupted`` set stands for
        the whole group, which is then never stored.

    Raises
    ------
    KeyboardInterrupt
        With ``on_result``, on an interrupt: the results already handed over are
        finished units, the others were not.
    """
    import sklearn
    import torch

    from ..estimators import fit_batched

    results = []
    deliver = results.append if on_result is None else on_result
    single = [t for t in tasks if t.images]
    tasks = [t for t in tasks if not t.images]
    for task in single:
        deliver(run_task(task, device))
    if not tasks:
        return results
    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # groups run in parallel, like units
    try:
        with (
            StopRequest(chain=on_result is not None) as watch,
            sklearn.config_context(enable_metadata_routing=True),
        ):
            nets, X_list, y_list, params = [], [], [], []
            for task in tasks:
                set_unit_device(task.estimator, device, task.images)
                net, X, y, fit_params = _deferred_fit(task)
                if X is not task.X_train:  # the network's own inputs are kept: not these
                    task.X_train = task.y_train = None
                nets.append(net)
                X_list.append(X)
                y_list.append(y)
                params.append(fit_params)

            def fitted(i, net):
                task = tasks[i]  # ``net`` already sits in its fitted estimator
                result = task_result(task, task.estimator, start, watch.signum)
                result["wall_time"] = (time.perf_counter() - start) / len(tasks)
                X_list[i] = y_list[i] = None  # free the unit's data
                deliver(result)

            fit_batched(nets, X_list, y_list, fit_params_list=params, fallback=True,
                        on_fitted=fitted)  # fmt: skip
    except KeyboardInterrupt:
        if on_result is not None:
            raise
        # a worker: nothing of the group is stored after a stop request
        return [{"unit": None, "interrupted": watch.signum or int(signal.SIGINT)}]
    finally:
        torch.set_num_threads(threads)
    return results


def run_units(experiment, units, device="auto"):
    """Build the tasks of ``units`` here (in a worker) and run them as :func:`run_group`.

    The features of the units' data are then computed by the workers in parallel, not by
    the runner's process one subject after the other.

    Parameters
    ----------
    experiment : Experiment
        Its :meth:`~sk_prnet.experiments.protocol.Experiment.task` builds each unit's task.
    units : list of dict
        Units of its plan.
    device : str, default="auto"

    Returns
    -------
    results : list of dict
        As :func:`run_group` returns them (groups of at most ``len(units)`` units and
        about 64 MiB of training inputs).
    """
    results = []
    with StopRequest() as watch:
        try:
            tasks = (experiment.task(u) for u in units)
            for group in group_tasks(tasks, max_units=len(units)):
                results += run_group(group, device)
        except KeyboardInterrupt:  # while building the tasks: nothing of the group is stored
            return [{"unit": None, "interrupted": watch.signum or int(signal.SIGINT)}]
    return results


def _train_bytes(task):
    return int(getattr(task.X_train, "nbytes", 0) or np.asarray(task.X_train).nbytes)


def group_tasks(tasks, n_jobs=1, n_units=None, max_units=GROUP_UNITS, max_bytes=GROUP_BYTES,
                size_of=_train_bytes):  # fmt: skip
    """Cut a stream of tasks into groups for :func:`run_group` (lazily).

    A group ends when it holds ``max_units`` units, or training inputs of about
    ``max_bytes`` (memory stays bounded however many units a run has), or, with several
    workers, about ``n_units / n_jobs`` units (every worker gets work).

    Parameters
    ----------
    tasks : iterable of FitTask
    n_jobs : int, default=1
        Workers the groups are spread over.
    n_units : int or None, default=None
        How many tasks the stream holds (``None``: unknown).
    max_units : int, default=20
    max_bytes : int, default=64 MiB
    size_of : callable, default: the bytes of ``X_train``
        The bytes of an item (``lambda unit: 0`` groups units by number only).

    Yields
    ------
    group : list of FitTask
    """
    size = max_units
    if n_units and n_jobs and n_jobs > 1:
        size = max(1, min(size, -(-n_units // n_jobs)))
    group, nbytes = [], 0
    for task in tasks:
        group.append(task)
        nbytes += size_of(task)
        if len(group) >= size or nbytes >= max_bytes:
            yield group
            group, nbytes = [], 0
    if group:
        yield group
