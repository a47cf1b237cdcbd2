"""Tests of the synthetic DEAP and SEED generators: format, determinism, learnability."""

import ast
import datetime
import inspect
import pickle
import pickletools
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from scipy.signal import welch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sk_prnet.datasets as datasets
from sk_prnet.datasets import (
    iter_deap_subjects,
    load_deap,
    load_seed,
    make_synthetic_deap,
    make_synthetic_seed,
)
from sk_prnet.datasets.seed import SEED_LABELS

PAPER_BANDS = [(4, 8), (8, 10), (8, 12), (12, 30), (30, 45)]


@pytest.fixture(scope="module")
def small_deap(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth_deap")
    return make_synthetic_deap(d, n_subjects=2, n_trials=5, trial_seconds=10, random_state=0)


def read_raw(path):
    with open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")


def test_public_api():
    assert set(datasets.__all__) >= {
        "load_deap",
        "iter_deap_subjects",
        "load_seed",
        "make_synthetic_deap",
        "make_synthetic_seed",
    }


def test_dataset_modules_do_not_import_torch():
    folder = Path(datasets.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("torch", "skorch"), (path.name, name)


# -------------------------------------------------------------------------------------------
# DEAP
# -------------------------------------------------------------------------------------------
def test_deap_defaults_are_the_published_sizes():
    params = inspect.signature(make_synthetic_deap).parameters
    assert params["n_subjects"].default == 32
    assert params["n_trials"].default == 40
    assert 128 * (3 + params["trial_seconds"].default) == 8064


def test_deap_file_format(small_deap):
    assert sorted(p.name for p in small_deap.iterdir()) == ["s01.dat", "s02.dat"]
    raw = read_raw(small_deap / "s01.dat")
    assert set(raw) == {"data", "labels"}
    assert raw["data"].dtype == np.float64 and raw["data"].shape == (5, 40, 128 * 13)
    assert raw["labels"].dtype == np.float64 and raw["labels"].shape == (5, 4)
    assert raw["labels"].min() >= 1.0 and raw["labels"].max() <= 9.0
    assert np.isfinite(raw["data"]).all()


def test_deap_files_are_python2_style_pickles(small_deap):
    blob = (small_deap / "s01.dat").read_bytes()
    ops = list(pickletools.genops(blob))
    assert ops[0][0].name == "PROTO" and ops[0][1] == 2
    globals_ = {arg for op, arg, _ in ops if op.name == "GLOBAL"}
    assert "numpy.core.multiarray _reconstruct" in globals_
    assert {op.name for op, _, _ in ops} >= {"BINSTRING"}  # raw bytes, as cPickle wrote them
    # As with the real files, the default ASCII decoding fails and latin1 is required.
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(blob)
    # Raw float64 buffer stored once: about the size of the array.
    assert len(blob) < 5 * 40 * 128 * 13 * 8 * 1.01


def test_deap_eeg_is_plausible(small_deap):
    data = read_raw(small_deap / "s02.dat")["data"]
    eeg = data[:, :32]
    # common average reference
    np.testing.assert_allclose(eeg.mean(axis=1), 0.0, atol=1e-4)
    std = eeg.std(axis=-1)
    assert 2.0 < std.min() and std.max() < 100.0  # microvolts
    f, p = welch(eeg, fs=128, nperseg=256, axis=-1)
    power = p.mean(axis=(0, 1))
    inband = power[(f >= 4) & (f < 45)].mean()
    assert power[f < 1.5].mean() < 0.05 * inband  # band-passed 4-45 Hz
    assert power[f > 55].mean() < 0.01 * inband
    assert f[(f >= 4) & (f < 45)][np.argmax(power[(f >= 4) & (f < 45)])] < 13  # 1/f + alpha
    peripheral = data[:, 32:]
    assert np.all(peripheral.std(axis=-1) > 0)
    assert not np.allclose(peripheral[:, 1], peripheral[:, 0])


def test_deap_deterministic(tmp_path):
    a = make_synthetic_deap(
        tmp_path / "a", n_subjects=2, n_trials=2, trial_seconds=2, random_state=7
    )
    b = make_synthetic_deap(
        tmp_path / "b", n_subjects=1, n_trials=2, trial_seconds=2, random_state=7
    )
    c = make_synthetic_deap(
        tmp_path / "c", n_subjects=1, n_trials=2, trial_seconds=2, random_state=8
    )
    assert isinstance(a, Path) and a == tmp_path / "a"
    assert (a / "s01.dat").read_bytes() == (b / "s01.dat").read_bytes()
    assert (a / "s01.dat").read_bytes() != (c / "s01.dat").read_bytes()
    assert (a / "s01.dat").read_bytes() != (a / "s02.dat").read_bytes()
    rs = make_synthetic_deap(
        tmp_path / "rs",
        n_subjects=1,
        n_trials=2,
        trial_seconds=2,
        random_state=np.random.RandomState(3),
    )
    rs2 = make_synthetic_deap(
        tmp_path / "rs2",
        n_subjects=1,
        n_trials=2,
        trial_seconds=2,
        random_state=np.random.RandomState(3),
    )
    assert (rs / "s01.dat").read_bytes() == (rs2 / "s01.dat").read_bytes()


def test_deap_roundtrip_through_loader(small_deap):
    b = load_deap(small_deap, return_baseline=True, targets=("valence", "arousal", "liking"))
    assert b.X.shape == (2 * 5 * 5, 32, 256) and b.X.dtype == np.float32
    raw = read_raw(small_deap / "s02.dat")
    np.testing.assert_array_equal(b.ratings[-1], raw["labels"][-1, [0, 1, 3]])
    np.testing.assert_allclose(b.X[-1], raw["data"][-1, :32, -256:].astype(np.float32))
    np.testing.assert_allclose(b.baseline[-1], raw["data"][-1, :32, :384].astype(np.float32))


def test_deap_ratings_are_unbalanced_continuous(tmp_path):
    d = make_synthetic_deap(tmp_path, n_subjects=3, n_trials=40, trial_seconds=1, random_state=0)
    labels = np.concatenate([read_raw(p)["labels"] for p in sorted(d.iterdir())])
    assert len(np.unique(labels)) > 100  # continuous, not integer steps
    high = (labels > 5).mean(axis=0)
    assert np.all((high > 0.35) & (high < 0.9))
    # valence and liking are correlated, as in DEAP
    assert np.corrcoef(labels[:, 0], labels[:, 3])[0, 1] > 0.3


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_subjects=0),
        dict(n_trials=101),
        dict(n_trials=2.5),
        dict(trial_seconds=0),
        dict(effect_size=-1.0),
    ],
)
def test_deap_invalid_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        make_synthetic_deap(tmp_path, **dict(dict(n_subjects=1, n_trials=2), **kwargs))


def _band_power_features(X):
    f, p = welch(X, fs=128, nperseg=128, axis=-1)
    bp = np.stack([p[..., (f >= lo) & (f < hi)].mean(-1) for lo, hi in PAPER_BANDS], -1)
    return np.log(bp).reshape(len(X), -1)


def _deap_scores(directory):
    acc, bacc, majority = [], [], []
    for b in iter_deap_subjects(directory):
        feats = _band_power_features(b.X)
        for j in range(b.y.shape[1]):
            y = b.y[:, j]
            clf = make_pipeline(
                StandardScaler(), LogisticRegression(C=0.1, solver="newton-cg", max_iter=1000)
            )
            pred = cross_val_predict(clf, feats, y, groups=b.trial, cv=GroupKFold(5))
            acc.append(accuracy_score(y, pred))
            bacc.append(balanced_accuracy_score(y, pred))
            majority.append(max(y.mean(), 1 - y.mean()))
    return np.mean(acc), np.mean(bacc), np.mean(majority)


def test_deap_is_learnable_but_not_trivial(tmp_path):
    """Log band powers + logistic regression, CV over trials: clearly above chance."""
    d = make_synthetic_deap(
        tmp_path / "on", n_subjects=4, n_trials=40, trial_seconds=12, random_state=0
    )
    acc, bacc, majority = _deap_scores(d)
    assert bacc > 0.62, bacc
    assert acc > majority + 0.05, (acc, majority)
    assert acc < 0.95, acc
    # Control: without the emotion effect the same pipeline is at chance.
    d0 = make_synthetic_deap(
        tmp_path / "off",
        n_subjects=4,
        n_trials=40,
        trial_seconds=12,
        random_state=0,
        effect_size=0.0,
    )
    _, bacc0, _ = _deap_scores(d0)
    assert bacc0 < 0.58, bacc0


# -------------------------------------------------------------------------------------------
# SEED
# -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_seed(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth_seed")
    return make_synthetic_seed(d, n_subjects=2, n_sessions=3, random_state=0, n_windows=(6, 12))


def test_seed_file_layout(small_seed):
    folder = small_seed / "ExtractedFeatures"
    names = sorted(p.name for p in folder.iterdir())
    assert names[-1] == "label.mat" and len(names) == 2 * 3 + 1
    for subject in (1, 2):
        files = [n for n in names if n.startswith(f"{subject}_")]
        assert len(files) == 3 and all(re.fullmatch(r"\d+_\d{8}\.mat", n) for n in files)
        dates = [datetime.datetime.strptime(n[2:10], "%Y%m%d") for n in files]
        assert len(set(dates)) == 3
    label = scipy.io.loadmat(folder / "label.mat")["label"]
    assert label.shape == (1, 15)
    assert label.ravel().tolist() == [1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]
    assert tuple(label.ravel().tolist()) == SEED_LABELS


def test_seed_arrays(small_seed):
    folder = small_seed / "ExtractedFeatures"
    files = sorted(p for p in folder.iterdir() if p.name != "label.mat")
    mats = [scipy.io.loadmat(p) for p in files]
    keys = {k for k in mats[0] if not k.startswith("__")}
    assert keys == {
        f"{f}{k}"
        for f in ("de_LDS", "de_movingAve", "psd_LDS", "psd_movingAve")
        for k in range(1, 16)
    }
    lengths = [mats[0][f"de_LDS{k}"].shape[1] for k in range(1, 16)]
    assert all(6 <= t <= 12 for t in lengths) and len(set(lengths)) > 1
    for m in mats:  # T_k is the clip's length: the same for every subject and session
        for k in range(1, 16):
            for f in ("de_LDS", "de_movingAve", "psd_LDS", "psd_movingAve"):
                assert m[f"{f}{k}"].shape == (62, lengths[k - 1], 5)
                assert m[f"{f}{k}"].dtype == np.float64
        assert all((m[f"psd_LDS{k}"] > 0).all() for k in range(1, 16))


def test_seed_lds_smoother_than_moving_average(tmp_path):
    d = make_synthetic_seed(tmp_path, n_subjects=1, n_sessions=1, random_state=0, n_windows=60)
    m = scipy.io.loadmat(next((d / "ExtractedFeatures").glob("1_*.mat")))
    rough = {
        f: np.mean([np.abs(np.diff(m[f"{f}{k}"], axis=1)).mean() for k in range(1, 16)])
        for f in ("de_LDS", "de_movingAve")
    }
    assert rough["de_LDS"] < rough["de_movingAve"]


def test_seed_deterministic(tmp_path):
    a = make_synthetic_seed(
        tmp_path / "a", n_subjects=2, n_sessions=2, random_state=3, n_windows=(3, 5)
    )
    b = make_synthetic_seed(
        tmp_path / "b", n_subjects=1, n_sessions=2, random_state=3, n_windows=(3, 5)
    )
    c = make_synthetic_seed(
        tmp_path / "c", n_subjects=1, n_sessions=2, random_state=4, n_windows=(3, 5)
    )
    assert isinstance(a, Path) and a == tmp_path / "a"
    la, lb, lc = (load_seed(x, subjects=1) for x in (a, b, c))
    np.testing.assert_array_equal(la.X, lb.X)
    assert [Path(f).name for f in la.filenames] == [Path(f).name for f in lb.filenames]
    assert la.X.shape != lc.X.shape or not np.array_equal(la.X, lc.X)


def test_seed_asymmetry_features(tmp_path):
    d = make_synthetic_seed(
        tmp_path,
        n_subjects=1,
        n_sessions=1,
        random_state=0,
        n_windows=4,
        features=("dasm_LDS", "asm_movingAve", "dcau_LDS"),
    )
    assert load_seed(d, feature="dasm_LDS").X.shape == (60, 135)
    assert load_seed(d, feature="asm_movingAve").X.shape == (60, 270)
    assert load_seed(d, feature="dcau_LDS").X.shape == (60, 115)
    with pytest.raises(ValueError, match="lacks"):
        load_seed(d, feature="de_LDS")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_subjects=0),
        dict(n_sessions=10),
        dict(n_windows=0),
        dict(n_windows=(5, 3)),
        dict(n_windows="many"),
        dict(features=("de_lds",)),
        dict(effect_size=-0.5),
    ],
)
def test_seed_invalid_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        make_synthetic_seed(tmp_path, **dict(dict(n_subjects=1, n_windows=3), **kwargs))


def _seed_accuracy(directory):
    b = load_seed(directory)
    scores = []
    for s in np.unique(b.subject):
        for sess in np.unique(b.session):
            m = (b.subject == s) & (b.session == sess)
            train, test = m & (b.trial_index <= 9), m & (b.trial_index >= 10)
            clf = make_pipeline(
                StandardScaler(), LogisticRegression(C=0.1, solver="newton-cg", max_iter=1000)
            )
            scores.append(clf.fit(b.X[train], b.y[train]).score(b.X[test], b.y[test]))
    return np.mean(scores)


def test_seed_is_learnable_but_not_trivial(tmp_path):
    """DE features + logistic regression, the paper's 9/6 trial split: above 1/3 chance."""
    kwargs = dict(n_subjects=5, n_sessions=3, random_state=0, n_windows=(10, 15))
    acc = _seed_accuracy(make_synthetic_seed(tmp_path / "on", **kwargs))
    assert 0.5 < acc < 0.95, acc
    # Control: without the emotion effect the same pipeline is at chance.
    acc0 = _seed_accuracy(make_synthetic_seed(tmp_path / "off", effect_size=0.0, **kwargs))
    assert acc0 < 0.45, acc0
