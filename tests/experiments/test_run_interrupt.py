"""SIGINT/SIGTERM during ``sk-prnet run``: prompt stop, nothing half-trained stored, resume.

skorch-style ``fit`` catches ``KeyboardInterrupt`` and returns normally, so a runner that
trusted the return would store a cut-short fit as finished (issue 11). These tests interrupt
real runs (real signals, real training) and compare every stored unit with a clean run.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from store_helpers import count_units, stored_metrics

from sk_prnet import TrainingInterruptedWarning
from sk_prnet.cli import main
from sk_prnet.experiments import (
    RegressionExperiment,
    ResultsStore,
    RunInterrupted,
    load_results,
    render_report,
    run_experiment,
    sweep_settings,
)

# batched in groups of 2 units (plan order), so that some units are stored before others;
# the resumed groups then hold the same networks as a clean run's (see test_batched_runs.py:
# a network's float32 rounding may depend on how many share its batched matmuls)
ARGS = "run sweep --dataset diabetes --alpha 0 1 --epsilon 0.1 --n-splits 2 --n-repeats 2 \
--max-epochs 60 --seed 5 --quiet --batch-units 2".split()
N_UNITS = 8


def _metrics(path):
    return stored_metrics(path, ["model", "repeat", "fold", "target", "metric"])


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """The metrics of a clean, uninterrupted run of the same command (by mode)."""
    cache = {}

    def reference(mode):
        if mode not in cache:
            path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
            assert main([*ARGS, *mode, "--results", str(path)]) == 0
            cache[mode] = _metrics(path)
        return cache[mode]

    return reference




def _descendants(pid):
    """Process ids below ``pid`` (Linux /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc: Linux")
@pytest.mark.parametrize(
    "signum, extra",
    [
        (signal.SIGINT, ["--n-jobs", "1"]),
        (signal.SIGTERM, ["--n-jobs", "2"]),
        (signal.SIGINT, ["--n-jobs", "2", "--backend", "dask"]),
        (signal.SIGINT, ["--n-jobs", "1", "--no-batched"]),
    ],
    ids=["sigint-1-job", "sigterm-2-loky-jobs", "sigint-dask", "sigint-unbatched"],
)
def test_signal_stops_the_run_stores_only_finished_units_and_resume_completes_it(
    tmp_path, references, signum, extra
):
    mode = ("--no-batched",) if "--no-batched" in extra else ()
    reference = references(mode)
    if "dask" in extra:
        pytest.importorskip("dask.distributed")
    path = tmp_path / "r.sqlite"
    args = [*ARGS, *extra, "--results", str(path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sk_prnet.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while count_units(path) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = _descendants(proc.pid)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, err  # 130 for SIGINT, 143 for SIGTERM
    assert f"stopped by {signal.Signals(signum).name}" in err and "Traceback" not in err
    assert "run the same command again" in err and "run sweep" in err
    deadline = time.monotonic() + 60  # loky / Dask workers are stopped too
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)]

    store = ResultsStore(path)
    summary, missing = store.coverage()
    conn = store._connect()
    assert conn.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    store.close()
    n_done = int(summary.loc["sweep", "done"])
    assert 2 <= n_done < N_UNITS and len(missing) == N_UNITS - n_done
    assert f"PARTIAL, {n_done}/{N_UNITS} units done" in render_report(path)
    # every stored unit is a finished one: its metrics are those of the clean run
    stored = _metrics(path)
    pd.testing.assert_series_equal(stored, reference.loc[stored.index])

    # the same command again runs exactly the missing units (in this process, one job:
    # the number of jobs changes nothing in the results, and spares starting workers)
    assert main([*ARGS, *mode, "--n-jobs", "1", "--results", str(path)]) == 0
    assert len(load_results(path).drop_duplicates("unit_id")) == N_UNITS
    pd.testing.assert_series_equal(_metrics(path), reference)
    assert "complete (8/8 units)" in render_report(path)


class _OneEndlessUnit(RegressionExperiment):
    """The third unit trains (almost) forever: only an interrupt ends its fit."""

    def task(self, unit):
        task = super().task(unit)
        if (unit["repeat"], unit["fold"], unit["alpha"]) == (1, 0, 0.0):
            task.network.set_params(max_epochs=10**6)
        return task


def test_a_fit_that_swallows_the_interrupt_is_not_stored(tmp_path):
    """n_jobs=1: SIGINT lands inside ``fit``, which returns normally; the unit is refused."""
    path = tmp_path / "r.sqlite"
    exp = _OneEndlessUnit(
        "diabetes",
        sweep_settings([0], [0.1], ref_alpha=0),
        n_splits=2,
        n_repeats=2,
        max_epochs=2,
        seed=1,
    )

    def interrupt_the_endless_fit():
        while count_units(path) < 2:  # units of repeat 0 done: the endless fit is next
            time.sleep(0.02)
        time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_the_endless_fit, daemon=True)
    thread.start()
    # the swallowed interrupt is recorded by the estimator, and the runner refuses the unit
    # (one fit per unit; batched training re-raises: see test_batched_runs.py)
    with pytest.raises(RunInterrupted) as info, pytest.warns(TrainingInterruptedWarning):
        run_experiment(exp, path, progress=False, log=lambda s: None, batched=False)
    thread.join()
    assert info.value.signum == signal.SIGINT and info.value.exit_code == 130
    assert info.value.report.missing == 2
    done = load_results(path).drop_duplicates("unit_id")
    assert sorted(done["repeat"]) == [0, 0]  # not the interrupted unit of repeat 1
