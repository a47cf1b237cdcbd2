"""Run every gallery example (``examples/plot_*.py``) end to end at toy size.

Each script runs in-process with ``SK_PRNET_EXAMPLES_QUICK=1`` (few subjects, windows and
epochs) and a non-interactive matplotlib backend; the variables it leaves behind are
checked: the tables have the expected rows, the scores are finite, and -- for DEAP -- the
ratings really reach the network through metadata routing.
"""

import runpy
from pathlib import Path

import numpy as np
import pytest

from sk_prnet import PRNetClassifier

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name, monkeypatch, tmp_path):
    monkeypatch.setenv("SK_PRNET_EXAMPLES_QUICK", "1")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # synthetic data below tmp_path
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    try:
        return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    finally:
        plt.close("all")


def test_every_example_is_a_gallery_script():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert scripts and all(s.startswith("plot_") for s in scripts), scripts
    for script in scripts:
        head = (EXAMPLES / script).read_text(encoding="utf-8").split('"""')[1].splitlines()
        assert head[1] and set(head[2]) == {"="}, f"{script}: reST title missing"


@pytest.fixture
def fit_spy(monkeypatch):
    """Record the metadata every PRNetClassifier.fit receives (then fit for real)."""
    calls = []
    original = PRNetClassifier.fit

    def fit(self, X, y, ranking_target=None, rank_groups=None, **kwargs):
        calls.append({"ranking_target": ranking_target, "n": len(X)})
        return original(self, X, y, ranking_target=ranking_target, rank_groups=rank_groups,
                        **kwargs)

    monkeypatch.setattr(PRNetClassifier, "fit", fit)
    return calls


def test_deap_example(monkeypatch, tmp_path, fit_spy):
    ns = _run("plot_deap_ranking_vs_baseline", monkeypatch, tmp_path)
    scores, data = ns["scores"], ns["data"]
    assert set(scores["model"]) == set(ns["models"])
    assert set(scores["target"]) == {"arousal", "valence"}
    assert scores.groupby("model")["subject"].nunique().eq(2).all()
    assert np.isfinite(scores["value"]).all() and scores["value"].between(0, 1).all()
    # every fit got the ratings of its own training windows (continuous, not the classes)
    assert fit_spy and all(c["ranking_target"] is not None for c in fit_spy)
    for call in fit_spy:
        rt = np.asarray(call["ranking_target"])
        assert rt.shape == (call["n"], 2)
        assert np.isin(rt, data.ratings).all() and not np.isin(rt, [0, 1]).all()


def test_seed_example(monkeypatch, tmp_path):
    ns = _run("plot_seed_session", monkeypatch, tmp_path)
    assert ns["codes"].tolist() == [[1, 0, 0], [2, 1, 0], [2, 2, 1]]  # Table III
    data, first, train, test = ns["data"], ns["first"], ns["train"], ns["test"]
    assert set(data.trial_index[first][train]) == set(range(1, 10))
    assert set(data.trial_index[first][test]) == set(range(10, 16))
    scores = ns["scores"]
    assert set(scores["metric"]) == {"accuracy", "f1_macro"}
    assert np.isfinite(scores["value"]).all()


def test_grid_search_example(monkeypatch, tmp_path):
    ns = _run("plot_grid_search_alpha_epsilon", monkeypatch, tmp_path)
    table = ns["table"]
    assert table.shape == (2, 2) and np.isfinite(table.to_numpy()).all()
    # alpha=0 never evaluates the ranking head: its row cannot depend on epsilon
    np.testing.assert_allclose(table.loc[0.0].to_numpy(), table.loc[0.0].iloc[0])


def test_compare_rank_scores_example(monkeypatch, tmp_path):
    ns = _run("plot_compare_rank_scores", monkeypatch, tmp_path)
    proba = ns["proba"]
    assert proba.shape == (5, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    for name, s in ns["scores"].items():
        assert np.shape(s) == ns["y_test"].shape and np.isfinite(s).all(), name


def test_affectnet_example(monkeypatch, tmp_path):
    pytest.importorskip("kornia")
    pytest.importorskip("PIL")
    ns = _run("plot_affectnet_augmentation", monkeypatch, tmp_path)
    assert ns["faces"].images.shape[1:] == (3, 96, 96)
    original, *augmented = ns["rows"]
    assert all(a.shape == original.shape for a in augmented)
    assert not any(np.allclose(a.numpy(), original.numpy()) for a in augmented)
    assert ns["net"].steps_ == 2 and np.isfinite(ns["net"].predict(ns["faces"].images[:4])).all()


def test_run_and_report_example(monkeypatch, tmp_path):
    ns = _run("plot_run_and_report", monkeypatch, tmp_path)
    second = ns["second"]
    assert (second.already_done, second.ran, second.missing) == (3, 7, 0)
    assert "complete (10/10 units)" in ns["render_report"](ns["store"])
    assert ns["paths"] and all(p.exists() for p in ns["paths"])
