"""The runner: resume after Ctrl-C, determinism, concurrent runners, Dask, report numbers."""

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from store_helpers import stored_metrics

from sk_prnet.experiments import (
    RegressionExperiment,
    ResultsStore,
    RunInterrupted,
    experiment_tables,
    load_results,
    render_report,
    run_experiment,
    sweep_settings,
)


def _tiny(**kw):
    params = dict(
        settings=sweep_settings([0, 1], [0.25]), n_splits=2, n_repeats=2, max_epochs=2, seed=3
    )
    params.update(kw)
    return RegressionExperiment("diabetes", **params)


def _metrics(path):
    keys = ["experiment", "model", "repeat", "fold", "subject", "session", "target", "metric"]
    return stored_metrics(path, keys)


def _check_exactly_once(path, n_planned):
    store = ResultsStore(path)
    assert store.integrity_check() == "ok"
    summary, missing = store.coverage()
    assert missing.empty and int(summary["done"].sum()) == n_planned
    conn = store._connect()
    assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT unit_key) FROM units").fetchone() == (
        n_planned,
        n_planned,
    )
    store.close()


def _stop_after(n, *args, **kwargs):
    """``run_experiment`` stopped by a real SIGINT (what Ctrl-C sends) once ``n`` units were
    written: the runner logs a line per written unit (``progress=False``), and this log
    sends the signal -- no testing hook in the runner."""
    import signal

    def log(line):
        if line.startswith(f"[{n}/"):
            signal.raise_signal(signal.SIGINT)

    return run_experiment(*args, progress=False, log=log, **kwargs)


def test_ctrl_c_keeps_finished_units_and_resume_runs_the_rest(tmp_path):
    path = tmp_path / "r.sqlite"
    with pytest.raises(RunInterrupted) as info:
        _stop_after(3, _tiny(), path)
    assert info.value.report.missing == 5 and "again" in info.value.report.message()
    assert len(ResultsStore(path).done_keys()) == 3
    assert ResultsStore(path).integrity_check() == "ok"
    report = run_experiment(_tiny(), path, progress=False, log=lambda s: None)
    assert (report.already_done, report.ran, report.missing) == (3, 5, 0)
    _check_exactly_once(path, 8)
    # the resumed store equals an uninterrupted seeded run
    run_experiment(_tiny(), tmp_path / "ref.sqlite", progress=False, log=lambda s: None)
    pd.testing.assert_series_equal(_metrics(path), _metrics(tmp_path / "ref.sqlite"))
    again = run_experiment(_tiny(), path, progress=False, log=lambda s: None)
    assert again.ran == 0 and again.missing == 0


def test_two_concurrent_runners_write_every_unit_once(tmp_path):
    path = tmp_path / "r.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "sk_prnet.cli",
        "run",
        "sweep",
        "--results",
        str(path),
        "--alpha",
        "0",
        "1",
        "--epsilon",
        "0.25",
        "--n-splits",
        "3",
        "--n-repeats",
        "2",
        "--max-epochs",
        "2",
        "--quiet",
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()
    _check_exactly_once(path, 12)
    # the work was shared: together they ran each unit about once (claims), not twice
    runs = load_results(path).drop_duplicates("unit_id")
    assert len(runs) == 12


def test_parallel_and_dask_give_the_same_metrics_as_a_single_process(tmp_path):
    run_experiment(_tiny(), tmp_path / "one.sqlite", progress=False, log=lambda s: None)
    run_experiment(_tiny(), tmp_path / "loky.sqlite", n_jobs=2, progress=False, log=lambda s: None)
    reference = _metrics(tmp_path / "one.sqlite")
    pd.testing.assert_series_equal(_metrics(tmp_path / "loky.sqlite"), reference)
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        pytest.skip("dask.distributed is not installed (pip install 'sk-prnet[dask]')")
    run_experiment(
        _tiny(),
        tmp_path / "dask.sqlite",
        n_jobs=2,
        backend="dask",
        progress=False,
        log=lambda s: None,
    )
    pd.testing.assert_series_equal(_metrics(tmp_path / "dask.sqlite"), reference)


def _fake_store(path, n_subjects=4, plan_extra=0):
    """A DEAP-shaped store with known values (no training)."""
    rng = np.random.default_rng(0)
    store = ResultsStore(path)
    units = []
    for subject in range(1, n_subjects + 1):
        for alpha, eps, model in (
            (0.0, None, "baseline (alpha=0)"),
            (1.0, 0.25, "PRNet (alpha=1, eps=0.25)"),
        ):
            for fold in range(3):
                units.append(
                    dict(
                        experiment="deap",
                        dataset="deap",
                        subject=subject,
                        fold=fold,
                        model=model,
                        alpha=alpha,
                        epsilon=eps,
                        params={},
                        seed=0,
                    )
                )
    extra = [dict(u, fold=u["fold"] + 10) for u in units[:plan_extra]]
    store.start_run("deap", units + extra)
    for u in units:
        bonus = 0.05 if u["alpha"] else 0.0
        metrics = {
            (t, m): float(rng.uniform(0.4, 0.6) + bonus)
            for t in ("arousal", "valence")
            for m in ("accuracy", "f1")
        }
        store.add_unit(u, metrics, wall_time=0.1)
    store.close()


def test_report_numbers_match_raw_rows(tmp_path):
    path = tmp_path / "r.sqlite"
    _fake_store(path)
    raw = load_results(path)
    (table,) = experiment_tables(raw)
    per_subject = raw.groupby(["model", "subject", "target", "metric"])["value"].mean()
    for model in ("baseline (alpha=0)", "PRNet (alpha=1, eps=0.25)"):
        for target in ("arousal", "valence"):
            values = per_subject[model, :, target, "f1"].to_numpy()
            row = table["summary"].loc[model]
            assert row[(target, "f1", "mean")] == pytest.approx(values.mean())
            assert row[(target, "f1", "std")] == pytest.approx(values.std(ddof=1))
    (tests,) = table["tests"]
    for target in ("arousal", "valence"):
        base = per_subject["baseline (alpha=0)", :, target, "f1"].to_numpy()
        prnet = per_subject["PRNet (alpha=1, eps=0.25)", :, target, "f1"].to_numpy()
        assert tests.loc[target, "p"] == pytest.approx(stats.ttest_rel(prnet, base).pvalue)
    text = render_report(path)
    assert "deap: complete (24/24 units)" in text and "Table IV" in text
    assert f"p = {tests.loc['arousal', 'p']:.3g}" in text
    assert "\\pm" in render_report(path, fmt="latex")
    tidy = pd.read_csv(io.StringIO(render_report(path, fmt="csv")))
    row = tidy[(tidy.model == "PRNet (alpha=1, eps=0.25)") & (tidy.target == "valence")]
    row = row[row.metric == "f1"].iloc[0]
    assert row["mean"] == pytest.approx(prnet.mean()) and row["n"] == 4
    assert row["p_value"] == pytest.approx(tests.loc["valence", "p"])


def test_partial_store_is_reported_as_partial(tmp_path):
    path = tmp_path / "r.sqlite"
    _fake_store(path, plan_extra=2)
    text = render_report(path, figures=tmp_path / "figs")
    assert "deap: PARTIAL, 24/26 units done, 2 missing" in text
    assert "subject=1, fold=10" in text and "subject=1, fold=11" in text
    assert "PARTIAL (24/26 units)" in text and "complete" not in text
    assert (tmp_path / "figs" / "deap_deap_subjects.png").exists()
    json.dumps(text)


def test_grid_sweep_report_tests_every_setting_against_the_baseline(tmp_path):
    """Regression sweeps get the corrected resampled t-test on CCC, and a grid table."""
    path = tmp_path / "g.sqlite"
    settings = sweep_settings([0, 0.5, 1], [0.0, 0.5], grid=True)
    run_experiment(_tiny(settings=settings, n_splits=3, n_repeats=2), path, progress=False)
    raw = load_results(path)
    tables = experiment_tables(raw)
    grid = next(t for t in tables if "grids" in t)["grids"]["progression"]
    assert grid.index.tolist() == [0.5, 1.0] and grid.columns.tolist() == [0.0, 0.5]
    ccc = raw[raw.metric == "ccc"].set_index(["model", "repeat", "fold"])["value"]
    d = (ccc["PRNet (alpha=1, eps=0.5)"] - ccc["baseline (alpha=0)"]).to_numpy()
    t = d.mean() / np.sqrt((1 / len(d) + 1 / 2) * d.var(ddof=1))
    diff, p, _ = grid.loc[1.0, 0.5]
    assert diff == pytest.approx(d.mean()) and p == pytest.approx(2 * stats.t.sf(abs(t), 5))
    first = tables[0]["tests"][0]
    assert first.attrs["metric"] == "ccc" and first.attrs["test"] == "corrected resampled t-test"
    text = render_report(path)
    assert "alpha x epsilon grid" in text and f"{d.mean():+.4f} (p = {p:.2g})" in text
    assert "corrected resampled t-test on ccc" in text
    tidy = pd.read_csv(io.StringIO(render_report(path, fmt="csv")))
    row = tidy[(tidy.model == "PRNet (alpha=1, eps=0.5)") & (tidy.metric == "ccc")].iloc[0]
    assert row["p_value"] == pytest.approx(p) and row["test"] == "corrected resampled t-test"
    assert "\\begin{tabular}" in render_report(path, fmt="latex")
    render_report(path, figures=tmp_path / "figs")  # the grid table has no curves of its own
    assert (tmp_path / "figs" / "sweep_diabetes_alpha.png").exists()


def test_pairing_option_reaches_the_models_and_the_labels(tmp_path):
    from sk_prnet.experiments import ExperimentError
    exp = _tiny(settings=sweep_settings([0, 1], [0.0]), n_repeats=1, pairing="all")
    units = exp.plan()
    assert [u["model"] for u in units[-2:]] == ["PRNet (alpha=1, eps=0, pairing=all)"] * 2
    assert units[0]["params"]["pairing"] == "all"
    assert exp.task(units[-1]).network.pairing == "all"
    # the paper's split pairing keeps the unit parameters (and keys) of older stores
    assert "pairing" not in _tiny().plan()[0]["params"]
    with pytest.raises(ExperimentError, match="pairing must be one of"):
        _tiny(pairing="every").plan()


def test_a_plan_that_fails_leaves_no_store_behind(tmp_path):
    from sk_prnet.experiments import ExperimentError

    path = tmp_path / "results.sqlite"
    with pytest.raises(ExperimentError, match="pairing"):
        run_experiment(RegressionExperiment(pairing="bogus"), path, progress=False)
    assert not path.exists()
