"""Run the EEG examples (``examples/deap_pipeline.py``, ``examples/seed_pipeline.py``) end to end.

Each example's ``main(argv)`` is called in-process on tiny synthetic data written to
``tmp_path`` (few subjects, trials and windows, one or two epochs), and its returned tables are
checked: expected rows and columns, finite scores in [0, 1], and -- for DEAP -- that the
ratings really reach the network through metadata routing.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from sk_prnet import PRNetClassifier

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_scores(values):
    values = np.asarray(values, dtype=float)
    assert values.size > 0
    assert np.isfinite(values).all()
    assert ((values >= 0) & (values <= 1)).all()


@pytest.fixture
def fit_spy(monkeypatch):
    """Record the metadata every PRNetClassifier.fit receives."""
    calls = []
    original = PRNetClassifier.fit

    def fit(self, X, y, ranking_target=None, rank_groups=None):
        calls.append({"ranking_target": ranking_target, "rank_groups": rank_groups, "n": len(X)})
        return original(self, X, y, ranking_target=ranking_target, rank_groups=rank_groups)

    monkeypatch.setattr(PRNetClassifier, "fit", fit)
    return calls


def test_deap_example(tmp_path, capsys, fit_spy):
    deap = _load("deap_pipeline")
    n_subjects, n_splits = 2, 2
    result = deap.main(
        [
            "--synthetic-dir",
            str(tmp_path),
            "--n-subjects",
            str(n_subjects),
            "--n-trials",
            "20",
            "--trial-seconds",
            "4",
            "--max-epochs",
            "1",
            "--n-splits",
            str(n_splits),
            "--inner-splits",
            "2",
            "--k",
            "20",
        ]
    )
    out = capsys.readouterr().out
    assert "SYNTHETIC DEAP" in out and "licensed" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s01.dat", "s02.dat"]
    models = list(deap.MODELS)

    # (a) grid search per subject: 3 settings each, a selected one, a held-out score.
    search, grid = result["search"], result["grid"]
    assert list(search["subject"]) == [1, 2]
    assert set(search["alpha"]) <= {0.0, 1.0}
    assert {"inner_cv_f1", "held_out_f1", "epsilon"} <= set(search.columns)
    _check_scores(search[["inner_cv_f1", "held_out_f1"]])
    assert len(grid) == n_subjects * 3
    assert set(grid["setting"]) == {"alpha=0", "alpha=1, eps=0.25", "alpha=1, eps=1"}
    _check_scores(grid["inner_f1"])

    # (b) subject-dependent CV: model x subject x fold x target x metric.
    scores = result["scores"]
    assert list(scores.columns[:6]) == ["model", "subject", "fold", "target", "metric", "value"]
    assert len(scores) == len(models) * n_subjects * n_splits * 2 * 2
    assert set(scores["target"]) == {"arousal", "valence"}
    assert set(scores["metric"]) == {"accuracy", "f1"}
    _check_scores(scores["value"])
    assert list(result["summary"].index) == models
    assert list(result["tests"].index) == ["arousal", "valence"]

    # (c) leave one subject out: one finite score per left-out subject and model.
    loso = result["loso"]
    assert list(loso.columns) == ["subject", *models] and list(loso["subject"]) == [1, 2]
    _check_scores(loso[models])

    # Routing delivered the 1-9 ratings (2 targets) to every fit, and the subject ids as
    # rank_groups to the leave-one-subject-out fits only.
    assert fit_spy and all(c["ranking_target"] is not None for c in fit_spy)
    assert all(np.shape(c["ranking_target"]) == (c["n"], 2) for c in fit_spy)
    ratings = np.concatenate([np.ravel(c["ranking_target"]) for c in fit_spy])
    assert ratings.min() >= 1 and ratings.max() <= 9 and np.unique(ratings).size > 2
    grouped = [c for c in fit_spy if c["rank_groups"] is not None]
    assert len(grouped) == len(models) * n_subjects


def test_seed_example(tmp_path, capsys):
    seed = _load("seed_pipeline")
    n_subjects, n_sessions = 2, 2
    result = seed.main(
        [
            "--synthetic-dir",
            str(tmp_path),
            "--n-subjects",
            str(n_subjects),
            "--n-sessions",
            str(n_sessions),
            "--n-windows",
            "3",
            "5",
            "--max-epochs",
            "2",
        ]
    )
    out = capsys.readouterr().out
    assert "SYNTHETIC SEED" in out and "licensed" in out
    assert (tmp_path / "ExtractedFeatures" / "label.mat").exists()
    models = list(seed.MODELS)

    # Table III: negative < neutral < positive.
    rel = result["relations"].to_numpy()
    assert (np.diag(rel) == "similar").all()
    assert rel[0, 2] == "lower" and rel[2, 0] == "higher" and rel[1, 0] == "higher"

    # The paper's split: trials 1-9 train, 10-15 test.
    assert list(result["split"]["trials"]) == ["1-9", "10-15"]

    scores = result["scores"]
    assert list(scores.columns[:5]) == ["model", "subject", "session", "metric", "value"]
    assert len(scores) == len(models) * n_subjects * n_sessions * 2
    _check_scores(scores["value"])
    per_session = result["per_session"]
    assert per_session.shape == (n_subjects * n_sessions, len(models) * 2)
    _check_scores(per_session)
    assert list(result["mean"].index) == models
    assert list(result["mean"].columns) == ["accuracy", "f1"]
    assert list(result["summary"].index) == models
    assert result["tests"].loc["emotion", "n_subjects"] == n_subjects
