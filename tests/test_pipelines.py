import numpy as np
import pytest
import sklearn

from sk_prnet import PRNetClassifier
from sk_prnet.pipelines import make_deap_pipeline, make_seed_pipeline


def test_deap_pipeline_end_to_end_with_routing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 32, 256)).astype(np.float32)
    ratings = rng.uniform(1, 9, size=(60, 2))
    y = (ratings > 5).astype(int)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_deap_pipeline(
            k=20, max_epochs=2, device="cpu", random_state=0, request_ranking_target=True
        )
        pipe.fit(X, y, ranking_target=ratings)
    assert pipe.named_steps["features"].n_features_out_ == 230
    assert pipe.named_steps["select"].get_support().sum() == 20
    assert pipe.predict(X).shape == (60, 2)


def test_seed_pipeline_uses_table_three_order():
    pipe = make_seed_pipeline(alpha=1.0, max_epochs=1, k=5)
    assert pipe.named_steps["prnet"].class_order == [-1, 0, 1]
    X = np.random.default_rng(1).normal(size=(30, 10))
    y = np.tile([-1, 0, 1], 10)
    assert set(pipe.fit(X, y).predict(X)) <= {-1, 0, 1}


def test_estimator_or_params_not_both():
    with pytest.raises(ValueError, match="not both"):
        make_seed_pipeline(PRNetClassifier(), alpha=0.0)


def _independent_band(x, lo, hi):
    from scipy.signal import welch

    freqs, psd = welch(x, fs=128, window="hann", nperseg=128, noverlap=64, axis=-1)
    return psd[..., (freqs >= lo) & (freqs < hi)].mean(-1)


@pytest.fixture(scope="module")
def small_deap(tmp_path_factory):
    from sk_prnet.datasets import make_synthetic_deap

    return make_synthetic_deap(
        tmp_path_factory.mktemp("deap"), n_subjects=1, n_trials=2, trial_seconds=4, random_state=0
    )


def _raw_trial(directory, trial):
    import pickle

    with open(directory / "s01.dat", "rb") as f:
        return pickle.load(f, encoding="latin1")["data"][trial, :32].astype(np.float32)


def test_paper_recipe_matches_scipy(small_deap):
    from sk_prnet.pipelines import load_deap_recipe

    data = load_deap_recipe(small_deap, "paper")
    assert data.X.shape == (2 * 2, 32, 256)  # 4 s trials: two 2 s windows each
    features = make_deap_pipeline(max_epochs=1).named_steps["features"].fit(data.X)
    names = list(features.get_feature_names_out())
    F = features.transform(data.X)
    raw = _raw_trial(small_deap, 1)
    win = raw[:, 384 + 256 : 384 + 512]  # trial 1, second window
    expected = np.log10(_independent_band(win[0], 12, 30))  # Fp1 beta
    assert F[3, names.index("psd_Fp1_beta")] == pytest.approx(expected, rel=1e-4)
    psa = np.log10(_independent_band(win[0], 8, 12)) - np.log10(_independent_band(win[16], 8, 12))
    assert F[3, names.index("psa_Fp1-Fp2_alpha")] == pytest.approx(psa, abs=1e-4)


def test_unknown_recipe():
    with pytest.raises(ValueError, match="Unknown DEAP recipe 'mine'"):
        make_deap_pipeline(recipe="mine")


# --- what the factories pass on (each argument must reach its step) ---------------------------


def _welch_band(x, fs, nperseg, lo, hi):
    from scipy.signal import welch

    freqs, psd = welch(x, fs=fs, window="hann", nperseg=nperseg, noverlap=nperseg // 2, axis=-1)
    return psd[..., (freqs >= lo) & (freqs < hi)].mean(-1)


def test_factories_name_their_steps_and_keep_the_papers_100_features():
    deap = make_deap_pipeline(max_epochs=1)
    assert [name for name, _ in deap.steps] == ["features", "select", "scale", "prnet"]
    assert deap.named_steps["select"].k == 100  # paper: "keeping the 100 most discriminative"
    authors = make_deap_pipeline(recipe="authors", max_epochs=1)
    assert [name for name, _ in authors.steps] == ["select", "scale", "prnet"]
    seed = make_seed_pipeline(max_epochs=1)
    assert [name for name, _ in seed.steps] == ["select", "scale", "prnet"]
    assert seed.named_steps["select"].k == 100
    # grid searches address the scaler by its documented name
    seed.set_params(scale__with_mean=False)
    assert seed.named_steps["scale"].with_mean is False


def test_a_given_estimator_is_the_final_step():
    net = PRNetClassifier(alpha=0.25, max_epochs=1)
    pipe = make_deap_pipeline(net, recipe="authors", k=5)
    assert pipe.named_steps["prnet"] is net


def test_rank_groups_request_reaches_the_net():
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_deap_pipeline(recipe="authors", max_epochs=1, request_rank_groups=True)
        fit = pipe.named_steps["prnet"].get_metadata_routing().fit.requests
    assert fit["rank_groups"] is True
    assert fit["ranking_target"] is None  # untouched: not requested


def test_features_step_uses_sfreq_nperseg_bands_and_channel_names():
    from sk_prnet.eeg.montage import DEAP_EEG_CHANNELS

    ch_names = list(DEAP_EEG_CHANNELS)[::-1]  # the recording's own channel order
    bands = {"low": (4.0, 10.0), "high": (20.0, 60.0)}
    pipe = make_deap_pipeline(
        sfreq=256.0, ch_names=ch_names, bands=bands, nperseg=64, max_epochs=1
    )
    features = pipe.named_steps["features"]
    X = np.random.default_rng(3).normal(size=(2, 32, 512))
    F = features.fit_transform(X)
    names = list(features.get_feature_names_out())
    assert F.shape == (2, 32 * 2 + 14 * 2)
    assert names[0] == f"psd_{ch_names[0]}_low"
    assert {n.rsplit("_", 1)[1] for n in names} == {"low", "high"}
    # channel 0 of X is the *last* DEAP channel here; reference: scipy at 256 Hz, nperseg 64
    expected = np.log10(_welch_band(X[1, 0], 256.0, 64, 20.0, 60.0))
    assert F[1, names.index(f"psd_{ch_names[0]}_high")] == pytest.approx(expected, rel=1e-6)
