"""The demo end to end on a tiny synthetic DEAP written in the real file format."""

import numpy as np

from sk_prnet.cli import main
from sk_prnet.experiments.demo import DEMO_MODELS, run_demo


def test_demo_runs_the_protocol_and_reports(tmp_path):
    result = run_demo(
        cache_dir=tmp_path, n_subjects=2, trial_seconds=4, n_jobs=1,
        figure=tmp_path / "demo.png", progress=False,
    )  # fmt: skip
    scores = result["scores"]
    # 2 subjects x 2 models x 10 folds x 2 targets x 2 metrics
    assert len(scores) == 2 * 2 * 10 * 2 * 2
    assert set(scores["model"]) == set(DEMO_MODELS)
    assert sorted(scores["fold"].unique()) == list(range(10))
    assert np.isfinite(scores["value"]).all() and scores["value"].between(0, 1).all()
    assert list(result["summary"].index) == list(DEMO_MODELS)
    assert "paired t-test" in result["table"]
    assert result["figure"].exists() and result["figure"].stat().st_size > 1000
    # the data were written once, in DEAP's format, and are reused
    assert sorted(p.name for p in result["data_dir"].iterdir()) == ["s01.dat", "s02.dat"]


def test_cli_demo_prints_the_table(tmp_path, capsys):
    code = main(
        ["demo", "--cache-dir", str(tmp_path), "--subjects", "2", "--trial-seconds", "4",
         "--n-jobs", "1", "--quiet", "--figure", str(tmp_path / "f.png")]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "| baseline (alpha=0) |" in out and "| PRNet (alpha=1) |" in out
