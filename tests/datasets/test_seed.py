"""Tests of the SEED loader against files written in SEED's exact format."""

import os.path
import re

import numpy as np
import pytest
import scipy.io

from sk_prnet.datasets import DatasetFormatError, load_seed
from sk_prnet.datasets.seed import SEED_FEATURES, SEED_LABELS
from sk_prnet.eeg.montage import SEED_BANDS, SEED_CHANNELS

LABELS = np.array([[1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]])
LENGTHS = [3, 4, 2, 5, 3, 2, 4, 3, 2, 3, 4, 2, 3, 2, 5]  # T_k, windows of trial k


def planted(n_chan, t_k, file_code, k):
    """(n_chan, T_k, 5) array whose value at [c, t, b] encodes file, trial, channel, window, band.

    ``value = file_code * 1e6 + k * 1e4 + c * 100 + t * 10 + b`` (exact in float32 for the
    small codes used here).
    """
    c, t, b = np.meshgrid(np.arange(n_chan), np.arange(t_k), np.arange(5), indexing="ij")
    return file_code * 1e6 + k * 1e4 + c * 100.0 + t * 10.0 + b


def write_session(path, file_code, features=("de_LDS", "de_movingAve"), n_chan=62, n_trials=15):
    mats = {}
    for feat in features:
        for k in range(1, n_trials + 1):
            mats[f"{feat}{k}"] = planted(n_chan, LENGTHS[k - 1], file_code, k)
    scipy.io.savemat(path, mats)


def write_labels(folder, label=LABELS):
    scipy.io.savemat(folder / "label.mat", {"label": label})


@pytest.fixture(scope="module")
def seed_root(tmp_path_factory):
    """Hand-built SEED root: subjects 1 and 10, 3 sessions each, written out of date order."""
    root = tmp_path_factory.mktemp("seed_root")
    folder = root / "ExtractedFeatures"
    folder.mkdir()
    # file_code = subject * 10 + true session number (by date)
    write_session(folder / "1_20140105.mat", 13)  # latest date -> session 3
    write_session(folder / "1_20131230.mat", 11)  # earliest -> session 1
    write_session(folder / "1_20131231.mat", 12)
    write_session(folder / "10_20130601.mat", 102)
    write_session(folder / "10_20130520.mat", 101)
    write_session(folder / "10_20130715.mat", 103)
    write_labels(folder)
    (folder / "readme.txt").write_text("ignored")
    return root


def decode(x):
    v = np.asarray(x, dtype=np.int64)
    return dict(
        file=v // 10**6,
        k=(v // 10**4) % 100,
        channel=(v // 100) % 100,
        t=(v // 10) % 10,
        band=v % 10,
    )


def test_shapes_dtypes_and_metadata(seed_root):
    b = load_seed(seed_root)
    n = 2 * 3 * sum(LENGTHS)
    assert b.X.shape == (n, 310) and b.X.dtype == np.float32
    for key in ("y", "subject", "session", "trial", "trial_index"):
        assert b[key].shape == (n,) and b[key].dtype == np.int64
    assert set(b.y.tolist()) == {-1, 0, 1}
    assert b.class_order == [-1, 0, 1]
    assert b.class_names == ["negative", "neutral", "positive"]
    assert b.target_names == ["emotion"]
    assert b.feature == "de_LDS"
    assert len(b.feature_names) == 310
    assert "SEED" in b.DESCR and "subject * 1000 + session * 100 + trial_index" in b.DESCR
    assert [os.path.basename(f) for f in b.filenames] == [
        "1_20131230.mat",
        "1_20131231.mat",
        "1_20140105.mat",
        "10_20130520.mat",
        "10_20130601.mat",
        "10_20130715.mat",
    ]


def test_reshape_is_channel_major(seed_root):
    b = load_seed(seed_root, subjects=1, sessions=1)
    code = decode(b.X)
    col = np.arange(310)
    np.testing.assert_array_equal(code["channel"], np.broadcast_to(col // 5, b.X.shape))
    np.testing.assert_array_equal(code["band"], np.broadcast_to(col % 5, b.X.shape))
    # Column c*5+b is named after channel c and band b.
    for c, band in [(0, 0), (0, 4), (1, 0), (61, 3)]:
        assert b.feature_names[c * 5 + band] == f"de_LDS_{SEED_CHANNELS[c]}_{SEED_BANDS[band]}"
    assert b.feature_names[0] == "de_LDS_FP1_delta" and b.feature_names[-1] == "de_LDS_CB2_gamma"
    # Rows are the 1 s windows of trials 1..15, in order.
    np.testing.assert_array_equal(code["k"][:, 0], b.trial_index)
    np.testing.assert_array_equal(code["t"][:, 0], np.concatenate([np.arange(t) for t in LENGTHS]))
    # A specific planted value lands where it should: trial 4, window 2, channel 7, band 3.
    row = sum(LENGTHS[:3]) + 2
    assert b.X[row, 7 * 5 + 3] == 11 * 1e6 + 4 * 1e4 + 7 * 100 + 2 * 10 + 3


def test_sessions_are_numbered_by_date(seed_root):
    b = load_seed(seed_root)
    code = decode(b.X[:, 0])
    np.testing.assert_array_equal(code["file"], b.subject * 10 + b.session)
    assert np.unique(b.subject).tolist() == [1, 10]
    only = load_seed(seed_root, subjects=[10], sessions=2)
    assert set(decode(only.X[:, 0])["file"].tolist()) == {102}


def test_labels_ids_and_trial_index(seed_root):
    b = load_seed(seed_root, subjects=[10], sessions=[3])
    np.testing.assert_array_equal(b.trial_index, np.repeat(np.arange(1, 16), LENGTHS))
    np.testing.assert_array_equal(b.y, LABELS[0][b.trial_index - 1])
    np.testing.assert_array_equal(b.trial, 10 * 1000 + 3 * 100 + b.trial_index)
    assert b.trial[0] == 10301
    full = load_seed(seed_root)
    assert len(np.unique(full.trial)) == 2 * 3 * 15  # globally unique
    # the paper's split: first 9 trials train, last 6 test
    assert np.unique(b.y[b.trial_index >= 10]).tolist() == [-1, 0, 1]


def test_accepts_extracted_features_folder_itself(seed_root):
    a = load_seed(seed_root, subjects=1, sessions=1)
    b = load_seed(seed_root / "ExtractedFeatures", subjects=1, sessions=1)
    np.testing.assert_array_equal(a.X, b.X)


def test_feature_choice_and_dtype(seed_root):
    b = load_seed(seed_root, feature="de_movingAve", subjects=1, sessions=[2], dtype=np.float64)
    assert b.X.dtype == np.float64 and b.feature_names[0] == "de_movingAve_FP1_delta"
    assert decode(b.X[:, 0])["file"][0] == 12


@pytest.mark.parametrize(
    "feature, n_chan",
    [("dasm_LDS", 27), ("rasm_movingAve", 27), ("asm_LDS", 54), ("dcau_movingAve", 23)],
)
def test_asymmetry_variants(tmp_path, feature, n_chan):
    write_session(tmp_path / "2_20130101.mat", 21, features=(feature,), n_chan=n_chan)
    write_labels(tmp_path)
    b = load_seed(tmp_path, feature=feature)
    assert b.X.shape == (sum(LENGTHS), n_chan * 5)
    assert b.feature_names[0] == f"{feature}_f0_delta"
    assert b.feature_names[-1] == f"{feature}_f{n_chan - 1}_gamma"
    np.testing.assert_array_equal(decode(b.X[0])["channel"], np.arange(n_chan * 5) // 5)


def test_label_as_float_and_int16(tmp_path):
    write_session(tmp_path / "1_20130101.mat", 11)
    for label in (LABELS.astype(np.float64), LABELS.astype(np.int16), LABELS.T):
        write_labels(tmp_path, label)
        np.testing.assert_array_equal(
            np.unique(load_seed(tmp_path).y, return_counts=True)[0], [-1, 0, 1]
        )


def test_known_features_listed():
    assert len(SEED_FEATURES) == 12 and "de_LDS" in SEED_FEATURES
    assert SEED_LABELS == tuple(LABELS[0].tolist())


# -------------------------------------------------------------------------------------------
# Errors
# -------------------------------------------------------------------------------------------
def test_unknown_feature(seed_root):
    with pytest.raises(ValueError, match=r"Unknown SEED feature 'de_lds'.*de_LDS"):
        load_seed(seed_root, feature="de_lds")


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_seed(tmp_path / "SEED")


def test_empty_directory(tmp_path):
    (tmp_path / "ExtractedFeatures").mkdir()
    with pytest.raises(FileNotFoundError, match=r"No SEED feature files.*ExtractedFeatures"):
        load_seed(tmp_path)


def test_only_label_file(tmp_path):
    write_labels(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"No SEED subject files named"):
        load_seed(tmp_path)


def test_missing_label_file(tmp_path):
    write_session(tmp_path / "1_20130101.mat", 11)
    with pytest.raises(FileNotFoundError, match=r"label\.mat.*is missing"):
        load_seed(tmp_path)


def test_unknown_subject_and_session(seed_root):
    with pytest.raises(
        ValueError, match=r"SEED subject 2 not found.*Available SEED subjects: 1, 10"
    ):
        load_seed(seed_root, subjects=[1, 2])
    with pytest.raises(
        ValueError, match=r"session 4 not found.*subject 1.*Available sessions: 1, 2, 3"
    ):
        load_seed(seed_root, subjects=1, sessions=[1, 4])


def _format_error(folder, match, name, **kwargs):
    with pytest.raises(DatasetFormatError, match=match) as info:
        load_seed(folder, **kwargs)
    assert name in str(info.value)
    assert isinstance(info.value, ValueError)


def test_corrupt_subject_file(tmp_path):
    write_labels(tmp_path)
    (tmp_path / "3_20130101.mat").write_bytes(np.random.default_rng(0).bytes(2000))
    _format_error(tmp_path, "Could not read", "3_20130101.mat")


def test_truncated_subject_file(tmp_path):
    write_labels(tmp_path)
    write_session(tmp_path / "3_20130101.mat", 31)
    raw = (tmp_path / "3_20130101.mat").read_bytes()
    (tmp_path / "3_20130101.mat").write_bytes(raw[: len(raw) // 2])
    _format_error(tmp_path, "Could not read|lacks", "3_20130101.mat")


def test_corrupt_label_file(tmp_path):
    write_session(tmp_path / "1_20130101.mat", 11)
    (tmp_path / "label.mat").write_bytes(b"MATLAB garbage" * 20)
    _format_error(tmp_path, "Could not read", "label.mat")


def test_missing_feature_keys(tmp_path):
    write_labels(tmp_path)
    write_session(tmp_path / "1_20130101.mat", 11, features=("psd_LDS",))
    _format_error(
        tmp_path,
        r"lacks \['de_LDS1'.*15 of the 15.*holds the features \['psd_LDS'\]",
        "1_20130101.mat",
    )


def test_missing_some_trials(tmp_path):
    write_labels(tmp_path)
    write_session(tmp_path / "1_20130101.mat", 11, n_trials=14)
    _format_error(tmp_path, r"lacks \['de_LDS15'\] \(1 of the 15", "1_20130101.mat")


def test_wrong_array_shape(tmp_path):
    write_labels(tmp_path)
    write_session(tmp_path / "1_20130101.mat", 11, n_chan=61)
    _format_error(
        tmp_path, r"'de_LDS1' has shape \(61, 3, 5\).*expected.*\(62, T, 5\)", "1_20130101.mat"
    )


def test_wrong_band_count(tmp_path):
    write_labels(tmp_path)
    scipy.io.savemat(
        tmp_path / "1_20130101.mat", {f"de_LDS{k}": np.zeros((62, 4, 4)) for k in range(1, 16)}
    )
    _format_error(tmp_path, r"has shape \(62, 4, 4\)", "1_20130101.mat")


@pytest.mark.parametrize(
    "content, match",
    [
        ({"labels": LABELS}, "has no variable 'label'"),
        ({"label": np.array([[1, 2, 0]])}, r"holds \[0, 1, 2\], expected only -1"),
        ({"label": np.zeros((3, 15))}, r"shape \(3, 15\)"),
    ],
)
def test_bad_label_file(tmp_path, content, match):
    write_session(tmp_path / "1_20130101.mat", 11)
    scipy.io.savemat(tmp_path / "label.mat", content)
    _format_error(tmp_path, match, "label.mat")


def test_invalid_date_in_file_name(tmp_path):
    write_labels(tmp_path)
    write_session(tmp_path / "1_20131345.mat", 11)
    _format_error(tmp_path, "not a valid yyyymmdd date", "1_20131345.mat")


def test_list_seed_sessions_orders_sessions_by_date(tmp_path):
    from sk_prnet.datasets import list_seed_sessions

    folder = tmp_path / "ExtractedFeatures"
    folder.mkdir()
    for name in ("2_20140601.mat", "2_20140405.mat", "1_20131027.mat"):
        (folder / name).write_bytes(b"")
    assert list_seed_sessions(tmp_path) == [(1, 1), (2, 1), (2, 2)]


# -------------------------------------------------------------------------------------------
# Behaviour found untested by mutation testing (docs/testing.md)
# -------------------------------------------------------------------------------------------
def test_many_missing_trials_are_listed_five_then_elided(tmp_path):
    write_labels(tmp_path)
    write_session(tmp_path / "1_20130101.mat", 11, features=("psd_LDS",))
    first_five = ", ".join(f"'de_LDS{k}'" for k in range(1, 6))
    with pytest.raises(DatasetFormatError, match=rf"lacks \[{first_five}\] \.\.\. \(15 of"):
        load_seed(tmp_path)
    write_session(tmp_path / "1_20130101.mat", 11, n_trials=14)  # one missing: no elision
    with pytest.raises(DatasetFormatError) as info:
        load_seed(tmp_path)
    assert "['de_LDS15'] (1 of" in str(info.value)
    for n_trials, elided in ((10, False), (9, True)):  # 5 missing are all listed, 6 are not
        write_session(tmp_path / "1_20130101.mat", 11, n_trials=n_trials)
        with pytest.raises(DatasetFormatError) as info:
            load_seed(tmp_path)
        assert ("'de_LDS15'" in str(info.value)) is not elided
        assert ("] ... (" in str(info.value)) is elided


@pytest.mark.parametrize(
    "bad, got",
    [
        (np.zeros((62, 0, 5)), r"shape \(62, 0, 5\)"),  # a trial without any window
        (np.zeros((62, 4)), r"shape \(62, 4\)"),
        (np.array(["abc"]), r"shape \(1,\), dtype <U3"),
        (np.zeros((62, 1, 5, 1)), r"shape \(62, 1, 5, 1\)"),
        (np.full((62, 2, 5), 1.0, dtype=object), r"shape \(62, 2, 5\), dtype object"),  # cells
    ],
)
def test_a_malformed_trial_array_is_named_with_its_shape_and_dtype(tmp_path, bad, got):
    write_labels(tmp_path)
    mats = {f"de_LDS{k}": planted(62, 2, 11, k) for k in range(1, 16)}
    mats["de_LDS3"] = bad
    scipy.io.savemat(tmp_path / "1_20130101.mat", mats)
    _format_error(tmp_path, rf"'de_LDS3' has {got}.*\(62, T, 5\)", "1_20130101.mat")


def test_a_trial_of_one_window_and_other_variables_in_the_file_are_read(tmp_path):
    write_labels(tmp_path)
    mats = {f"de_LDS{k}": planted(62, 1, 11, k) for k in range(1, 16)}
    mats["psd_LDS1"] = np.array(["not read"])  # another feature's variables are not loaded
    mats["comment"] = np.array(["free text"])
    scipy.io.savemat(tmp_path / "1_20130101.mat", mats)
    b = load_seed(tmp_path)
    np.testing.assert_array_equal(b.trial_index, np.arange(1, 16))
    np.testing.assert_array_equal(decode(b.X[:, 0])["k"], np.arange(1, 16))


def test_labels_are_int64_whatever_their_stored_dtype(tmp_path):
    write_session(tmp_path / "1_20130101.mat", 11)
    for label in (LABELS.astype(np.float64), LABELS.astype(np.int8), LABELS.T.astype(np.float32)):
        write_labels(tmp_path, label)
        y = load_seed(tmp_path).y
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y, LABELS[0][np.repeat(np.arange(15), LENGTHS)])


@pytest.mark.parametrize(
    "label, match",
    [
        (np.array(["positive"]), r"'label' has shape \(1,\) and dtype <U8.*numeric row vector"),
        (np.zeros((0, 0)), r"'label' has shape \(0, 0\)"),
        (np.zeros((2, 2)), r"'label' has shape \(2, 2\) and dtype float64"),
        (np.zeros((1, 100)), r"'label' has 100 entries; SEED has 15 trials"),
        (np.full((1, 15), 1, dtype=object), r"'label' has shape \(1, 15\) and dtype object"),
        (np.array([[1.0, 0.5, -1.0]]), r"holds \[-1\.0, 0\.0, 0\.5, 1\.0\]|holds \[-1\.0, 0\.5"),
    ],
)
def test_a_malformed_label_array_is_described(tmp_path, label, match):
    write_session(tmp_path / "1_20130101.mat", 11)
    scipy.io.savemat(tmp_path / "label.mat", {"label": label})
    _format_error(tmp_path, match, "label.mat")


def test_a_label_file_of_99_trials_is_accepted(tmp_path):
    label = np.tile(LABELS, 7)[:, :99]
    write_labels(tmp_path, label)
    scipy.io.savemat(
        tmp_path / "1_20130101.mat", {f"de_LDS{k}": planted(62, 1, 11, k) for k in range(1, 100)}
    )
    b = load_seed(tmp_path)
    np.testing.assert_array_equal(b.trial_index, np.arange(1, 100))
    np.testing.assert_array_equal(b.y, label[0])
    assert b.trial[-1] == 1000 + 100 + 99


def test_the_missing_label_file_and_a_missing_label_key_are_explained(tmp_path):
    write_session(tmp_path / "1_20130101.mat", 11)
    with pytest.raises(FileNotFoundError) as info:
        load_seed(tmp_path)
    assert str(tmp_path / "label.mat") in str(info.value)
    assert "(1, 15)" in str(info.value) and "copy it next to the subject files" in str(info.value)
    scipy.io.savemat(tmp_path / "label.mat", {"labels": LABELS, "other": LABELS})
    _format_error(tmp_path, r"no variable 'label' \(found \['labels', 'other'\]\)", "label.mat")
    with pytest.raises(DatasetFormatError) as info:
        load_seed(tmp_path)
    assert str(info.value).startswith(repr(str(tmp_path / "label.mat")))


def test_at_most_nine_sessions_a_subject(tmp_path):
    from sk_prnet.datasets import list_seed_sessions

    for day in range(1, 10):
        (tmp_path / f"4_201301{day:02d}.mat").write_bytes(b"")
    assert list_seed_sessions(tmp_path) == [(4, s) for s in range(1, 10)]
    (tmp_path / "4_20130110.mat").write_bytes(b"")
    with pytest.raises(DatasetFormatError, match=r"Subject 4 has 10 files.*at most 9 sessions"):
        list_seed_sessions(tmp_path)
    with pytest.raises(
        DatasetFormatError, match=rf"10 files in {re.escape(repr(str(tmp_path)))};"
    ):
        list_seed_sessions(tmp_path)


def test_folders_and_other_names_are_not_subject_files(tmp_path):
    from sk_prnet.datasets import list_seed_sessions

    (tmp_path / "1_20130101.mat").mkdir()  # a folder with a subject file's name
    for name in ("1_2013010.mat", "x1_20130101.mat", "1_20130101.mat.bak", "1_20130101.MAT"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="No SEED subject files named"):
        list_seed_sessions(tmp_path)
    (tmp_path / "2_20130101.mat").write_bytes(b"")
    assert list_seed_sessions(tmp_path) == [(2, 1)]


def test_the_folder_holding_the_files_is_found(tmp_path):
    from sk_prnet.datasets import list_seed_sessions

    (tmp_path / "ExtractedFeatures").mkdir()  # empty: the root's own files are used
    (tmp_path / "3_20130101.mat").write_bytes(b"")
    assert list_seed_sessions(tmp_path) == [(3, 1)]
    # ExtractedFeatures/ wins as soon as it holds a subject file or label.mat
    write_labels(tmp_path / "ExtractedFeatures")
    with pytest.raises(FileNotFoundError, match="No SEED subject files named") as info:
        list_seed_sessions(tmp_path)
    assert str(tmp_path / "ExtractedFeatures") in str(info.value)
    (tmp_path / "ExtractedFeatures" / "5_20130101.mat").write_bytes(b"")
    assert list_seed_sessions(tmp_path) == [(5, 1)]
    (tmp_path / "ExtractedFeatures" / "label.mat").unlink()
    assert list_seed_sessions(tmp_path) == [(5, 1)]


def test_no_files_names_both_folders(tmp_path):
    (tmp_path / "ExtractedFeatures").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FileNotFoundError) as info:
        load_seed(tmp_path)
    assert repr(str(tmp_path)) in str(info.value)
    assert repr(str(tmp_path / "ExtractedFeatures")) in str(info.value)
    assert "<subject>_<yyyymmdd>.mat" in str(info.value)


def test_unreadable_files_are_explained(tmp_path):
    write_labels(tmp_path)
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 .".ljust(116, b" ")
    (tmp_path / "1_20130101.mat").write_bytes(header + b"\0" * 8 + b"\0\2IM" + b"\0" * 512)
    _format_error(tmp_path, r"MATLAB v7\.3 \(HDF5\).*save\(\.\.\., '-v7'\)", "1_20130101.mat")
    (tmp_path / "1_20130101.mat").write_bytes(b"\0" * 10)
    _format_error(tmp_path, r"as a MATLAB \.mat file \(\w+Error: .*damaged or truncated", "1_2013")


def test_missing_subject_or_session_errors_name_the_files(seed_root):
    with pytest.raises(ValueError) as info:
        load_seed(seed_root, subjects=[3])
    assert "(files <subject>_<yyyymmdd>.mat)" in str(info.value)
    with pytest.raises(ValueError) as info:
        load_seed(seed_root, subjects=10, sessions=5)
    msg = str(info.value)
    assert "for subject 10 (files " in msg and "; sessions are numbered by date)" in msg
    for name in ("10_20130520.mat", "10_20130601.mat", "10_20130715.mat"):
        assert name in msg
    assert "1_2013" not in msg and repr(str(seed_root / "ExtractedFeatures")) in msg
    assert "10_20130520.mat, 10_20130601.mat, 10_20130715.mat; sessions" in msg
    with pytest.raises(ValueError, match=r"^SEED subject 3 not found in '") as info:
        load_seed(seed_root, subjects=[3])
    assert repr(str(seed_root / "ExtractedFeatures")) in str(info.value)


def test_subject_and_session_arguments_are_named_in_their_errors(seed_root):
    with pytest.raises(ValueError, match="^subjects is empty"):
        load_seed(seed_root, subjects=[])
    with pytest.raises(TypeError, match="^sessions must contain ints"):
        load_seed(seed_root, sessions=[1.5])


def test_psd_features_are_named_after_the_electrodes(tmp_path):
    write_labels(tmp_path)
    write_session(tmp_path / "1_20130101.mat", 11, features=("psd_movingAve",))
    b = load_seed(tmp_path, feature="psd_movingAve")
    assert b.feature_names[:2] == ["psd_movingAve_FP1_delta", "psd_movingAve_FP1_theta"]
    assert b.feature_names[-1] == "psd_movingAve_CB2_gamma" and b.X.shape[1] == 310


def test_a_missing_folder_is_named_as_the_seed_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^The SEED directory '.*nowhere' does not exist"):
        load_seed(tmp_path / "nowhere")
