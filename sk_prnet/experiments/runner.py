"""Run an experiment's units in parallel and write each finished unit to the results store.

The runner plans the experiment's units, records the plan in the store, skips the units
already finished and runs exactly the missing ones (joblib with the loky backend, or Dask's
distributed scheduler through joblib). Workers return their results to this process, which
writes each unit in one transaction as soon as it arrives, so an interruption (Ctrl-C, a
kill, a crash) loses at most the units in flight; running the same command again resumes.
SIGINT and SIGTERM stop the whole run at once, and a unit that comes back after the signal is
never written (:mod:`.interrupt`): a fit cut short must not pass for a finished one.

Several runners may share a store: units claimed by another live run are left to it in a
first pass and picked up in a second pass if still missing, and the store's unique unit key
makes a duplicate impossible.
"""

import json
import logging
import shlex
import signal
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from joblib import Parallel, delayed

from .batching import GROUP_UNITS, group_tasks, run_group, run_units
from .config import config_key, config_labels
from .devices import parse_device
from .execute import estimator_settings, run_task
from .interrupt import StopRequest, exit_code, signal_name
from .protocol import ExperimentError
from .store import ResultsStore, unit_key

__all__ = ["RunInterrupted", "RunReport", "describe_unit", "run_experiment"]


class RunInterrupted(KeyboardInterrupt):
    """Raised by :func:`run_experiment` on SIGINT/SIGTERM, after the store was left consistent.

    Parameters
    ----------
    report : RunReport
        What the interrupted run had done (units finished, missing, how to resume).
    signum : int, default=signal.SIGINT
        The signal that stopped the run; :attr:`exit_code` is ``128 + signum``.
    """

    def __init__(self, report, signum=signal.SIGINT):
        super().__init__(report.message())
        self.report = report
        self.signum = int(signum)

    @property
    def exit_code(self):
        """130 for SIGINT, 143 for SIGTERM."""
        return exit_code(self.signum)


@dataclass
class RunReport:
    """What a run did.

    Parameters
    ----------
    experiment, store : str
        The experiment's name and the results store's path.
    planned : int
        Units in the plan.
    already_done : int
        Finished before this run started.
    ran : int
        Finished (and written) by this run.
    missing : int
        Still missing at the end.
    seconds : float
        Wall time of the run.
    command : str or None
        The command line that resumes the run.
    unit_seconds : list of float
        Wall time of each unit this run wrote.
    signal : str or None
        ``"SIGINT"`` or ``"SIGTERM"`` when the run was stopped by a signal.
    note : str or None
        Set when the store holds other configurations of the experiment (other settings).
    """

    experiment: str
    store: str
    planned: int
    already_done: int
    ran: int = 0
    missing: int = 0
    seconds: float = 0.0
    command: str | None = None
    unit_seconds: list = field(default_factory=list)
    signal: str | None = None
    note: str | None = None

    def message(self):
        """One paragraph for the user."""
        done = self.planned - self.missing
        text = (
            f"{self.experiment}: {done}/{self.planned} units in {self.store} "
            f"({self.ran} run now, {self.already_done} before) in {self.seconds:.1f} s."
        )
        if self.missing:
            again = self.command or "the same 'sk-prnet run ...' command"
            text += (
                f" {self.missing} unit(s) missing: finished units are kept; run {again} "
                "again to compute only the missing ones."
            )
        if self.note:
            text += " " + self.note
        return text


def _other_configurations(name, units, done):
    """A note when the store holds units of ``name`` run with other settings (kept apart)."""
    mine = {config_key(u) for u in units}
    datasets = {u["dataset"] for u in units}
    stored = (json.loads(k) for k in done)
    others = {config_key(u) for u in stored if u["dataset"] in datasets} - mine
    if not others:
        return None
    labels = config_labels(sorted(mine | others))
    differ = sorted({part.split("=")[0] for k in others for part in labels[k].split(", ")})
    return (
        f"note: the store already holds {len(others)} other configuration(s) of {name} "
        f"(other {', '.join(differ)}); this run's units are kept and reported apart from "
        "them, never averaged together."
    )


def _picklable(experiment):
    """Whether ``experiment`` can be sent to a worker (joblib and Dask use cloudpickle)."""
    try:  # joblib >= 1.6 uses the cloudpickle package, older ones their own copy
        import cloudpickle
    except ImportError:  # pragma: no cover
        from joblib.externals import cloudpickle
    try:
        cloudpickle.dumps(experiment)
    except Exception:  # noqa: BLE001 -- any failure: build the tasks here instead
        return False
    return True


def describe_unit(unit):
    """Short text of a unit's identity, e.g. ``deap s01 fold 3 PRNet (alpha=1, eps=0.25)``."""
    parts = [unit["experiment"]]
    if unit.get("subject") is not None:
        parts.append(f"s{unit['subject']:02d}")
    if unit.get("session") is not None:
        parts.append(f"session {unit['session']}")
    if unit.get("repeat") is not None:
        parts.append(f"repeat {unit['repeat']}")
    if unit.get("fold") is not None:
        parts.append(f"fold {unit['fold']}")
    parts.append(unit["model"])
    if unit.get("params", {}).get("cutoff", False) is not False:
        c = unit["params"]["cutoff"]
        parts.append("c=full" if c is None else f"c={c:g}")
    return " ".join(parts)


@contextmanager
def _quiet_loggers(quiet, names=("tornado.application", "distributed", "asyncio")):
    """Silence the named loggers inside the block when ``quiet`` (levels restored after)."""
    loggers = [logging.getLogger(n) for n in names] if quiet else []
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _dask_client(scheduler, n_workers):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise ExperimentError(
            "--backend dask needs dask.distributed: pip install 'sk-prnet[dask]'"
        ) from err
    if scheduler:
        try:
            return Client(scheduler, timeout=30), None
        except OSError as err:
            raise ExperimentError(f"Cannot reach the Dask scheduler {scheduler!r}: {err}") from err
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster


def run_experiment(
    experiment,
    store,
    *,
    n_jobs=1,
    backend="loky",
    scheduler=None,
    progress=True,
    command=None,
    log=None,
    device="auto",
    batched=True,
    batch_units=None,
):
    """Run the missing units of ``experiment`` and write each to ``store`` when it finishes.

    Parameters
    ----------
    experiment : Experiment
        An :class:`~sk_prnet.experiments.protocol.Experiment` (``name``, ``plan()``,
        ``task(unit)``, and optionally ``reference_estimator()``).
    store : str, Path or ResultsStore
        The SQLite results store (created if missing).
    n_jobs : int, default=1
        Parallel units (loky processes); with ``backend="dask"`` and no ``scheduler``, the
        number of workers of the local cluster (at least 2).
    backend : {"loky", "dask"}, default="loky"
    scheduler : str or None
        Address of a running Dask scheduler (``backend="dask"``); ``None`` starts a
        ``LocalCluster`` (processes, one thread each).
    progress : bool, default=True
        tqdm progress bar (with ETA); ``False`` logs one plain line per unit.
    command : str or None
        The command line, recorded with the run and shown in the resume hint.
    log : callable or None
        Where plain log lines go (default: print to stderr).
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        Where the units train; ``"auto"``: the CPU for the EEG/regression networks, a GPU
        per worker for image units when CUDA exists (see
        :func:`sk_prnet.experiments.devices.unit_device`). Not part of a unit's identity;
        the device each unit used is recorded with it.
    batched : bool, default=True
        Train the networks of a group of units as one batched model
        (:func:`sk_prnet.fit_batched`, see :mod:`sk_prnet.experiments.batching`): the same
        units, results and store as ``False`` (one ``fit`` per unit), to float32 rounding,
        in a fraction of the time. Each worker trains one group at a time; in a single
        process (``n_jobs=1``, loky) each unit is stored as soon as its network is
        trained, with several workers when its group is done. Units whose networks the
        batched engine does not support (e.g. the VGG on images) run one by one.
    batch_units : int or None, default=None
        Most units in a group (``batched``); ``None``: 20 (about the fastest for the
        paper's EEG networks), fewer when several workers share the units, or when the
        group's training data would pass about 64 MiB. Smaller groups store finished
        units more often.

    Returns
    -------
    report : RunReport

    Raises
    ------
    ExperimentError
        Bad data directory, unknown subject or recipe, missing Dask.
    sk_prnet.experiments.StoreError
        The store is not an sk_prnet results store.
    ValueError
        A malformed ``device``, or ``batch_units`` not an integer >= 1.
    RunInterrupted
        On SIGINT or SIGTERM (a subclass of KeyboardInterrupt): the run stops at once (loky
        workers are terminated, Dask tasks cancelled), the finished units are in the store,
        and no unit in flight is stored -- not even one whose ``fit`` returned normally after
        catching the interrupt, as skorch's ``fit`` does.
    """
    if log is None:

        def log(text):
            print(text, file=sys.stderr, flush=True)

    # The runner's own record of a stop request: a unit that comes back after it was set is
    # never written, whatever the estimator did with the KeyboardInterrupt.
    stop = StopRequest()
    with stop:
        try:
            return _run(
                experiment, store, stop, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                progress=progress, command=command, log=log, device=parse_device(device),
                batched=batched, batch_units=batch_units,
            )  # fmt: skip
        except RunInterrupted:
            raise
        except KeyboardInterrupt:  # before the units started (planning, opening the store)
            stop.request()
            name = getattr(experiment, "name", "run")
            report = RunReport(name, str(getattr(store, "path", store)), 0, 0, command=command)
            raise RunInterrupted(report, stop.signum) from None


def _run(experiment, store, stop, *, n_jobs, backend, scheduler, progress, command, log,
         device, batched, batch_units):  # fmt: skip
    from tqdm.auto import tqdm

    start = time.perf_counter()
    if batch_units is not None and (
        isinstance(batch_units, bool) or not isinstance(batch_units, int) or batch_units < 1
    ):
        raise ValueError(f"batch_units must be None or an integer >= 1, got {batch_units!r}.")
    units = experiment.plan()
    reference = getattr(experiment, "reference_estimator", lambda: None)()
    if reference is not None:  # defaults of the estimator are settings too
        named = {k for u in units for k in u["params"]}
        estimator = estimator_settings(reference, named)
        units = [dict(u, params={**u["params"], "estimator": estimator}) for u in units]
    # opened once the plan stands: a bad option or data folder leaves no empty store behind
    if not isinstance(store, ResultsStore):
        store = ResultsStore(store)
    run_id = store.start_run(experiment.name, units, command=command)
    done = store.done_keys(experiment.name)
    todo = [u for u in units if unit_key(u) not in done]
    report = RunReport(
        experiment.name, str(store.path), len(units), len(units) - len(todo), command=command
    )
    report.note = _other_configurations(experiment.name, units, done)
    if report.note:
        log(report.note)

    def claimed():  # consumed lazily by joblib, possibly from its dispatch thread
        second_pass = []
        for u in todo:  # first pass: units nobody else is working on
            if stop.requested:
                return
            key = unit_key(u)
            if store.is_done(key):
                continue
            if not store.claim(key, run_id):
                second_pass.append(u)
                continue
            yield u
        for u in second_pass:  # claimed by another run that may have died: do them too
            if stop.requested:
                return
            if not store.is_done(unit_key(u)):
                yield u

    workers = max(2, int(n_jobs or 2)) if backend == "dask" else n_jobs
    in_process = batched and backend == "loky" and n_jobs == 1

    def groups():
        tasks = (experiment.task(u) for u in claimed())
        return group_tasks(tasks, n_jobs=workers, n_units=len(todo),
                           max_units=batch_units or GROUP_UNITS)  # fmt: skip

    def jobs():
        if not batched:
            yield from (delayed(run_task)(experiment.task(u), device=device) for u in claimed())
        elif _picklable(experiment):  # the workers build the tasks (features in parallel)
            units = group_tasks(
                claimed(),
                n_jobs=workers,
                n_units=len(todo),
                max_units=batch_units or GROUP_UNITS,
                size_of=lambda u: 0,
            )
            yield from (delayed(run_units)(experiment, g, device=device) for g in units)
        else:
            yield from (delayed(run_group)(group, device=device) for group in groups())

    def commit(result):  # store one finished unit (in this process, as it arrives)
        if result.get("interrupted"):  # a worker received the signal (or its fit did)
            stop.request(result["interrupted"])
        if stop.requested:  # finished after the stop request: possibly cut short
            raise KeyboardInterrupt
        unit = result["unit"]
        store.add_unit(
            unit,
            result["metrics"],
            wall_time=result["wall_time"],
            versions=result["versions"],
            run_id=run_id,
        )
        report.ran += 1
        report.unit_seconds.append(result["wall_time"])
        bar.update()
        if not progress:
            elapsed = time.perf_counter() - start
            eta = elapsed / report.ran * max(len(todo) - report.ran, 0)
            log(
                f"[{report.ran}/{len(todo)}] {describe_unit(unit)}: "
                f"{result['wall_time']:.1f} s (ETA {eta:.0f} s)"
            )

    bar = tqdm(
        total=len(todo), unit="unit", desc=experiment.name, disable=not progress, file=sys.stderr
    )
    if not progress:
        log(
            f"{experiment.name}: {len(units)} units planned, {len(todo)} to run "
            f"({report.already_done} already in {store.path})."
        )
    client = cluster = results = None
    status = "failed"
    backend_config = ExitStack()  # joblib's Dask backend, closed after the results
    try:
        if backend == "dask":
            import joblib

            client, cluster = _dask_client(scheduler, max(2, int(n_jobs or 2)))
            backend_config.enter_context(joblib.parallel_config(backend="dask"))
            parallel = Parallel(n_jobs=-1, return_as="generator_unordered")
        elif backend == "loky":
            parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        else:
            raise ExperimentError(f"Unknown backend {backend!r}; use 'loky' or 'dask'.")
        if in_process:  # each unit is stored as soon as its network is trained
            for group in groups():
                run_group(group, device=device, on_result=commit)
        else:
            results = parallel(jobs())
            for item in results:  # a unit's result, or a group's list of them
                for result in item if isinstance(item, list) else [item]:
                    commit(result)
        status = "complete"
    except KeyboardInterrupt:
        stop.armed = False  # a second signal must not cut the cleanup short
        stop.request()  # a plain KeyboardInterrupt (from Python code) counts too
        status = "interrupted"
    finally:
        stop.armed = False
        try:
            if results is not None:
                results.close()  # aborts joblib: terminates the loky workers, cancels Dask tasks
            backend_config.close()
            bar.close()
            # an interrupted Dask run closes the client while joblib still scatters the
            # arguments of pending tasks: tornado then logs their CommClosedError tracebacks,
            # noise for a clean stop (the units in flight are refused anyway)
            with _quiet_loggers(status == "interrupted" and client is not None):
                if client is not None:
                    client.close()
                if cluster is not None:
                    cluster.close()
        finally:
            done = store.done_keys(experiment.name)
            report.missing = sum(unit_key(u) not in done for u in units)
            report.seconds = time.perf_counter() - start
            if status == "complete" and report.missing:
                status = "incomplete"
            store.finish_run(run_id, status)
            store.close()
    if status == "interrupted":
        report.signal = signal_name(stop.signum)
        raise RunInterrupted(report, stop.signum)
    return report


def command_line(argv):
    """The ``sk-prnet`` command line of ``argv`` (for provenance and resume hints)."""
    return "sk-prnet " + " ".join(shlex.quote(a) for a in argv)
