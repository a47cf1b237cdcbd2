"""``sk-prnet run`` / ``report``: the kill test, resume, clear errors (exit code 2)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from sk_prnet.cli import main
from sk_prnet.datasets import make_synthetic_deap
from sk_prnet.experiments import ResultsStore, load_results


@pytest.fixture(scope="module")
def deap_dir(tmp_path_factory):
    return make_synthetic_deap(
        tmp_path_factory.mktemp("deap"), n_subjects=2, trial_seconds=4, random_state=0
    )


def _args(deap_dir, results):
    return [
        "run",
        "deap",
        "--data-dir",
        str(deap_dir),
        "--results",
        str(results),
        "--subjects",
        "1-2",
        "--max-epochs",
        "1",
        "--seed",
        "7",
        "--quiet",
    ]


def _n_units(path):
    try:
        with sqlite3.connect(path, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    except sqlite3.Error:
        return 0


def _metrics(path):
    df = load_results(path)
    return df.set_index(["model", "subject", "fold", "target", "metric"])["value"].sort_index()


def test_kill_and_rerun_gives_every_unit_once_and_the_uninterrupted_metrics(deap_dir, tmp_path):
    killed = tmp_path / "killed.sqlite"
    cmd = [sys.executable, "-m", "sk_prnet.cli", *_args(deap_dir, killed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _n_units(killed) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_at_kill = _n_units(killed)
    assert 0 < n_at_kill < 40, n_at_kill
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({40 - n_at_kill} run now, {n_at_kill} before)" in rerun.stdout
    store = ResultsStore(killed)
    assert store.integrity_check() == "ok"
    summary, missing = store.coverage()
    assert missing.empty and summary.loc["deap", "done"] == 40
    keys = store._connect().execute("SELECT COUNT(DISTINCT unit_key), COUNT(*) FROM units")
    assert keys.fetchone() == (40, 40)
    # an uninterrupted seeded run (in this process) gives the same metrics
    reference = tmp_path / "reference.sqlite"
    assert main(_args(deap_dir, reference)) == 0
    pd.testing.assert_series_equal(_metrics(killed), _metrics(reference))
    report = subprocess.run(
        [sys.executable, "-m", "sk_prnet.cli", "report", str(killed)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0 and "deap: complete (40/40 units)" in report.stdout
    assert "| paired t-test |" in report.stdout


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda a, d, r: a.__setitem__(3, str(d / "nope")), "does not exist"),
        (lambda a, d, r: a.__setitem__(7, "5"), "DEAP subject 5 not found"),
        (lambda a, d, r: r.write_bytes(b"garbage" * 200), "not a readable sk_prnet results"),
        (lambda a, d, r: a.__setitem__(a.index("--quiet"), "--recipe=nope"), "Unknown recipe"),
    ],
    ids=["missing-data-dir", "unknown-subject", "corrupt-store", "unknown-recipe"],
)
def test_clear_errors_exit_2(deap_dir, tmp_path, capsys, mutate, message):
    results = tmp_path / "r.sqlite"
    args = _args(deap_dir, results)
    mutate(args, deap_dir, results)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_report_errors_and_partial(tmp_path, capsys):
    assert main(["report", str(tmp_path / "absent.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err
    code = main(
        [
            "run",
            "cutoff",
            "--results",
            str(tmp_path / "c.sqlite"),
            "--cutoff",
            "0.5",
            "full",
            "--n-splits",
            "2",
            "--n-repeats",
            "1",
            "--max-epochs",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    assert main(["report", str(tmp_path / "c.sqlite"), "--figures", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "cutoff: complete (8/8 units)" in out and "c = 0.5" in out
    assert "full training set" in out and (tmp_path / "f" / "cutoff_diabetes_cutoff.png").exists()


def test_authors_recipe_runs_through_the_runner(deap_dir, tmp_path):
    results = tmp_path / "authors.sqlite"
    code = main(
        ["run", "deap", "--data-dir", str(deap_dir), "--results", str(results),
         "--subjects", "1", "--alpha", "0", "--recipe", "authors", "--max-epochs", "1",
         "--n-jobs", "1", "--quiet"]
    )  # fmt: skip
    assert code == 0
    df = load_results(results)
    assert df["fold"].nunique() == 10 and (df["subject"] == 1).all()
    assert df["value"].notna().all()
