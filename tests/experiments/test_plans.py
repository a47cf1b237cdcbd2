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
from sk_prnet.experiments.affectnet import AffectNetExperiment
from sk_prnet.experiments.protocol import network_of


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
            task = experiment.task(unit)
            net = task.network
            assert (net.alpha, net.epsilon) == (unit["alpha"], unit["epsilon"])
            assert task.unit == unit  # the result is stored under this unit
            seeds.setdefault((seed, unit["subject"], unit["fold"]), set()).add(
                net.random_state
            )
    # the identity the store keys them by: every subject, setting and one of 10 folds
    units = DeapExperiment(root, settings=settings, seed=7, name="t5", max_epochs=1).plan()
    assert sorted((u["subject"], u["alpha"], u["fold"]) for u in units) == sorted(
        (s, a, k) for s in (1, 2) for a, _ in settings for k in range(10)
    )
    assert {(u["experiment"], u["dataset"], u["seed"]) for u in units} == {("t5", "deap", 7)}
    # a subject without its file is named before anything runs, with the ones there are
    with pytest.raises(ExperimentError, match=r"subject 9 not found.*Available.*: 1, 2\b"):
        DeapExperiment(root, subjects=[1, 9]).plan()
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
        # the result is stored under this unit, as the report's "progression" target
        assert task.unit == unit and task.targets == ["progression"]
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
            task = experiment.task(unit)
            net = task.network
            assert net.alpha == unit["alpha"]
            assert task.unit == unit  # the result is stored under this unit
            key = (seed, unit["subject"], unit["session"])
            seeds.setdefault(key, set()).add(net.random_state)
    assert all(len(s) == 1 for s in seeds.values())
    assert len({s.pop() for s in seeds.values()}) == len(seeds) == 2 * 2 * 2


def test_seed_defaults_are_the_documented_name_seed_and_reference_network(seed_dir):
    units = SeedExperiment(seed_dir, subjects=[1]).plan()
    assert {(u["experiment"], u["seed"]) for u in units} == {("seed", 0)}
    # the reference estimator (fingerprinted into every unit) is PRNet with the
    # documented placeholders: alpha=1, random_state=0
    net = SeedExperiment(seed_dir).reference_estimator().steps[-1][1]
    assert (net.alpha, net.random_state) == (1.0, 0)


def test_seed_max_epochs_reaches_every_units_network_and_the_fingerprint(seed_dir):
    experiment = SeedExperiment(seed_dir, subjects=[1], max_epochs=3)
    assert experiment.task(experiment.plan()[0]).network.max_epochs == 3
    assert experiment.reference_estimator().steps[-1][1].max_epochs == 3


def test_a_sweep_reports_the_dataset_of_the_experiment_it_wraps(seed_dir):
    from sk_prnet.experiments import SweepExperiment

    assert SweepExperiment(SeedExperiment(seed_dir)).dataset == "seed"
    assert SweepExperiment(RegressionExperiment()).dataset == "diabetes"


# --- AffectNet: plans and tasks on a tiny synthetic AffectNet -------------------------


@pytest.fixture(scope="module")
def affectnet_dir(tmp_path_factory):
    pytest.importorskip("PIL")
    from sk_prnet.datasets import make_synthetic_affectnet

    return make_synthetic_affectnet(
        tmp_path_factory.mktemp("affectnet") / "a", n=32, n_validation=12,
        image_size=(40, 40), random_state=0,
    )  # fmt: skip


def _affectnet_labels(root, split):
    """Arousal, valence of the rows AffectNet trains on, read from the CSV (-2: unrated)."""
    import pandas as pd

    y = pd.read_csv(root / f"{split}.csv")[["arousal", "valence"]].to_numpy(np.float32)
    return y[(y > -2).all(axis=1)]


def test_affectnet_defaults_are_the_papers(affectnet_dir, tmp_path):
    experiment = AffectNetExperiment(affectnet_dir, cache_dir=tmp_path)
    units = experiment.plan()
    # paper Section IV-A: 50K steps of batch 128 on 96 x 96 faces, with augmentation
    for unit in units:
        params = unit["params"]
        assert (params["max_steps"], params["size"], params["batch_size"]) == (50_000, 96, 128)
        assert params["augment"] == "paper"
    assert experiment.task(units[0]).X_train.shape[1:] == (3, 96, 96)
    net = experiment.reference_estimator()
    assert (net.max_steps, net.batch_size, net.augment) == (50_000, 128, "paper")


def test_affectnet_plan_records_the_run_settings_and_identity(affectnet_dir, tmp_path, capsys):
    from sk_prnet.experiments.affectnet import RANKNET

    cache = tmp_path / "cache"
    experiment = AffectNetExperiment(
        affectnet_dir, settings=[(0.0, None), (1.0, 0.15)], cutoffs=[0.5, None], seed=7,
        max_steps=3, size=32, batch_size=8, augment="paper", cache_dir=cache, name="t9",
        ranknet=True,
    )  # fmt: skip
    units = experiment.plan()
    # the caches are built where asked (the data folder may be read-only), silently
    assert sorted(p.name for p in cache.glob("*.npy")) == [
        "affectnet_training_32.npy", "affectnet_validation_32.npy"
    ]  # fmt: skip
    assert not (affectnet_dir / ".sk_prnet_cache").exists()
    assert capsys.readouterr().err == ""
    # 2 settings + RankNet at each cut-off, one split: fold 0
    assert sorted((u["model"], u["params"]["cutoff"] or 0) for u in units) == sorted(
        (m, c) for m in ("baseline (alpha=0)", "PRNet (alpha=1, eps=0.15)", RANKNET)
        for c in (0.5, 0)
    )  # fmt: skip
    assert {(u["experiment"], u["dataset"], u["seed"], u["fold"]) for u in units} == {
        ("t9", "affectnet", 7, 0)
    }
    for unit in units:
        params = unit["params"]
        assert (params["max_steps"], params["size"], params["batch_size"]) == (3, 32, 8)
        assert params["augment"] == "paper" and "package_version" in params
    # other data files: other unit keys
    from sk_prnet.datasets import make_synthetic_affectnet

    other = make_synthetic_affectnet(tmp_path / "other", n=32, n_validation=12,
                                     image_size=(40, 40), random_state=1)  # fmt: skip
    assert (AffectNetExperiment(other, cache_dir=cache, size=32).plan()[0]["params"]["data"]
            != units[0]["params"]["data"])  # fmt: skip
    # no cut-off experiment: no cut-off in the units' keys (stores written before cut-offs)
    plain = AffectNetExperiment(affectnet_dir, cache_dir=cache, size=32).plan()
    assert all("cutoff" not in u["params"] for u in plain)


@pytest.mark.parametrize("cutoff", [0, -0.5])
def test_affectnet_plan_refuses_a_cutoff_that_is_not_positive(affectnet_dir, cutoff):
    with pytest.raises(ExperimentError, match=rf"positive.*got {cutoff}\b"):
        AffectNetExperiment(affectnet_dir, cutoffs=[cutoff]).plan()


def test_affectnet_plan_names_an_unreadable_data_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExperimentError, match=re.escape(str(tmp_path / "empty"))):
        AffectNetExperiment(tmp_path / "empty").plan()


def test_affectnet_tasks_hold_the_split_setting_and_a_seed_shared_by_paired_units(
    affectnet_dir, tmp_path
):
    train, valid = (_affectnet_labels(affectnet_dir, s) for s in ("training", "validation"))
    # a cut-off exactly on one image's largest |label|: that image is kept (|y| <= c)
    largest = np.abs(train).max(axis=1)
    c = float(np.sort(largest)[len(largest) // 2])
    kept = train[largest <= np.float32(c)]
    assert 0 < len(kept) < len(train)
    seeds = {}
    for seed in (0, 1):
        experiment = AffectNetExperiment(
            affectnet_dir, settings=[(0.5, 0.2), (1.0, 0.1)], cutoffs=[c, None], seed=seed,
            max_steps=1, size=32, batch_size=8, augment=None, cache_dir=tmp_path,
        )  # fmt: skip
        for unit in experiment.plan():
            task = experiment.task(unit)
            net = task.estimator
            assert (net.alpha, net.epsilon) == (unit["alpha"], unit["epsilon"])
            assert task.unit == unit  # the result is stored under this unit
            seeds.setdefault(seed, set()).add(net.random_state)
            assert task.images  # a CNN on images: --device auto gives it a GPU
            assert task.X_train.shape[1:] == (3, 32, 32) == task.X_test.shape[1:]
            np.testing.assert_array_equal(task.y_test, valid)
            if unit["params"]["cutoff"] is None:
                # the whole training split, read from the cache batch by batch (not copied)
                assert isinstance(task.X_train, np.memmap)
                np.testing.assert_array_equal(task.y_train, train)
            else:
                np.testing.assert_array_equal(task.y_train, kept)
                assert len(task.X_train) == len(kept)
    # the settings share a seed; another experiment seed gives another
    assert all(len(s) == 1 for s in seeds.values())
    assert seeds[0] != seeds[1]


def test_plans_name_a_bad_recipe_pairing_or_data_folder(tmp_path):
    with pytest.raises(ExperimentError, match=r"'nope'.*available recipes: authors, paper\b"):
        DeapExperiment(tmp_path, recipe="nope").plan()
    with pytest.raises(ExperimentError, match=r"pairing must be one of .*'split'.*got 'bogus'"):
        RegressionExperiment(pairing="bogus").plan()
    with pytest.raises(ExperimentError, match=re.escape(str(tmp_path / "none"))):
        SeedExperiment(tmp_path / "none").plan()


def test_a_pairing_other_than_the_papers_is_recorded_in_the_units():
    assert all("pairing" not in u["params"] for u in RegressionExperiment().plan())
    experiment = RegressionExperiment(settings=[(0.0, None), (1.0, 0.1)], pairing="all")
    units = experiment.plan()
    assert {u["params"]["pairing"] for u in units} == {"all"}
    # the setting is told apart in the report, and reaches the ranking network only (a
    # baseline has no pairs); the network is built for the CPU (the runner sets --device)
    for unit in [u for u in units if u["repeat"] == 0 and u["fold"] == 0]:
        net = network_of(experiment.task(unit).estimator)
        ranked = unit["alpha"] > 0
        assert ("pairing=all" in unit["model"]) == ranked
        assert net.get_params()["pairing"] == ("all" if ranked else "split")
        assert net.get_params()["device"] == "cpu"
