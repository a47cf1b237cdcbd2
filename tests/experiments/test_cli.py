"""``sk-prnet run`` / ``report``: the kill test, resume, clear errors (exit code 2)."""

import subprocess
import sys

import pandas as pd
import pytest
from store_helpers import kill_then_rerun, stored_metrics

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




def _metrics(path):
    return stored_metrics(path, ["model", "subject", "fold", "target", "metric"])


def test_kill_and_rerun_gives_every_unit_once_and_the_uninterrupted_metrics(deap_dir, tmp_path):
    killed = tmp_path / "killed.sqlite"
    cmd = [sys.executable, "-m", "sk_prnet.cli", *_args(deap_dir, killed)]
    kill_then_rerun(cmd, killed, 40, kill_after=3)
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


def test_version_and_defaults_in_help(capsys):
    import sk_prnet

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"sk-prnet {sk_prnet.__version__}"
    with pytest.raises(SystemExit):
        main(["run", "sweep", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 0)", "(default: 5)", "(default: [0.0, 0.5, 1.0, 2.0])",
                    "(default: auto)", "(default: split)", "(default: loky)"):  # fmt: skip
        assert default in text


@pytest.mark.parametrize(
    "device, message",
    [("gpu", "invalid device 'gpu'"), ("cuda:x", "invalid device"), ("cuda:99", "cuda")],
)
def test_bad_or_unavailable_device_is_refused_before_any_unit(tmp_path, capsys, device, message):
    import torch

    results = tmp_path / "r.sqlite"
    args = ["run", "sweep", "--results", str(results), "--device", device, "--quiet"]
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse refuses a malformed value
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    if device == "cuda:99":
        assert ("not available" in err) if torch.cuda.device_count() == 0 else ("cuda:0 to" in err)
    assert not results.exists()  # refused up front: not even a store


def test_units_record_the_device_they_ran_on(tmp_path):
    results = tmp_path / "r.sqlite"
    args = ["run", "sweep", "--results", str(results), "--alpha", "0", "--n-splits", "2",
            "--n-repeats", "1", "--max-epochs", "1", "--device", "cpu", "--quiet"]  # fmt: skip
    assert main(args) == 0
    assert set(load_results(results)["device"]) == {"cpu"}


def test_report_into_a_closed_pipe_ends_quietly(tmp_path):
    """``sk-prnet report ... | head``: no BrokenPipeError traceback."""
    results = tmp_path / "r.sqlite"
    args = ["run", "sweep", "--results", str(results), "--alpha", "0", "1", "--epsilon", "0.1",
            "--n-splits", "2", "--n-repeats", "1", "--max-epochs", "1", "--quiet"]  # fmt: skip
    assert main(args) == 0
    for fmt in ("markdown", "csv"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "sk_prnet.cli", "report", str(results), "--format", fmt],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        proc.stdout.close()  # the reader is gone before the report is written
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
        assert "Traceback" not in err and "BrokenPipe" not in err, err
        assert proc.returncode == 141
    shell = subprocess.run(
        f"{sys.executable} -m sk_prnet.cli report {results} | head -n 2",
        shell=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shell.returncode == 0 and shell.stderr == "" and len(shell.stdout.splitlines()) == 2
