"""What reaches the model, for every experiment: rows, targets, ranking targets, baselines.

Each experiment's units are run through their public path (``plan()`` -> ``task(unit)`` ->
:func:`sk_prnet.experiments.execute.run_task`) with the real estimator replaced by a real
subclass that records its ``fit``/``predict`` arguments and then trains as usual (no mock of
training). The estimators are built by the runner itself, from ``sk_prnet.estimators``, so
the spy is put there with pytest's ``monkeypatch`` (the runner has, on purpose, no testing
hook in its signatures). The expectations are computed independently from the files on
disk (DEAP's pickles, SEED's ``.mat`` files, AffectNet's CSV) or by hand.
"""

import inspect
import pickle
import sys

import numpy as np
import pytest
import scipy.io

import sk_prnet.estimators
from sk_prnet.datasets import make_synthetic_deap, make_synthetic_seed
from sk_prnet.experiments import (
    DeapExperiment,
    RegressionExperiment,
    SeedExperiment,
)
from sk_prnet.experiments.execute import run_task

DEAP_WINDOWS = 2  # 4 s trials cut into 2 s windows without overlap (the paper's recipe)


def _spy(monkeypatch, name):
    """Replace estimator class ``name`` by a recording subclass wherever the runner finds it.

    Returns the list that receives one dict per ``fit`` (``X``, ``y``, every fit keyword,
    and ``n_predict``: the number of rows later passed to ``predict``).
    """
    base = getattr(sk_prnet.estimators, name)
    calls = []

    class Spy(base):
        def fit(self, X, y, **fit_params):
            record = {"X": np.array(X, copy=True), "y": np.array(y, copy=True)}
            record.update({k: None if v is None else np.array(v, copy=True)
                           for k, v in fit_params.items()})  # fmt: skip
            calls.append(record)
            return super().fit(X, y, **fit_params)

        # the same fit signature, set in the class body: scikit-learn builds the metadata
        # requests (set_fit_request) from it when the class is created
        fit.__signature__ = inspect.signature(base.fit)

        def predict(self, X):
            calls[-1]["n_predict"] = len(X)
            return super().predict(X)

    Spy.__name__ = Spy.__qualname__ = base.__name__
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("sk_prnet") and (
            getattr(module, name, None) is base
        ):
            monkeypatch.setattr(module, name, Spy)
    return calls


def _run(experiment, unit):
    task = experiment.task(unit)
    run_task(task)
    return task, task.train_index, task.test_index


def _all_rows(task):
    """The experiment's whole data set of the task (its training and test rows in place)."""
    X_train, X_test = np.asarray(task.X_train), np.asarray(task.X_test)
    X = np.empty((len(X_train) + len(X_test), *X_train.shape[1:]), dtype=X_train.dtype)
    X[task.train_index], X[task.test_index] = X_train, X_test
    return X


def _rewrite_deap(path, change):
    """Apply ``change(data, labels)`` to a DEAP file, written back in DEAP's format."""
    with open(path, "rb") as f:
        content = pickle.load(f, encoding="latin1")
    change(content["data"], content["labels"])
    with open(path, "wb") as f:
        pickle.dump(content, f, protocol=2)


def _deap_labels(path):
    with open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")["labels"]


@pytest.fixture(scope="module")
def deap_dir(tmp_path_factory):
    root = make_synthetic_deap(
        tmp_path_factory.mktemp("deap"), n_subjects=2, n_trials=20, trial_seconds=4,
        random_state=1,
    )  # fmt: skip
    # every trial a distinct rating, so that a rating identifies its trial
    for subject in (1, 2):
        def distinct(data, labels, subject=subject):
            labels[:, :2] = 1.0 + 8.0 * np.random.default_rng(subject).random((len(labels), 2))
        _rewrite_deap(root / f"s{subject:02d}.dat", distinct)
    return root


def test_deap_folds_split_whole_trials_and_the_model_gets_the_training_ratings(
    deap_dir, monkeypatch
):
    calls = _spy(monkeypatch, "PRNetClassifier")
    experiment = DeapExperiment(deap_dir, subjects=[2], settings=[(1.0, 0.25)], max_epochs=1)
    units = experiment.plan()
    assert len(units) == 10
    # independent truth from the file: DEAP labels are valence, arousal, dominance, liking;
    # the experiment's targets are arousal then valence, one row per window, trial-major
    labels = _deap_labels(deap_dir / "s02.dat")
    ratings = np.repeat(labels[:, [1, 0]], DEAP_WINDOWS, axis=0)
    trial = np.repeat(np.arange(len(labels)), DEAP_WINDOWS)
    n = len(trial)
    seen_test = np.zeros(n, dtype=int)
    for unit in units:
        _, train, test = _run(experiment, unit)
        assert np.intersect1d(train, test).size == 0
        assert np.union1d(train, test).tolist() == list(range(n))
        assert not set(trial[train]) & set(trial[test]), "a fold splits a trial"
        seen_test[test] += 1
        fit = calls[-1]
        assert fit.get("ranking_target") is not None, "the ratings did not reach the network"
        np.testing.assert_array_equal(fit["ranking_target"], ratings[train])
        np.testing.assert_array_equal(fit["y"], (ratings[train] > 5.0).astype(int))
        assert fit.get("rank_groups") is None  # one subject: no groups in this protocol
        assert len(fit["X"]) == len(train) and fit["n_predict"] == len(test)
    assert (seen_test == 1).all(), "every window is tested exactly once"


def test_deap_authors_recipe_subtracts_each_trials_own_baseline(deap_dir, tmp_path):
    """A baseline scaled by g adds 20 log10(g) dB to its trial's band powers only.

    Every trial's pre-trial segment is scaled by a different gain; the experiment's feature
    rows (the input of the recipe's pipeline) must then move, for each trial, by minus
    its own gain in dB on the power features and not at all on the asymmetry features
    (a left-right difference, where the gain cancels). This holds for any band set and
    for dB of the mean or mean of dB, so it checks the wiring, not the recipe's maths.
    """
    scaled = tmp_path / "scaled"
    scaled.mkdir()
    gains = {}
    for subject in (1, 2):
        source = deap_dir / f"s{subject:02d}.dat"
        (scaled / source.name).write_bytes(source.read_bytes())
        g = 2.0 ** (1 + np.arange(20) / 4 + subject)  # a different gain per trial
        gains[subject] = g

        def scale(data, labels, g=g):
            data[:, :32, : 3 * 128] *= g[:, None, None]

        _rewrite_deap(scaled / source.name, scale)

    def features(root, subject):
        experiment = DeapExperiment(root, subjects=[subject], recipe="authors",
                                    settings=[(0.0, None)], max_epochs=1)  # fmt: skip
        (unit, *_) = experiment.plan()
        return np.asarray(_all_rows(experiment.task(unit)), dtype=np.float64)

    for subject in (1, 2):
        plain, moved = features(deap_dir, subject), features(scaled, subject)
        rows_per_trial = len(plain) // 20
        assert rows_per_trial * 20 == len(plain)
        # a window of a later trial of each subject (and the first, as a contrast)
        for t in (0, 13, 19):
            row = t * rows_per_trial + rows_per_trial // 2
            shift = plain[row] - moved[row]
            expected = 20 * np.log10(gains[subject][t])
            power = np.isclose(shift, expected, atol=1e-3)  # float32 features
            unchanged = np.isclose(shift, 0.0, atol=1e-3)
            assert (power | unchanged).all(), f"trial {t}: shifted by another trial's baseline"
            assert power.sum() >= 32 * 3, "the band powers did not move with the baseline"


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory):
    return make_synthetic_seed(
        tmp_path_factory.mktemp("seed"), n_subjects=2, n_sessions=2, random_state=2,
        n_windows=(3, 6), features=("de_LDS",),
    )  # fmt: skip


def test_seed_trains_on_trials_1_to_9_and_tests_on_10_to_15_of_the_same_session(
    seed_dir, monkeypatch
):
    from sk_prnet.pipelines import make_seed_pipeline

    calls = _spy(monkeypatch, "PRNetClassifier")
    experiment = SeedExperiment(seed_dir, subjects=[2], settings=[(1.0, None)], max_epochs=1)
    units = experiment.plan()
    assert sorted(u["session"] for u in units) == [1, 2]
    files = sorted((seed_dir / "ExtractedFeatures").glob("2_*.mat"))  # by date
    label = scipy.io.loadmat(seed_dir / "ExtractedFeatures" / "label.mat")["label"].ravel()
    for unit in units:
        mat = scipy.io.loadmat(files[unit["session"] - 1])

        def rows(trials, mat=mat):
            # (62, T, 5) -> (T, 310), channel-major (the loader's documented layout)
            return np.concatenate([mat[f"de_LDS{k}"].transpose(1, 0, 2).reshape(-1, 310)
                                   for k in trials])  # fmt: skip

        def labels(trials, mat=mat):
            return np.concatenate([np.full(mat[f"de_LDS{k}"].shape[1], label[k - 1])
                                   for k in trials])  # fmt: skip

        task, train, test = _run(experiment, unit)
        assert np.intersect1d(train, test).size == 0
        fit = calls[-1]
        np.testing.assert_array_equal(fit["y"], labels(range(1, 10)))
        assert fit["n_predict"] == len(labels(range(10, 16)))
        np.testing.assert_allclose(np.asarray(task.X_test), rows(range(10, 16)), rtol=1e-6)
        # the rows themselves: the recipe's preprocessing of this session's trials 1-9
        pre = make_seed_pipeline()[:-1].fit(rows(range(1, 10)), labels(range(1, 10)))
        np.testing.assert_allclose(fit["X"], pre.transform(rows(range(1, 10))), atol=1e-5)
        # SEED ranks by the class order: no separate ranking target, no groups
        assert fit.get("ranking_target") is None and fit.get("rank_groups") is None


def _diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return X, (y - y.mean()) / y.std()


def _standardize(a):
    a = np.asarray(a, dtype=np.float64)
    return (a - a.mean(axis=0)) / a.std(axis=0)


@pytest.mark.parametrize("cutoff", [None, 0.5])
def test_regression_sweep_and_cutoff_train_on_the_right_rows(cutoff, monkeypatch):
    calls = _spy(monkeypatch, "PRNetRegressor")
    experiment = RegressionExperiment(
        "diabetes", settings=[(1.0, 0.25)], cutoffs=[cutoff], n_splits=3, n_repeats=1,
        max_epochs=1, seed=4,
    )  # fmt: skip
    X_all, y_all = _diabetes()
    n = len(y_all)
    seen_test = np.zeros(n, dtype=int)
    units = experiment.plan()
    assert len(units) == 3
    for unit in units:
        _, train, test = _run(experiment, unit)
        assert np.intersect1d(train, test).size == 0
        seen_test[test] += 1
        rest = np.setdiff1d(np.arange(n), test)
        # the cut-off drops exactly the training samples with |y| > c, nothing else
        kept = rest if cutoff is None else rest[np.abs(y_all[rest]) <= cutoff]
        assert kept.size < rest.size or cutoff is None
        fit = calls[-1]
        # the network sees z-scored X and y of exactly those rows (the documented
        # StandardScaler steps of the sweep's pipeline and target transformer)
        assert len(fit["y"]) == kept.size, "training rows other than the kept ones"
        np.testing.assert_allclose(fit["y"].ravel(), _standardize(y_all[kept]), atol=1e-5)
        np.testing.assert_allclose(fit["X"], _standardize(X_all[kept]), atol=1e-4)
        if cutoff is not None:
            y_fit = fit["y"].ravel() * y_all[kept].std() + y_all[kept].mean()
            assert np.abs(y_fit).max() <= cutoff + 1e-6
        assert fit.get("ranking_target") is None and fit.get("rank_groups") is None
        assert fit["n_predict"] == len(test)  # evaluated on every test sample
    assert (seen_test == 1).all()


def test_affectnet_cutoff_trains_on_the_kept_training_images(tmp_path, monkeypatch):
    pytest.importorskip("PIL")
    import pandas as pd

    from sk_prnet.datasets import make_synthetic_affectnet
    from sk_prnet.experiments.affectnet import AffectNetExperiment

    root = make_synthetic_affectnet(
        tmp_path / "affectnet", n=32, n_validation=12, image_size=(40, 40), random_state=0
    )
    calls = _spy(monkeypatch, "PRNetRegressor")
    cutoff = 0.5
    experiment = AffectNetExperiment(
        root, settings=[(1.0, 0.15)], cutoffs=[cutoff, None], max_steps=1, size=32,
        batch_size=8, augment=None, cache_dir=tmp_path / "cache",
    )  # fmt: skip
    units = experiment.plan()
    assert len(units) == 2
    # independent truth: the CSVs (uncertain ratings, -2, are not training targets)
    csv = {s: pd.read_csv(root / f"{s}.csv") for s in ("training", "validation")}
    truth = {s: df[["arousal", "valence"]].to_numpy(np.float32) for s, df in csv.items()}
    truth = {s: t[(t > -2).all(axis=1)] for s, t in truth.items()}
    for unit in units:
        run_task(experiment.task(unit))
        fit = calls[-1]
        c = unit["params"].get("cutoff")
        expected = truth["training"]
        if c is not None:
            expected = expected[(np.abs(expected) <= c).all(axis=1)]
            assert 0 < len(expected) < len(truth["training"])
        np.testing.assert_allclose(np.sort(fit["y"], axis=0), np.sort(expected, axis=0))
        assert len(fit["X"]) == len(expected)
        assert fit["n_predict"] == len(truth["validation"])  # the whole validation split
        assert fit.get("ranking_target") is None and fit.get("rank_groups") is None


def _authors_features(eeg, starts, bands, per_bin=True):
    """The first author's script (``../shared/formats.md``): Welch PSD per 2 s window
    (``nperseg=128``: 1 Hz bins), dB, averaged over each band's inclusive bins, for the 32
    channels; then left - right for the 14 symmetric pairs."""
    from scipy.signal import welch

    from sk_prnet.eeg.montage import DEAP_EEG_CHANNELS, DEAP_SYMMETRIC_PAIRS

    rows = []
    for start in starts:
        freqs, psd = welch(eeg[:, start : start + 256], fs=128, nperseg=128)
        power = []
        for lo, hi in bands:
            band = psd[:, (freqs >= lo) & (freqs <= hi)]
            power.append(10 * np.log10(band).mean(axis=1) if per_bin
                         else 10 * np.log10(band.mean(axis=1)))  # fmt: skip
        power = np.stack(power, axis=1)  # (32, n_bands)
        index = {name: i for i, name in enumerate(DEAP_EEG_CHANNELS)}
        asym = np.stack([power[index[a]] - power[index[b]] for a, b in DEAP_SYMMETRIC_PAIRS])
        rows.append(np.concatenate([power.ravel(), asym.ravel()]))
    return np.array(rows)


AUTHORS_BANDS = [(4, 7), (8, 10), (8, 13), (14, 29), (30, 45)]  # inclusive 1 Hz bins


def test_deap_authors_recipe_reaches_the_model_as_the_script_computes_it(deap_dir):
    """A window of a later trial of a later subject, against scipy: the trial's features
    minus its own baseline's (the last 2 s of its pre-trial part), five bands, dB per bin,
    windows every 0.25 s as ``range(0, n - 256, 32)`` (232 a 60 s trial)."""
    subject, trial, window = 2, 13, 5
    experiment = DeapExperiment(deap_dir, subjects=[subject], recipe="authors",
                                settings=[(0.0, None)], max_epochs=1)  # fmt: skip
    (unit, *_) = experiment.plan()
    X = _all_rows(experiment.task(unit))
    with open(deap_dir / f"s{subject:02d}.dat", "rb") as f:
        eeg = pickle.load(f, encoding="latin1")["data"][trial, :32]
    n = eeg.shape[1] - 3 * 128
    starts = list(range(0, n - 256, 32))
    assert len(X) == 20 * len(starts)
    trial_part, baseline = eeg[:, 3 * 128 :], eeg[:, 128 : 3 * 128]
    expected = (_authors_features(trial_part, [starts[window]], AUTHORS_BANDS)
                - _authors_features(baseline, [0], AUTHORS_BANDS))[0]  # fmt: skip
    row = np.asarray(X[trial * len(starts) + window], dtype=np.float64)
    assert row.shape == expected.shape
    # the column order is the recipe's; the values must be the script's
    np.testing.assert_allclose(np.sort(row), np.sort(expected), atol=1e-3)
