"""deap_recipe_features and load_deap_recipe: every setting of a recipe reaches the features
or windows, and what is not a whole recording of an 'authors'-like recipe is refused."""

import numpy as np
import pytest

from sk_prnet.datasets import load_deap, make_synthetic_deap
from sk_prnet.datasets.deap import DEAP_PRETRIAL_SAMPLES
from sk_prnet.eeg.authors import authors_features
from sk_prnet.pipelines import DEAP_RECIPES, deap_recipe_features, load_deap_recipe

# every setting differs from authors_features' defaults (window 2, step 0.25, baseline 2 s,
# the script's bands), so a setting that does not reach it changes the result
CUSTOM = {
    "window": 1.0,
    "step": 0.5,
    "bands": {"theta": (4.0, 8.0), "beta": (13.0, 30.0)},
    "de_bands": {"low": (4.0, 12.0), "high": (12.0, 40.0)},
    "baseline_seconds": 1.5,
    "subtract_baseline": True,
    "features": ("psd", "de"),
}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    d = make_synthetic_deap(
        tmp_path_factory.mktemp("deap"), n_subjects=1, n_trials=3, trial_seconds=4,
        random_state=0,
    )  # fmt: skip
    return d, load_deap(d, window=None, baseline="keep", dtype=np.float64)


@pytest.fixture
def custom_recipe(monkeypatch):
    """A documented new recipe: an entry of DEAP_RECIPES (removed after the test)."""
    monkeypatch.setitem(DEAP_RECIPES, "custom", dict(CUSTOM))
    return "custom"


def _direct(rec, spec, kinds):
    return authors_features(
        rec.X, rec.sfreq, DEAP_PRETRIAL_SAMPLES, kinds=kinds, window=spec["window"],
        step=spec["step"], baseline_seconds=spec["baseline_seconds"], bands=spec["bands"],
        de_bands=spec["de_bands"], ch_names=list(rec.ch_names),
    )  # fmt: skip


def test_every_setting_of_a_recipe_reaches_the_features(recordings, custom_recipe):
    _, rec = recordings
    F, names = deap_recipe_features(rec, custom_recipe)
    direct, base, direct_names = _direct(rec, CUSTOM, CUSTOM["features"])
    n_trials, n_windows = direct.shape[:2]
    # 4 s trials, 1 s windows every 0.5 s: starts range(0, 512 - 128, 64) -> 6 a trial
    assert (n_trials, n_windows) == (3, 6)
    assert F.shape == (3 * 6, direct.shape[-1])
    np.testing.assert_array_equal(names, direct_names)
    assert {n.split("_")[0] for n in names} == {"psd", "de"}  # the recipe's default kinds
    assert any(n.endswith("_low") for n in names) and any(n.endswith("_beta") for n in names)
    # trial-major rows, each trial minus its own baseline (not trial 0's)
    np.testing.assert_allclose(F[6 * 2 + 4], direct[2, 4] - base[2], rtol=1e-12)
    np.testing.assert_allclose(F.reshape(3, 6, -1), direct - base[:, None], rtol=1e-12)
    assert not np.allclose(base[0], base[2])


def test_a_recipe_may_keep_the_baseline(recordings, monkeypatch):
    _, rec = recordings
    monkeypatch.setitem(DEAP_RECIPES, "kept", {**CUSTOM, "subtract_baseline": False})
    F, _ = deap_recipe_features(rec, "kept", features=("psd",))
    direct, base, _ = _direct(rec, CUSTOM, ("psd",))
    np.testing.assert_allclose(F, direct.reshape(-1, direct.shape[-1]), rtol=1e-12)
    assert np.abs(base).max() > 0


def test_the_authors_recipe_is_the_default(recordings):
    _, rec = recordings
    F, names = deap_recipe_features(rec)
    G, other = deap_recipe_features(rec, "authors")
    np.testing.assert_array_equal(F, G)
    np.testing.assert_array_equal(names, other)
    assert F.shape[1] == 230  # 32 channels x 5 bands + 14 pairs x 5 bands


def test_load_deap_recipe_reads_a_new_recipe(recordings, custom_recipe):
    d, rec = recordings
    data = load_deap_recipe(d, custom_recipe)
    F, names = deap_recipe_features(rec, custom_recipe)
    np.testing.assert_allclose(data.X, F, rtol=1e-12)
    assert (data.window, data.step, data.baseline_seconds) == (1.0, 0.5, 1.5)
    assert data.features == ("psd", "de")
    assert data.recipe == custom_recipe
    np.testing.assert_array_equal(data.trial, np.repeat(rec.trial, 6))


def test_paper_recipe_and_windowed_data_are_refused(recordings):
    d, rec = recordings
    with pytest.raises(ValueError, match="'paper' recipe computes its features in the pipeline"):
        deap_recipe_features(rec, "paper")
    with pytest.raises(ValueError, match="Unknown DEAP recipe 'mine'"):
        deap_recipe_features(rec, "mine")
    windows = load_deap(d, window=2.0)
    with pytest.raises(ValueError, match=r"needs whole recordings: load them with"):
        deap_recipe_features(windows)
    removed = load_deap(d, window=None, baseline="drop", dtype=np.float64)
    with pytest.raises(ValueError, match=r"baseline='keep'"):
        deap_recipe_features(removed)


@pytest.mark.parametrize("features", [(), ("psd", "psd"), ("psd", "alpha"), "beta"])
def test_bad_feature_kinds_are_refused(recordings, features):
    _, rec = recordings
    with pytest.raises(ValueError, match="features must be a non-empty sequence of distinct"):
        deap_recipe_features(rec, features=features)


def test_one_kind_may_be_a_string(recordings):
    _, rec = recordings
    F, names = deap_recipe_features(rec, features="asym")
    assert F.shape[1] == 70 and all(n.startswith("asym_") for n in names)


# --- load_deap_recipe: defaults, settings and refusals --------------------------------------


@pytest.fixture(scope="module")
def two_subjects(tmp_path_factory):
    return make_synthetic_deap(
        tmp_path_factory.mktemp("deap2"), n_subjects=2, n_trials=2, trial_seconds=3,
        random_state=1,
    )  # fmt: skip


def test_the_paper_recipe_is_the_default_and_passes_loader_arguments(two_subjects):
    data = load_deap_recipe(two_subjects, subjects=[1])
    assert data.recipe == "paper"
    # 3 s trials cut into the paper's non-overlapping 2 s windows: one a trial
    assert data.X.shape == (2, 32, 256) and data.X.dtype == np.float32
    assert data.window == 2.0
    wide = load_deap_recipe(two_subjects, "paper", subjects=[1], dtype=np.float64)
    assert wide.X.dtype == np.float64
    np.testing.assert_allclose(wide.X, data.X, rtol=1e-6)


def test_the_paper_recipe_reads_its_window_and_step(two_subjects, monkeypatch):
    monkeypatch.setitem(DEAP_RECIPES, "paper", {**DEAP_RECIPES["paper"], "window": 1.0,
                                                "step": 0.5})  # fmt: skip
    data = load_deap_recipe(two_subjects, subjects=[1])
    # 3 s trials, 1 s windows every 0.5 s: starts 0, 0.5, ..., 2 -> 5 a trial
    assert data.X.shape == (2 * 5, 32, 128)
    full = load_deap(two_subjects, subjects=[1], window=None)
    np.testing.assert_array_equal(data.X[1], full.X[0][:, 64:192])


def test_paper_recipe_refuses_features(two_subjects):
    with pytest.raises(ValueError, match="applies to the 'authors' recipe") as err:
        load_deap_recipe(two_subjects, "paper", features=("psd",))
    assert "the pipeline's 'features' step" in str(err.value)  # where they are instead


def test_authors_recipe_lists_every_subjects_files(two_subjects):
    data = load_deap_recipe(two_subjects, "authors", features="psd")
    assert [p.rsplit("/", 1)[-1] for p in data.filenames] == ["s01.dat", "s02.dat"]
    assert sorted(set(data.subject)) == [1, 2]
    assert data.X.dtype == np.float64  # the script's precision


@pytest.mark.parametrize(
    "kwargs", [{"window": 1.0}, {"step": 0.5}, {"baseline": "drop"}, {"return_baseline": True}]
)
def test_authors_recipe_refuses_the_settings_it_fixes(two_subjects, kwargs):
    (key,) = kwargs
    with pytest.raises(ValueError, match=rf"sets \['{key}'\] itself") as err:
        load_deap_recipe(two_subjects, "authors", **kwargs)
    assert "DEAP_RECIPES['authors']" in str(err.value)  # where to change it instead


def test_refusals_say_where_the_features_are_and_how_to_load(recordings):
    d, _ = recordings
    with pytest.raises(ValueError, match=r"pipeline's 'features' step") as err:
        deap_recipe_features(load_deap(d, window=None, baseline="keep"), "paper")
    assert "for the 'authors' recipe" in str(err.value)
    # windows that kept the pre-trial are still not whole recordings
    kept_windows = load_deap(d, window=2.0, baseline="keep", dtype=np.float64)
    with pytest.raises(ValueError, match="needs whole recordings") as err:
        deap_recipe_features(kept_windows)
    assert "load_deap(..., window=None, baseline='keep')" in str(err.value)
