"""Tests of the DEAP loader against files written in DEAP's exact format."""

import os.path
import pickle

import numpy as np
import pytest

from sk_prnet.datasets import DatasetFormatError, iter_deap_subjects, load_deap

FS = 128
PRE = 384  # 3 s pre-trial baseline
# DEAP's published format (Koelstra et al. 2012; ../shared/formats.md), written out here
# rather than taken from the package, so that a wrong constant cannot pass as its own
# expectation: the label columns, and the 32 EEG channels in the stored "Geneva" order.
PUBLISHED_RATINGS = ["valence", "arousal", "dominance", "liking"]
PUBLISHED_EEG = (
    "Fp1 AF3 F3 F7 FC5 FC1 C3 T7 CP5 CP1 P3 P7 PO3 O1 Oz Pz "
    "Fp2 AF4 Fz F4 F8 FC6 FC2 Cz C4 T8 CP6 CP2 P4 P8 PO4 O2"
).split()


def write_deap_file(path, data, labels, protocol=2):
    """Write a DEAP file the way the format says: a pickled dict of two float64 arrays."""
    with open(path, "wb") as f:
        pickle.dump({"data": data, "labels": labels}, f, protocol=protocol)


def coded_data(n_trials, n_samples, subject=0):
    """float64 data whose every EEG value encodes (subject, trial, channel, sample).

    ``value = ((subject * 4 + trial) * 64 + channel) * 2048 + sample`` (exact in float32);
    baseline samples (< 384) of EEG channels are negative markers ``-1 - value`` and the
    peripheral channels hold 5e6 + channel, so any leak into X is detectable.
    """
    t, c, s = np.meshgrid(np.arange(n_trials), np.arange(40), np.arange(n_samples), indexing="ij")
    data = (((subject * 4 + t) * 64 + c) * 2048 + s).astype(np.float64)
    data[:, :, :PRE] = -1.0 - data[:, :, :PRE]
    data[:, 32:] = 5e6 + c[:, 32:]
    return data


def decode(x):
    """Invert coded_data for non-negative values: (subject, trial, channel, sample)."""
    v = np.asarray(x, dtype=np.int64)
    return v // (2048 * 64 * 4), (v // (2048 * 64)) % 4, (v // 2048) % 64, v % 2048


def code(subject, trial, channel, sample):
    return ((subject * 4 + trial) * 64 + channel) * 2048 + sample


@pytest.fixture(scope="module")
def coded_dir(tmp_path_factory):
    """Two hand-built subjects (s01, s03), 3 trials of 3 s baseline + 10 s."""
    d = tmp_path_factory.mktemp("deap_coded")
    n = PRE + 10 * FS
    ratings = np.array([[5.0, 5.01, 1.0, 9.0], [9.0, 1.0, 5.0, 5.01], [5.01, 5.0, 7.5, 2.5]])
    write_deap_file(d / "s01.dat", coded_data(3, n, subject=1), ratings)
    write_deap_file(d / "s03.dat", coded_data(3, n, subject=3), ratings[::-1].copy())
    (d / "notes.txt").write_text("not a DEAP file, must be ignored")
    return d


def test_shapes_dtypes_and_metadata(coded_dir):
    b = load_deap(coded_dir)
    n_win = 2 * 3 * 5  # 2 subjects x 3 trials x (10 s / 2 s)
    assert b.X.shape == (n_win, 32, 256)
    assert b.X.dtype == np.float32
    assert b.ratings.shape == (n_win, 2) and b.ratings.dtype == np.float64
    assert b.y.shape == (n_win, 2) and b.y.dtype == np.int64
    for key in ("subject", "trial", "trial_index"):
        assert b[key].shape == (n_win,) and b[key].dtype == np.int64
    assert b.sfreq == 128.0
    assert list(b.ch_names) == PUBLISHED_EEG
    assert b.target_names == ["arousal", "valence"]
    assert b.window == 2.0 and b.step == 2.0 and b.baseline_mode == "drop"
    assert [os.path.basename(f) for f in b.filenames] == ["s01.dat", "s03.dat"]
    assert "DEAP" in b.DESCR and "subject * 100 + trial_index" in b.DESCR
    assert "baseline" not in b


def test_peripheral_channels_and_baseline_are_dropped(coded_dir):
    b = load_deap(coded_dir, window=1.0)
    assert b.X.min() >= 0  # baseline samples are negative markers
    assert b.X.max() < 5e6  # peripheral channels hold >= 5e6
    subject, trial, channel, sample = decode(b.X)
    # Channel c of X is stored channel c; the first window of a trial starts at sample 384.
    np.testing.assert_array_equal(
        channel, np.broadcast_to(np.arange(32)[None, :, None], b.X.shape)
    )
    np.testing.assert_array_equal(sample[0, :, 0], np.full(32, PRE))
    # Windows follow each other without gaps: window k of a trial starts at 384 + 128 k.
    np.testing.assert_array_equal(sample[:10, 0, 0], PRE + FS * np.arange(10))
    np.testing.assert_array_equal(sample[0, 0], PRE + np.arange(FS))
    np.testing.assert_array_equal(subject, b.subject[:, None, None] + 0 * b.X)
    np.testing.assert_array_equal(trial[:, 0, 0], b.trial_index)


def test_baseline_keep_windows_whole_recording(coded_dir):
    b = load_deap(coded_dir, subjects=[1], baseline="keep")
    assert b.X.shape == (3 * 6, 32, 256)  # 13 s -> 6 windows of 2 s (remainder dropped)
    expected = -1.0 - code(1, 0, np.arange(32), 0)  # sample 0, a baseline marker
    np.testing.assert_array_equal(b.X[0, :, 0].astype(np.float64), expected)
    assert b.baseline_mode == "keep"


@pytest.mark.parametrize("seconds, start", [(3.0, 0), (2.0, 128), (0.5, 320)])
def test_return_baseline_is_last_seconds_of_pretrial(coded_dir, seconds, start):
    b = load_deap(coded_dir, return_baseline=True, baseline_seconds=seconds)
    n_base = int(seconds * FS)
    assert b.baseline.shape == (6, 32, n_base) and b.baseline.dtype == np.float32
    np.testing.assert_array_equal(b.baseline_trial, [100, 101, 102, 300, 301, 302])
    values = -1.0 - b.baseline.astype(np.float64)  # undo the baseline marker
    np.testing.assert_array_equal(
        values[0, 0, [0, -1]], [code(1, 0, 0, start), code(1, 0, 0, PRE - 1)]
    )
    np.testing.assert_array_equal(values[4, 5, 0], code(3, 1, 5, start))
    # Windows map to their baseline row.
    rows = np.searchsorted(b.baseline_trial, b.trial)
    np.testing.assert_array_equal(b.baseline_trial[rows], b.trial)
    # The trial windows are unchanged by asking for the baseline.
    np.testing.assert_array_equal(b.X, load_deap(coded_dir).X)


@pytest.mark.parametrize(
    "window, step, per_trial", [(2.0, None, 5), (2.0, 0.5, 17), (2.0, 0.25, 33), (1.0, 3.0, 4)]
)
def test_window_counts_with_step(coded_dir, window, step, per_trial):
    b = load_deap(coded_dir, subjects=1, window=window, step=step)
    assert b.X.shape == (3 * per_trial, 32, int(window * FS))
    assert np.bincount(b.trial_index).tolist() == [per_trial] * 3
    assert b.step == (window if step is None else step)
    if step is not None:
        starts = decode(b.X[:per_trial, 0, 0])[3]
        np.testing.assert_array_equal(starts, PRE + np.arange(per_trial) * step * FS)


def test_threshold_at_five(coded_dir):
    b = load_deap(coded_dir, subjects=[1], targets=PUBLISHED_RATINGS)
    assert b.target_names == PUBLISHED_RATINGS
    per_trial = b.ratings[::5]
    np.testing.assert_array_equal(
        per_trial, [[5.0, 5.01, 1.0, 9.0], [9.0, 1.0, 5.0, 5.01], [5.01, 5.0, 7.5, 2.5]]
    )
    np.testing.assert_array_equal(b.y[::5], [[0, 1, 0, 1], [1, 0, 0, 1], [1, 0, 1, 0]])
    b7 = load_deap(coded_dir, subjects=[1], targets="dominance", threshold=7.0)
    np.testing.assert_array_equal(b7.y[::5, 0], [0, 0, 1])


def test_targets_order_and_selection(coded_dir):
    b = load_deap(coded_dir, subjects=[1], targets=("liking", "valence"))
    assert b.target_names == ["liking", "valence"]
    np.testing.assert_array_equal(b.ratings[0], [9.0, 5.0])
    assert b.ratings.shape == (15, 2)
    b = load_deap(coded_dir, subjects=[1], targets="arousal")
    assert b.y.shape == (15, 1) and b.target_names == ["arousal"]
    # each published name reads its own label column (file row 0: 5.0, 5.01, 1.0, 9.0)
    for column, name in enumerate(PUBLISHED_RATINGS):
        b = load_deap(coded_dir, subjects=[1], targets=name)
        assert b.ratings[0, 0] == [5.0, 5.01, 1.0, 9.0][column]


def test_subject_and_trial_ids(coded_dir):
    b = load_deap(coded_dir)
    assert b.subject.tolist() == [1] * 15 + [3] * 15
    assert b.trial_index.tolist() == [0] * 5 + [1] * 5 + [2] * 5 + [0] * 5 + [1] * 5 + [2] * 5
    np.testing.assert_array_equal(b.trial, b.subject * 100 + b.trial_index)
    assert len(np.unique(b.trial)) == 6  # never merges trials of different subjects
    # Each window's content comes from the subject/trial its ids say.
    subject, trial, _, _ = decode(b.X[:, 0, 0])
    np.testing.assert_array_equal(subject, b.subject)
    np.testing.assert_array_equal(trial, b.trial_index)


def test_subject_selection_order_and_errors(coded_dir):
    b = load_deap(coded_dir, subjects=[3, 1, 3])
    assert np.unique(b.subject).tolist() == [1, 3]
    assert b.subject[0] == 1  # ascending order
    assert load_deap(coded_dir, subjects=np.int64(3)).subject.tolist() == [3] * 15
    with pytest.raises(ValueError, match=r"subject 2 not found.*Available DEAP subjects: 1, 3"):
        load_deap(coded_dir, subjects=[1, 2])
    with pytest.raises(ValueError, match="not found") as info:
        load_deap(coded_dir, subjects=[2])
    assert f"{str(coded_dir)!r} (files sXX.dat)" in str(info.value)  # where it looked
    with pytest.raises(TypeError, match="subjects must contain ints"):
        load_deap(coded_dir, subjects=["1"])
    with pytest.raises(ValueError, match="subjects is empty"):
        load_deap(coded_dir, subjects=[])


def test_float64_dtype(coded_dir):
    b = load_deap(coded_dir, subjects=1, dtype=np.float64, return_baseline=True)
    assert b.X.dtype == np.float64 and b.baseline.dtype == np.float64
    with pytest.raises(ValueError, match="floating"):
        load_deap(coded_dir, dtype=np.int32)


def test_iter_deap_subjects_matches_load(coded_dir):
    parts = list(iter_deap_subjects(coded_dir, step=1.0, return_baseline=True))
    assert [p.subject[0] for p in parts] == [1, 3]
    whole = load_deap(coded_dir, step=1.0, return_baseline=True)
    for key in ("X", "ratings", "y", "subject", "trial", "trial_index", "baseline"):
        np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]), whole[key])
    assert parts[1].filenames[0].endswith("s03.dat")
    assert parts[0].ch_names == whole.ch_names and parts[0].step == 1.0


def test_iter_deap_subjects_validates_eagerly(coded_dir):
    with pytest.raises(ValueError, match="not found"):
        iter_deap_subjects(coded_dir, subjects=[9])  # raised before iterating


def test_accepts_parent_of_data_preprocessed_python(tmp_path, coded_dir):
    inner = tmp_path / "data_preprocessed_python"
    inner.mkdir()
    (inner / "s01.dat").write_bytes((coded_dir / "s01.dat").read_bytes())
    assert load_deap(tmp_path).X.shape == (15, 32, 256)


def test_reads_all_pickle_protocols(tmp_path):
    labels = np.full((2, 4), 6.0)
    for protocol in (2, 3, 4, 5):
        write_deap_file(tmp_path / "s01.dat", coded_data(2, PRE + 256), labels, protocol)
        assert load_deap(tmp_path).X.shape == (2, 32, 256)


def test_labels_as_float32_and_data_as_float32(tmp_path):
    data = coded_data(2, PRE + 512).astype(np.float32)
    write_deap_file(tmp_path / "s02.dat", data, np.full((2, 4), 3.0, dtype=np.float32))
    b = load_deap(tmp_path)
    assert b.X.shape == (4, 32, 256) and (b.y == 0).all()


# -------------------------------------------------------------------------------------------
# Errors
# -------------------------------------------------------------------------------------------
def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_deap(tmp_path / "nope")


def test_path_is_a_file(tmp_path):
    f = tmp_path / "s01.dat"
    f.write_bytes(b"x")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        load_deap(f)


def test_directory_without_dat_files(tmp_path):
    (tmp_path / "s01.mat").write_bytes(b"")
    (tmp_path / "README").write_text("hi")
    with pytest.raises(FileNotFoundError, match=r"No DEAP files named sXX\.dat.*data_preproc"):
        load_deap(tmp_path)


def _expect_format_error(tmp_path, match, name="s05.dat"):
    with pytest.raises(DatasetFormatError, match=match) as info:
        load_deap(tmp_path)
    assert name in str(info.value)
    assert isinstance(info.value, ValueError)


def test_corrupt_file_garbage_bytes(tmp_path):
    (tmp_path / "s05.dat").write_bytes(np.random.default_rng(0).bytes(4096))
    _expect_format_error(tmp_path, "Could not unpickle")


def test_corrupt_file_truncated(tmp_path):
    write_deap_file(tmp_path / "s05.dat", coded_data(2, PRE + 256), np.ones((2, 4)))
    raw = (tmp_path / "s05.dat").read_bytes()
    (tmp_path / "s05.dat").write_bytes(raw[: len(raw) // 2])
    _expect_format_error(tmp_path, "Could not unpickle")


def test_pickle_naming_other_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.path.join, ("a", "b"))

    with open(tmp_path / "s05.dat", "wb") as f:
        pickle.dump({"data": Evil(), "labels": np.ones((2, 4))}, f, protocol=2)
    _expect_format_error(tmp_path, r"refers to posixpath\.join|refers to ntpath\.join")


def test_not_a_dict(tmp_path):
    with open(tmp_path / "s05.dat", "wb") as f:
        pickle.dump([np.zeros((2, 40, 500)), np.ones((2, 4))], f, protocol=2)
    _expect_format_error(tmp_path, "holds a list, expected a dict")


@pytest.mark.parametrize("missing", ["data", "labels"])
def test_missing_key(tmp_path, missing):
    obj = {"data": coded_data(2, PRE + 256), "labels": np.ones((2, 4))}
    del obj[missing]
    with open(tmp_path / "s05.dat", "wb") as f:
        pickle.dump(obj, f, protocol=2)
    _expect_format_error(tmp_path, rf"lacks the key\(s\) \['{missing}'\]")


@pytest.mark.parametrize(
    "data_shape, labels_shape, match",
    [
        ((2, 32, 8064), (2, 4), r"'data' has shape \(2, 32, 8064\), expected.*\(40, 40, 8064\)"),
        ((2, 40), (2, 4), r"'data' has shape \(2, 40\), expected"),
        ((2, 40, 384), (2, 4), r"'data' has shape \(2, 40, 384\), expected.*n_samples > 384"),
        ((2, 40, 640), (2, 3), r"'labels' has shape \(2, 3\), expected \(n_trials, 4\)"),
        ((2, 40, 640), (4,), r"'labels' has shape \(4,\)"),
        ((2, 40, 640), (3, 4), "'data' holds 2 trials but 'labels' has 3 rows"),
        ((101, 40, 400), (101, 4), "holds 101 trials, expected 1 to 100"),
    ],
)
def test_wrong_shapes(tmp_path, data_shape, labels_shape, match):
    write_deap_file(tmp_path / "s05.dat", np.zeros(data_shape), np.ones(labels_shape))
    _expect_format_error(tmp_path, match)


def test_non_numeric_arrays(tmp_path):
    with open(tmp_path / "s05.dat", "wb") as f:
        pickle.dump({"data": "abc", "labels": np.ones((2, 4))}, f, protocol=2)
    _expect_format_error(tmp_path, "'data' must be a numeric numpy array, got str")


def test_non_finite_ratings(tmp_path):
    labels = np.ones((2, 4))
    labels[1, 1] = np.nan
    write_deap_file(tmp_path / "s05.dat", coded_data(2, PRE + 256), labels)
    _expect_format_error(tmp_path, "non-finite")


def test_window_longer_than_trial(tmp_path):
    write_deap_file(tmp_path / "s01.dat", coded_data(1, PRE + 200), np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"window=2.0 s \(256 samples\) is longer than the trial"):
        load_deap(tmp_path)
    assert load_deap(tmp_path, baseline="keep").X.shape == (2, 32, 256)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(targets=("arousal", "happiness")), r"Unknown DEAP target\(s\) \['happiness'\]"),
        (dict(targets=()), "targets is empty"),
        (dict(targets=("valence", "valence")), "duplicates"),
        (dict(baseline="subtract"), "baseline must be one of"),
        (dict(baseline_seconds=0), "baseline_seconds must be in"),
        (dict(baseline_seconds=3.5), "baseline_seconds must be in"),
        (dict(window=0), "window must be a positive"),
        (dict(window=-2.0), "window must be a positive"),
        (dict(window=np.inf), "window must be a positive"),
        (dict(step=0), "step must be a positive"),
        (dict(baseline_seconds=0.001), r"baseline_seconds=0.001 covers no sample at 128 Hz"),
        (dict(step=-1.0), "step must be a positive"),
        (dict(threshold=np.nan), "threshold"),
    ],
)
def test_invalid_parameters(coded_dir, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_deap(coded_dir, **kwargs)


def test_subjects_with_different_trial_counts(tmp_path):
    """The output grows (and is trimmed) when files hold different numbers of windows."""
    for subject, n_trials in ((1, 2), (2, 4), (3, 1)):
        labels = np.full((n_trials, 4), 7.0)
        write_deap_file(
            tmp_path / f"s{subject:02d}.dat", coded_data(n_trials, PRE + 512, subject), labels
        )
    b = load_deap(tmp_path)
    assert b.X.shape == ((2 + 4 + 1) * 2, 32, 256)
    assert np.bincount(b.subject).tolist() == [0, 4, 8, 2]
    subject, trial, _, sample = decode(b.X[:, 0, 0])
    np.testing.assert_array_equal(subject, b.subject)
    np.testing.assert_array_equal(trial, b.trial_index)
    np.testing.assert_array_equal(sample, np.tile([PRE, PRE + 256], 7))
    b = load_deap(tmp_path, subjects=[3, 2])  # first file smaller than the next
    assert b.X.shape == (10, 32, 256) and b.subject.tolist() == [2] * 8 + [3] * 2


def test_positional_arguments_follow_documented_order(coded_dir):
    b = load_deap(coded_dir, [1], 1.0, 0.5, ("valence",), "keep", np.float64)
    assert b.X.shape == (3 * 25, 32, 128) and b.X.dtype == np.float64
    assert b.target_names == ["valence"] and b.baseline_mode == "keep"


def test_list_deap_subjects_reads_no_data(tmp_path):
    from sk_prnet.datasets import list_deap_subjects

    (tmp_path / "s03.dat").write_bytes(b"not even a pickle")
    (tmp_path / "s01.dat").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("ignored")
    assert list_deap_subjects(tmp_path) == [1, 3]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_deap_subjects(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="sXX.dat"):
        list_deap_subjects(tmp_path / "empty")


def test_window_none_returns_whole_trials_or_recordings(coded_dir):
    n = PRE + 10 * FS
    whole = load_deap(coded_dir, subjects=[3], window=None, baseline="keep", dtype=np.float64)
    assert whole.X.shape == (3, 32, n) and whole.window is None and whole.step is None
    np.testing.assert_array_equal(whole.X, coded_data(3, n, subject=3)[:, :32])
    np.testing.assert_array_equal(whole.trial, [300, 301, 302])
    trials = load_deap(coded_dir, subjects=[1], window=None)
    assert trials.X.shape == (3, 32, n - PRE)
    np.testing.assert_array_equal(decode(trials.X[:, 0, 0])[3], [PRE] * 3)


# -------------------------------------------------------------------------------------------
# What the errors name, the metadata and dtypes (written for the mutation-testing survivors)
# -------------------------------------------------------------------------------------------
def test_directory_errors_name_the_dataset_and_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"The DEAP directory .*nope.* does not exist"):
        load_deap(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="No DEAP files") as info:
        load_deap(empty)
    assert repr(str(empty)) in str(info.value)


def test_two_files_of_one_subject_are_refused_by_name(tmp_path):
    labels = np.full((1, 4), 6.0)
    write_deap_file(tmp_path / "s01.dat", coded_data(1, PRE + 256), labels)
    write_deap_file(tmp_path / "s1.dat", coded_data(1, PRE + 256), labels)
    with pytest.raises(DatasetFormatError, match="claim subject 1") as info:
        load_deap(tmp_path)
    message = str(info.value)
    assert "'s01.dat'" in message and "'s1.dat'" in message and repr(str(tmp_path)) in message


def test_a_non_numeric_label_array_is_named_with_its_dtype(tmp_path):
    with open(tmp_path / "s05.dat", "wb") as f:
        pickle.dump({"data": coded_data(2, PRE + 256), "labels": np.full((2, 4), "x")}, f)
    _expect_format_error(
        tmp_path, r"'labels' must be a numeric numpy array, got ndarray of dtype <U1\."
    )


def test_a_file_without_trials_is_refused(tmp_path):
    write_deap_file(tmp_path / "s05.dat", np.zeros((0, 40, PRE + 256)), np.zeros((0, 4)), 4)
    _expect_format_error(tmp_path, "holds 0 trials, expected 1 to 100")


def test_window_longer_than_the_recording_names_it_in_seconds(tmp_path):
    write_deap_file(tmp_path / "s01.dat", coded_data(1, PRE + 200), np.ones((1, 4)))
    message = r"window=10 s \(1280 samples\) is longer than the recording in .*s01.dat.* " + (
        r"\(584 samples = 4.5625 s\)"
    )
    with pytest.raises(ValueError, match=message):
        load_deap(tmp_path, window=10, baseline="keep")


def test_ratings_are_float64_and_the_metadata_holds_the_settings(tmp_path):
    data = coded_data(2, PRE + 512).astype(np.float32)
    write_deap_file(tmp_path / "s02.dat", data, np.full((2, 4), 3.25, dtype=np.float32))
    b = load_deap(tmp_path, baseline_seconds=1.5, threshold=3.0)
    assert b.ratings.dtype == np.float64 and (b.ratings == 3.25).all() and (b.y == 1).all()
    assert b.baseline_seconds == 1.5 and b.threshold == 3.0
    (rec,) = iter_deap_subjects(tmp_path)
    assert "baseline" not in rec  # the baseline only when asked for
    assert rec.X.dtype == np.float32
    (rec64,) = iter_deap_subjects(tmp_path, dtype=np.float64)
    assert rec64.X.dtype == np.float64
    # the shortest baseline: one sample
    b = load_deap(tmp_path, baseline_seconds=1 / 128, return_baseline=True)
    assert b.baseline.shape == (2, 32, 1)
    assert rec.baseline_seconds == 3.0 and rec.threshold == 5.0


def test_outputs_grown_across_subjects_keep_the_requested_dtype(tmp_path):
    for subject, n_trials in ((1, 1), (2, 3)):
        write_deap_file(
            tmp_path / f"s{subject:02d}.dat",
            coded_data(n_trials, PRE + 512, subject),
            np.full((n_trials, 4), 7.0),
        )
    for dtype in (np.float32, np.float64):
        b = load_deap(tmp_path, dtype=dtype)
        assert b.X.dtype == dtype and b.X.shape == (8, 32, 256)
