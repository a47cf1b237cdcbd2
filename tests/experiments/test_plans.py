"""What an experiment's ``plan()`` promises before anything trains: every subject and
session found on disk, a clear error for a missing subject or an unusable recipe, and the
settings that change a result recorded in every unit (the store keys units by them)."""

import re

import numpy as np
import pytest
import scipy.io

from sk_prnet.datasets import make_synthetic_deap, make_synthetic_seed
from sk_prnet.experiments import (
    DeapExperiment,
    ExperimentError,
    RegressionExperiment,
    SeedExperiment,
)


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory):
    return make_synthetic_seed(
        tmp_path_factory.mktemp("seed"), n_subjects=2, n_sessions=2, random_state=0,
        n_windows=(2, 3), features=("de_LDS", "de_movingAve"),
    )  # fmt: skip


def _on_disk(seed_dir):
    # <subject>_<yyyymmdd>.mat: sessions numbered by date within each subject
    by_subject = {}
    for path in sorted((seed_dir / "ExtractedFeatures").glob("*_*.mat")):
        by_subject.setdefault(int(path.stem.split("_")[0]), []).append(path)
    return {s: len(files) for s, files in by_subject.items()}


def test_seed_plan_covers_every_subject_session_and_setting_found(seed_dir):
    units = SeedExperiment(seed_dir, settings=[(0.0, None), (1.0, None)]).plan()
    expected = {(s, k, a) for s, n in _on_disk(seed_dir).items()
                for k in range(1, n + 1) for a in (0.0, 1.0)}  # fmt: skip
    assert len(expected) == 2 * 2 * 2
    assert sorted((u["subject"], u["session"], u["alpha"]) for u in units) == sorted(expected)
    # the identity the store keys them by: one split per session, recorded as fold 0
    units = SeedExperiment(seed_dir, subjects=[2], seed=7, name="t5").plan()
    assert {(u["experiment"], u["dataset"], u["seed"], u["fold"]) for u in units} == {
        ("t5", "seed", 7, 0)
    }


def test_seed_plan_keeps_only_the_requested_sessions(seed_dir):
    units = SeedExperiment(seed_dir, sessions=[2], settings=[(1.0, None)]).plan()
    assert sorted((u["subject"], u["session"]) for u in units) == [(1, 2), (2, 2)]
    message = f"No SEED session [5] in {str(seed_dir)!r}."
    with pytest.raises(ExperimentError, match=re.escape(message)):
        SeedExperiment(seed_dir, sessions=[5]).plan()


def test_seed_units_record_the_settings_that_change_their_result(seed_dir, tmp_path):
    paper = SeedExperiment(seed_dir, subjects=[1]).plan()[0]["params"]
    # max_epochs=None spells the recipe's own value (paper: 20 epochs), so both key alike
    assert (paper["recipe"], paper["max_epochs"], paper["feature"]) == ("paper", 20, "de_LDS")
    short = SeedExperiment(seed_dir, subjects=[1], max_epochs=3, feature="de_movingAve").plan()
    assert (short[0]["params"]["max_epochs"], short[0]["params"]["feature"]) == (3, "de_movingAve")
    # other data files: other unit keys (a store never mixes results of different data)
    other = make_synthetic_seed(tmp_path, n_subjects=2, n_sessions=2, random_state=1,
                                n_windows=(2, 3), features=("de_LDS",))  # fmt: skip
    assert SeedExperiment(other, subjects=[1]).plan()[0]["params"]["data"] != paper["data"]


def test_seed_task_reads_the_chosen_feature(seed_dir):
    experiment = SeedExperiment(seed_dir, subjects=[1], feature="de_movingAve")
    unit = experiment.plan()[0]
    X_test = experiment.task(unit).X_test
    path = sorted((seed_dir / "ExtractedFeatures").glob("1_*.mat"))[unit["session"] - 1]
    mat = scipy.io.loadmat(path)
    # (62, T, 5) -> (T, 310), channel-major; trials 10-15 are the test rows
    rows = np.concatenate([mat[f"de_movingAve{k}"].transpose(1, 0, 2).reshape(-1, 310)
                           for k in range(10, 16)])  # fmt: skip
    np.testing.assert_allclose(np.asarray(X_test), rows, rtol=1e-6)


def test_seed_plan_names_a_missing_subject_and_the_available_ones(seed_dir):
    message = (f"SEED subject(s) [9] not found in {str(seed_dir)!r}; available: "
               f"{sorted(_on_disk(seed_dir))}.")  # fmt: skip
    with pytest.raises(ExperimentError, match=re.escape(message)):
        SeedExperiment(seed_dir, subjects=[9]).plan()


def test_seed_plan_refuses_a_recipe_without_a_seed_pipeline(seed_dir):
    # "authors" is a DEAP-only recipe
    with pytest.raises(ExperimentError, match="has no pipeline for the seed dataset"):
        SeedExperiment(seed_dir, recipe="authors").plan()


def test_deap_tasks_get_their_units_setting_and_a_seed_shared_only_by_paired_units(tmp_path):
    root = make_synthetic_deap(tmp_path, n_subjects=2, n_trials=20, trial_seconds=4,
                               random_state=0)  # fmt: skip
    settings = [(0.5, 0.2), (1.0, 0.0)]
    seeds = {}
    for seed in (0, 1):
        experiment = DeapExperiment(root, settings=settings, seed=seed, max_epochs=1)
        for unit in experiment.plan():
            net = experiment.task(unit).network
            assert (net.alpha, net.epsilon) == (unit["alpha"], unit["epsilon"])
            seeds.setdefault((seed, unit["subject"], unit["fold"]), set()).add(
                net.random_state
            )
    # the settings of one split share a seed (a paired comparison of models, not seeds)...
    assert all(len(s) == 1 for s in seeds.values())
    # ...and every split, subject and experiment seed has its own
    assert len({s.pop() for s in seeds.values()}) == len(seeds) == 2 * 2 * 10


def test_regression_tasks_cover_each_repeat_and_keep_the_cutoffs_boundary():
    from sklearn.datasets import load_diabetes

    y = load_diabetes(return_X_y=True)[1]
    c = abs((y[0] - y.mean()) / y.std())  # sample 0 sits exactly on the cut-off
    experiment = RegressionExperiment(settings=[(0.5, 0.2), (1.0, 0.0)], cutoffs=[c],
                                      n_splits=3, n_repeats=2, seed=3)  # fmt: skip
    tested = np.zeros((2, len(y)), dtype=int)
    seeds = {}
    for unit in experiment.plan():
        task = experiment.task(unit)
        train, test, net = task.train_index, task.test_index, task.network
        assert (net.alpha, net.epsilon) == (unit["alpha"], unit["epsilon"])
        seeds.setdefault((unit["repeat"], unit["fold"]), set()).add(net.random_state)
        tested[unit["repeat"], test] += 1
        if 0 not in test:
            assert 0 in train, "|y| == cut-off is kept (|y| <= c)"
    # each repeat tests every sample exactly once per setting
    assert (tested == 2).all()
    assert all(len(s) == 1 for s in seeds.values())
    assert len({s.pop() for s in seeds.values()}) == len(seeds) == 6


def test_seed_tasks_get_their_units_alpha_and_a_seed_shared_only_by_paired_units(seed_dir):
    seeds = {}
    for seed in (0, 1):
        experiment = SeedExperiment(seed_dir, settings=[(0.0, None), (0.5, None)], seed=seed)
        for unit in experiment.plan():
            net = experiment.task(unit).network
            assert net.alpha == unit["alpha"]
            key = (seed, unit["subject"], unit["session"])
            seeds.setdefault(key, set()).add(net.random_state)
    assert all(len(s) == 1 for s in seeds.values())
    assert len({s.pop() for s in seeds.values()}) == len(seeds) == 2 * 2 * 2
