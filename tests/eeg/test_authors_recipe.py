"""The "authors" DEAP recipe against a hand computation of the first author's script.

Files are written in DEAP's format (pickled dict of float64 ``data``/``labels``) and read back
through the public loader; the expected features are recomputed here from ``scipy.signal``
following the script as /work/shared/formats.md describes it.
"""

import pickle

import numpy as np
import pytest
import scipy.signal

from sk_prnet.eeg.authors import authors_features, script_window_starts
from sk_prnet.eeg.montage import DEAP_EEG_CHANNELS
from sk_prnet.pipelines import load_deap_recipe, make_deap_pipeline

FS = 128
PRE = 384  # 3 s pre-trial
TRIAL = 6 * FS  # 6 s trials keep the test small: range(0, 768 - 256, 32) = 16 windows
N_TRIALS = 3
# The script's bands as inclusive 1 Hz bins (bin index = Hz with nperseg = fs).
BINS = {"theta": (4, 7), "slow_alpha": (8, 10), "alpha": (8, 13), "beta": (14, 29),
        "gamma": (30, 45)}  # fmt: skip


def _recording(rng, subject, trial):
    """40 channels of noise plus rhythms; the pre-trial gain differs for every trial."""
    t = np.arange(PRE + TRIAL) / FS
    data = rng.standard_normal((40, PRE + TRIAL))
    data[:32] += 3 * np.sin(2 * np.pi * (6 + trial) * t + np.arange(32)[:, None])
    data[:32] += np.linspace(1, 2, 32)[:, None] * np.sin(2 * np.pi * 20 * t)
    data[:32, :PRE] *= 1.0 + trial + 4 * subject  # each trial its own baseline
    return data


@pytest.fixture(scope="module")
def deap_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("deap_authors")
    rng = np.random.default_rng(0)
    raw = {}
    for subject in (1, 2):
        data = np.stack([_recording(rng, subject, t) for t in range(N_TRIALS)])
        labels = rng.uniform(1, 9, size=(N_TRIALS, 4))
        with open(d / f"s{subject:02d}.dat", "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f, protocol=2)
        raw[subject] = data
    return d, raw


def _db_bands(x):
    """Band powers as the script computes them: Welch, dB per bin, mean over bins."""
    _, psd = scipy.signal.welch(x, fs=FS, nperseg=FS)
    db = 10 * np.log10(psd)
    return {b: db[..., lo : hi + 1].mean(-1) for b, (lo, hi) in BINS.items()}


def test_window_starts_follow_the_script():
    assert len(script_window_starts(7680, 256, 32)) == 232  # 60 s trial
    starts = script_window_starts(TRIAL, 256, 32)
    assert starts.tolist() == list(range(0, TRIAL - 256, 32))
    assert len(starts) == 16 and starts[-1] == 480  # not 512, which ends at the trial's end


def test_psd_and_asymmetry_match_the_script_per_trial_baseline(deap_dir):
    d, raw = deap_dir
    data = load_deap_recipe(d, "authors")
    assert data.X.shape == (2 * N_TRIALS * 16, 46 * 5)
    names = list(data.feature_names)
    assert names[:5] == [f"psd_Fp1_{b}" for b in BINS] and names[160] == "asym_Fp1-Fp2_theta"
    ch = list(DEAP_EEG_CHANNELS)
    for subject, trial, k in [(2, 2, 15), (1, 1, 7), (2, 0, 0)]:
        row = np.flatnonzero(data.trial == subject * 100 + trial)[k]
        rec = raw[subject][trial, :32]
        win = _db_bands(rec[:, PRE + 32 * k : PRE + 32 * k + 256])
        base = _db_bands(rec[:, PRE - 256 : PRE])  # the last 2 s of the pre-trial
        for band in BINS:
            got = data.X[row, names.index(f"psd_T7_{band}")]
            assert got == pytest.approx(win[band][ch.index("T7")] - base[band][ch.index("T7")])
            left, right = ch.index("F3"), ch.index("F4")
            asym = (win[band][left] - win[band][right]) - (base[band][left] - base[band][right])
            assert data.X[row, names.index(f"asym_F3-F4_{band}")] == pytest.approx(asym)
        # ratings of the window's own trial, in the default target order (arousal, valence)
        assert data.ratings[row].tolist() == _labels(d, subject)[trial, [1, 0]].tolist()
    # trial 0's baseline would give another value for a later trial: the check can fail
    rec = raw[2][2, :32]
    wrong = (
        _db_bands(rec[:, PRE : PRE + 256])["theta"][7]
        - _db_bands(raw[2][0, :32, PRE - 256 : PRE])["theta"][7]
    )
    row = np.flatnonzero(data.trial == 202)[0]
    assert abs(data.X[row, names.index("psd_T7_theta")] - wrong) > 1.0


def _labels(d, subject):
    with open(d / f"s{subject:02d}.dat", "rb") as f:
        return pickle.load(f, encoding="latin1")["labels"]


def _mne_firwin_bandpass_by_hand(band):
    """MNE's default firwin band-pass at 128 Hz, worked out from its documented defaults.

    Transition bands: min(max(f / 4, 2), f) below, min(max(f / 4, 2), 64 - f) above; length
    ceil(3.3 * 128 / narrowest transition), odd; each transition is a Hamming-window firwin
    low-pass of length round(3.3 * 128 / transition) (odd) cut at its middle, centred.
    """
    if band == "theta":  # 4-8 Hz: transitions 2 and 2 Hz -> 213 taps; low-passes at 9 and 3 Hz
        n, upper, lower = 213, (211, 9.0), (211, 3.0)
    else:  # beta 12-30 Hz: transitions 3 and 7.5 Hz -> 141 taps; low-passes at 33.75, 10.5 Hz
        n, upper, lower = 141, (57, 33.75), (141, 10.5)
    h = np.zeros(n)
    for (m, cutoff), sign in ((upper, 1), (lower, -1)):
        off = (n - m) // 2
        h[off : n - off] += sign * scipy.signal.firwin(m, cutoff, window="hamming", fs=FS)
    return h


def _filter_by_hand(x, h):
    """One zero-phase pass with MNE's odd ("reflect_limited") padding of len(h) - 1 samples."""
    e = len(h) - 1
    out = []
    for row in x:
        ext = np.concatenate([2 * row[0] - row[e:0:-1], row, 2 * row[-1] - row[-2 : -e - 2 : -1]])
        out.append(np.convolve(ext, h, mode="same")[e : e + len(row)])
    return np.array(out)


def _de(x):
    return 0.5 * np.log10(2 * np.pi * np.e * np.var(x, axis=-1))


def test_differential_entropy_matches_firwin_by_hand(deap_dir):
    d, raw = deap_dir
    data = load_deap_recipe(d, "authors", subjects=[2], features=("psd", "asym", "de", "de_asym"))
    names = list(data.feature_names)
    assert len(names) == 46 * 5 * 2 and names[230] == "de_Fp1_theta"
    assert names[390] == "de_asym_Fp1-Fp2_theta"
    ch = list(DEAP_EEG_CHANNELS)
    t7, f3, f4 = ch.index("T7"), ch.index("F3"), ch.index("F4")
    for trial, k in [(2, 11), (1, 0)]:
        rec = raw[2][trial, :32]
        row = np.flatnonzero(data.trial == 200 + trial)[k]
        for band in ("theta", "beta"):
            filtered = _filter_by_hand(rec, _mne_firwin_bandpass_by_hand(band))  # whole recording
            win = _de(filtered[:, PRE + 32 * k : PRE + 32 * k + 256])
            base = _de(filtered[:, PRE - 256 : PRE])
            got = data.X[row, names.index(f"de_T7_{band}")]
            assert got == pytest.approx(win[t7] - base[t7], abs=1e-9)
            asym = (win[f3] - win[f4]) - (base[f3] - base[f4])
            assert data.X[row, names.index(f"de_asym_F3-F4_{band}")] == pytest.approx(
                asym, abs=1e-9
            )


def test_authors_pipeline_fits_on_the_features(deap_dir):
    d, _ = deap_dir
    data = load_deap_recipe(d, "authors", features=("de",), subjects=[1])
    assert data.X.shape == (N_TRIALS * 16, 32 * 5)
    pipe = make_deap_pipeline(recipe="authors", k=10, max_epochs=1, device="cpu")
    assert [n for n, _ in pipe.steps] == ["select", "scale", "prnet"]
    y = np.arange(len(data.X)) % 2
    assert pipe.fit(data.X, y).predict(data.X).shape == y.shape


@pytest.mark.parametrize("features", [("psd", "bogus"), (), ("de", "de")])
def test_bad_features_are_a_clear_error(deap_dir, features):
    with pytest.raises(ValueError, match="features must be"):
        load_deap_recipe(deap_dir[0], "authors", features=features)


def test_windowing_arguments_are_refused(deap_dir):
    with pytest.raises(ValueError, match=r"sets \['step', 'window'\] itself"):
        load_deap_recipe(deap_dir[0], "authors", window=1.0, step=0.5)


def test_features_with_the_paper_recipe_is_an_error(deap_dir):
    with pytest.raises(ValueError, match="'authors' recipe"):
        load_deap_recipe(deap_dir[0], "paper", features=("de",))


def test_flat_channel_is_a_clear_error():
    rec = np.random.default_rng(0).standard_normal((2, 32, PRE + TRIAL))
    rec[1, 5] = 7.0
    with pytest.raises(ValueError, match=r"'FC1'.* trial 1 .*flat"):
        authors_features(rec)
    rec[1, 5, :PRE] = np.random.default_rng(1).standard_normal(PRE)  # flat in the trial only
    with pytest.raises(ValueError, match=r"'FC1'.* trial 1 .*zero variance"):
        authors_features(rec, kinds=("de",))


def test_filter_lengths_and_bad_band_edges():
    from sk_prnet.eeg import AUTHORS_DE_BANDS, firwin_bandpass

    # ceil(3.3 * 128 / narrowest transition), odd: 2 Hz -> 213, 3 Hz -> 141, 7.5 Hz -> 57
    lengths = {b: len(firwin_bandpass(lo, hi, FS)) for b, (lo, hi) in AUTHORS_DE_BANDS.items()}
    assert lengths == {"theta": 213, "slow_alpha": 213, "alpha": 213, "beta": 141, "gamma": 57}
    for lo, hi in [(0.0, 8.0), (8.0, 4.0), (30.0, 64.0)]:
        with pytest.raises(ValueError, match="0 < l_freq < h_freq < sfreq / 2"):
            firwin_bandpass(lo, hi, FS)
