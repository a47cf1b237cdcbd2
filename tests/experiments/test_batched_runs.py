"""``sk-prnet run`` with batched training (issue 15): the same store as one fit per unit.

A batched run and an unbatched run are one configuration (same unit keys); their stored
metrics must agree to float32 rounding, and the interruption guarantees hold with batching
on (real signals, real training, real DEAP files).
"""

import os
import signal
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from store_helpers import count_units, kill_then_rerun, stored_metrics

from sk_prnet import TrainingInterruptedWarning
from sk_prnet.cli import main
from sk_prnet.datasets import make_synthetic_deap, make_synthetic_seed
from sk_prnet.experiments import (
    DeapExperiment,
    FitTask,
    RegressionExperiment,
    ResultsStore,
    RunInterrupted,
    SeedExperiment,
    load_results,
    run_experiment,
    sweep_settings,
)
from sk_prnet.experiments.batching import group_tasks, run_group
from sk_prnet.experiments.execute import run_task

KEYS = ["experiment", "model", "subject", "session", "repeat", "fold", "target", "metric"]


def _quiet(**kw):
    return dict(progress=False, log=lambda s: None, **kw)


@pytest.fixture(scope="module")
def deap_dir(tmp_path_factory):
    return make_synthetic_deap(
        tmp_path_factory.mktemp("deap"), n_subjects=2, n_trials=20, trial_seconds=4,
        random_state=0,
    )  # fmt: skip


def _sweep(**kw):
    params = dict(settings=sweep_settings([0, 1], [0.25]), n_splits=3, n_repeats=1,
                  max_epochs=3, seed=2)  # fmt: skip
    params.update(kw)
    return RegressionExperiment("diabetes", **params)


def _same_store(batched, unbatched, classification):
    a, b = stored_metrics(batched, KEYS), stored_metrics(unbatched, KEYS)
    if classification:  # identical predictions: identical accuracy and F1
        pd.testing.assert_series_equal(a, b, check_exact=True)
    else:
        pd.testing.assert_series_equal(a, b, rtol=1e-5)
    keys = []
    for path in (batched, unbatched):
        store = ResultsStore(path)
        keys.append(store.done_keys())
        store.close()
    assert keys[0] == keys[1]


def test_batched_deap_run_stores_the_metrics_of_an_unbatched_run(deap_dir, tmp_path):
    exp = lambda: DeapExperiment(deap_dir, [1, 2], max_epochs=2, seed=4)  # noqa: E731
    on, off = tmp_path / "on.sqlite", tmp_path / "off.sqlite"
    # two loky workers, each building (features) and training groups of up to 7 units
    report = run_experiment(exp(), on, n_jobs=2, batch_units=7, **_quiet())
    assert (report.ran, report.missing) == (40, 0)
    run_experiment(exp(), off, batched=False, **_quiet())
    _same_store(on, off, classification=True)
    # one configuration: the unbatched run finds nothing to do in the batched store
    again = run_experiment(exp(), on, batched=False, **_quiet())
    assert (again.ran, again.missing) == (0, 0)


def test_batched_seed_run_stores_the_metrics_of_an_unbatched_run(tmp_path):
    root = make_synthetic_seed(tmp_path / "seed", n_subjects=1, n_sessions=2, random_state=0,
                               n_windows=(2, 3))  # fmt: skip
    on, off = tmp_path / "on.sqlite", tmp_path / "off.sqlite"
    run_experiment(SeedExperiment(root, max_epochs=2), on, **_quiet())
    run_experiment(SeedExperiment(root, max_epochs=2), off, batched=False, **_quiet())
    _same_store(on, off, classification=True)


def test_batched_sweep_and_cutoff_store_the_metrics_of_unbatched_runs(tmp_path):
    for kw in ({}, {"cutoffs": [0.5, None], "name": "cutoff"}):
        on, off = tmp_path / f"on{len(kw)}.sqlite", tmp_path / f"off{len(kw)}.sqlite"
        run_experiment(_sweep(**kw), on, **_quiet())
        run_experiment(_sweep(**kw), off, batched=False, **_quiet())
        _same_store(on, off, classification=False)


def test_run_group_scores_each_unit_like_run_task(deap_dir):
    exp = DeapExperiment(deap_dir, [1], settings=[(0.0, None), (1.0, 0.25)], max_epochs=2)
    units = exp.plan()[::4]  # both settings, several folds
    single = [run_task(exp.task(u), device="cpu") for u in units]
    seen = []
    left = run_group([exp.task(u) for u in units], device="cpu", on_result=seen.append)
    assert left == [] and len(seen) == len(units)
    by_unit = {repr(r["unit"]): r["metrics"] for r in seen}
    for r in single:
        assert by_unit[repr(r["unit"])] == r["metrics"]
    assert all(r["interrupted"] is None for r in seen)


def test_run_group_finds_the_network_in_any_container():
    # a target transformer directly around the network, and a pipeline ending in a pipeline:
    # shapes a user's experiment may build; each unit scores as when fitted on its own
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from sk_prnet import PRNetRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5)).astype(np.float32)
    y = X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=120)

    def net(seed):
        return PRNetRegressor(max_epochs=2, batch_size=20, module__hidden_sizes=(8,),
                              random_state=seed, device="cpu")  # fmt: skip

    def tasks():
        models = [
            TransformedTargetRegressor(net(0), transformer=StandardScaler()),
            make_pipeline(StandardScaler(), make_pipeline(FunctionTransformer(), net(1))),
        ]
        return [
            FitTask(unit={"name": "shape", "fold": i}, estimator=m, X_train=X[:90],
                    y_train=y[:90], X_test=X[90:], y_test=y[90:], targets=["y"],
                    metrics=("rmse", "ccc"))  # fmt: skip
            for i, m in enumerate(models)
        ]

    alone = [run_task(t, device="cpu")["metrics"] for t in tasks()]
    grouped = run_group(tasks(), device="cpu")
    assert [r["unit"]["fold"] for r in grouped] == [0, 1]
    for r, expected in zip(grouped, alone):
        assert r["metrics"].keys() == expected.keys()
        for key, value in expected.items():
            np.testing.assert_allclose(r["metrics"][key], value, rtol=1e-5)


def test_unsupported_networks_fall_back_to_their_own_fit(tmp_path):
    import torch

    class WithAdam(RegressionExperiment):  # Adam: fit_batched cannot batch that unit
        def task(self, unit):
            task = super().task(unit)
            if unit["fold"] == 0:
                task.network.set_params(optimizer=torch.optim.Adam)
            return task

    on, off = tmp_path / "on.sqlite", tmp_path / "off.sqlite"
    run_experiment(WithAdam("diabetes", n_splits=2, n_repeats=1, max_epochs=2), on,
                   **_quiet())  # fmt: skip
    run_experiment(WithAdam("diabetes", n_splits=2, n_repeats=1, max_epochs=2), off,
                   batched=False, **_quiet())  # fmt: skip
    _same_store(on, off, classification=False)


def test_group_tasks_bounds_units_bytes_and_spreads_work():
    class T:
        def __init__(self, nbytes):
            self.X_train = np.zeros(nbytes, dtype=np.uint8)

    sizes = [len(g) for g in group_tasks([T(1)] * 45)]
    assert sizes == [20, 20, 5]
    assert [len(g) for g in group_tasks([T(1)] * 10, n_jobs=2, n_units=10)] == [5, 5]
    # as few units as workers: one each, none idle
    assert [len(g) for g in group_tasks([T(1)] * 2, n_jobs=2, n_units=2)] == [1, 1]
    assert [len(g) for g in group_tasks([T(60)] * 5, max_bytes=100)] == [2, 2, 1]
    # the default bound: a unit of the paper's Table IV (~1 MiB of features) keeps groups of
    # 20, one of the authors' 0.25 s step (~15 MiB) gets groups of 5 (memory under 2 GB)
    assert [len(g) for g in group_tasks([T(2**20)] * 20)] == [20]
    assert [len(g) for g in group_tasks([T(15 * 2**20)] * 20)] == [5, 5, 5, 5]

    class Rows:  # X_train without ``nbytes``: a list of rows, counted as its float64 array
        X_train = [[0.0] * 4] * 2  # 8 floats: 64 bytes

    assert [len(g) for g in group_tasks([Rows()] * 5, max_bytes=100)] == [2, 2, 1]


def test_bad_batch_units_is_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="batch_units"):
        run_experiment(_sweep(), tmp_path / "r.sqlite", batch_units=0, **_quiet())
    with pytest.raises(SystemExit):
        main(["run", "sweep", "--results", str(tmp_path / "s.sqlite"), "--batch-units", "0"])
    assert "--batch-units" in capsys.readouterr().err


def test_sigkill_mid_run_then_resume_gives_the_uninterrupted_batched_metrics(deap_dir, tmp_path):
    args = ["run", "deap", "--data-dir", str(deap_dir), "--subjects", "1-2", "--max-epochs",
            "2", "--seed", "7", "--quiet", "--batch-units", "4"]  # fmt: skip
    killed = tmp_path / "killed.sqlite"
    cmd = [sys.executable, "-m", "sk_prnet.cli", *args, "--results", str(killed)]
    kill_then_rerun(cmd, killed, 40, kill_after=1)
    store = ResultsStore(killed)
    keys = store._connect().execute("SELECT COUNT(DISTINCT unit_key), COUNT(*) FROM units")
    assert keys.fetchone() == (40, 40)
    store.close()
    reference = tmp_path / "reference.sqlite"
    assert main([*args, "--no-batched", "--results", str(reference)]) == 0
    _same_store(killed, reference, classification=True)


class _OneEndlessUnit(RegressionExperiment):
    """One unit trains (almost) forever: only an interrupt ends its batched training."""

    def task(self, unit):
        task = super().task(unit)
        if (unit["repeat"], unit["fold"]) == (1, 0):
            task.network.set_params(max_epochs=10**6)
        return task


def test_sigint_during_a_batched_group_stores_only_the_finished_networks(tmp_path):
    path = tmp_path / "r.sqlite"
    exp = _OneEndlessUnit("diabetes", sweep_settings([0], [0.1], ref_alpha=0), n_splits=2,
                          n_repeats=2, max_epochs=2, seed=1)  # fmt: skip

    def interrupt_the_endless_fit():
        while count_units(path) < 3:  # the other networks of the group are stored first
            time.sleep(0.02)
        time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_the_endless_fit, daemon=True)
    thread.start()
    with pytest.raises(RunInterrupted) as info, pytest.warns(TrainingInterruptedWarning):
        run_experiment(exp, path, **_quiet())
    thread.join()
    assert info.value.signum == signal.SIGINT and info.value.report.missing == 1
    done = load_results(path).drop_duplicates("unit_id")
    assert sorted(zip(done["repeat"], done["fold"])) == [(0, 0), (0, 1), (1, 1)]
    store = ResultsStore(path)
    assert store._connect().execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    store.close()
