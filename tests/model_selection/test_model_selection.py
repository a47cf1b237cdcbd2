"""Tests of the evaluation protocols and the per-subject evaluation runner."""

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import (
    GroupKFold,
    LeaveOneGroupOut,
    PredefinedSplit,
    cross_val_score,
    cross_validate,
)
from sklearn.utils.metadata_routing import get_routing_for_object

from sk_prnet.model_selection import (
    SeedSessionSplit,
    TrialKFold,
    deap_subject_dependent_cv,
    evaluate_subjects,
    leave_one_subject_out,
    pivot_scores,
    seed_train_test_split,
    summarize_scores,
)

RECORDED = []


class WeightRecorder(ClassifierMixin, BaseEstimator):
    """Predicts the majority class and records the sample weights given to fit."""

    def fit(self, X, y, sample_weight=None):
        RECORDED.append((len(X), None if sample_weight is None else np.asarray(sample_weight)))
        values, counts = np.unique(y, return_counts=True)
        self.classes_, self.majority_ = values, values[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def _deap_like(n_subjects=3, n_trials=40, n_windows=3, seed=0):
    """Tiny DEAP-shaped data: subject-major, trial-major windows with per-trial labels."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(1, n_subjects + 1), n_trials * n_windows)
    trial = np.tile(np.repeat(np.arange(n_trials), n_windows), n_subjects)
    y = (rng.random(n_subjects * n_trials) > 0.5).astype(int)[
        np.repeat(np.arange(n_subjects * n_trials), n_windows)
    ]
    X = rng.normal(size=(subject.shape[0], 4)) + y[:, None] * np.array([1.0, 0.5, 0, 0])
    return X, y, subject, trial


# ---------------------------------------------------------------------------- DEAP folds
def test_deap_cv_ten_folds_of_four_whole_trials():
    # Unequal window counts: folds must still hold 4 trials each, never a split trial.
    rng = np.random.default_rng(0)
    trial = np.repeat(np.arange(40), rng.integers(1, 6, size=40))
    X = np.zeros((trial.shape[0], 1))
    cv = deap_subject_dependent_cv()
    assert isinstance(cv, TrialKFold) and cv.get_n_splits() == 10
    seen = []
    for train, test in cv.split(X, groups=trial):
        assert np.intersect1d(trial[train], trial[test]).size == 0
        assert np.unique(trial[test]).shape[0] == 4
        assert train.shape[0] + test.shape[0] == trial.shape[0]
        seen.extend(np.unique(trial[test]).tolist())
    assert sorted(seen) == list(range(40))


def test_deap_cv_default_assignment_is_interleaved():
    trial = np.repeat(np.arange(40), 2)
    splits = TrialKFold().split(trial, groups=trial)
    folds = [np.unique(trial[test]).tolist() for _, test in splits]
    assert folds == [[f, f + 10, f + 20, f + 30] for f in range(10)]


def test_deap_cv_shuffle_matches_groupkfold():
    trial = np.repeat(np.arange(40), 3)
    ours = list(TrialKFold(10, shuffle=True, random_state=3).split(trial, groups=trial))
    ref = list(GroupKFold(10, shuffle=True, random_state=3).split(trial, groups=trial))
    for (a_tr, a_te), (b_tr, b_te) in zip(ours, ref):
        np.testing.assert_array_equal(a_te, b_te)
        np.testing.assert_array_equal(a_tr, b_tr)
        assert np.unique(trial[a_te]).shape[0] == 4


def test_deap_cv_string_trial_ids_and_cross_val_score():
    trial = np.repeat([f"t{i:02d}" for i in range(40)], 2)
    X, y = np.zeros((80, 2)), np.arange(80) % 2
    scores = cross_val_score(DummyClassifier(), X, y, groups=trial, cv=deap_subject_dependent_cv())
    assert scores.shape == (10,)


def test_deap_cv_errors():
    trial = np.repeat(np.arange(5), 4)
    with pytest.raises(ValueError, match="Cannot split 5 trials into n_splits=10"):
        next(TrialKFold(10).split(np.zeros((20, 1)), groups=trial))
    with pytest.raises(ValueError, match="needs groups"):
        next(TrialKFold(2).split(np.zeros((20, 1))))
    with pytest.raises(ValueError, match="n_splits"):
        TrialKFold(1)


def test_leave_one_subject_out():
    subject = np.repeat([3, 1, 2], 4)
    cv = leave_one_subject_out()
    assert isinstance(cv, LeaveOneGroupOut)
    tested = [np.unique(subject[test]).tolist() for _, test in cv.split(subject, groups=subject)]
    assert tested == [[1], [2], [3]]
    for train, test in cv.split(subject, groups=subject):
        assert np.intersect1d(subject[train], subject[test]).size == 0


# ---------------------------------------------------------------------------- SEED split
@pytest.mark.parametrize("first_trial", [1, 0])
def test_seed_split_first_nine_trials_train(first_trial):
    trial = np.repeat(np.arange(first_trial, first_trial + 15), 3)
    cv = SeedSessionSplit(first_trial=first_trial)
    splits = list(cv.split(np.zeros((45, 2)), groups=trial))
    assert cv.get_n_splits() == len(splits) == 1
    train, test = splits[0]
    assert np.unique(trial[train]).tolist() == list(range(first_trial, first_trial + 9))
    assert np.unique(trial[test]).tolist() == list(range(first_trial + 9, first_trial + 15))
    pre = seed_train_test_split(trial, first_trial=first_trial)
    assert isinstance(pre, PredefinedSplit)
    ((p_train, p_test),) = pre.split()
    np.testing.assert_array_equal(p_train, train)
    np.testing.assert_array_equal(p_test, test)


def test_seed_split_per_session_with_evaluate_subjects():
    # 2 subjects x 3 sessions x 15 trials x 2 windows; "subject" = session unit.
    unit = np.repeat(np.arange(6), 30)
    trial = np.tile(np.repeat(np.arange(1, 16), 2), 6)
    y = np.tile(np.repeat(np.array([1, 0, -1] * 5), 2), 6)
    X = np.zeros((180, 2))
    df = evaluate_subjects(
        DummyClassifier(), X, y, unit, SeedSessionSplit(), groups=trial, scoring="accuracy"
    )
    assert df.shape == (6, 6) and (df["fold"] == 0).all()
    # Trials 10..15 hold classes [1, 0, -1, 1, 0, -1]; majority of trials 1..9 is 1.
    np.testing.assert_allclose(df["value"], 2 / 6)


def test_seed_split_errors():
    with pytest.raises(ValueError, match=r"1\.\.15.*\[16\]"):
        next(SeedSessionSplit().split(np.zeros(3), groups=[1, 2, 16]))
    with pytest.raises(ValueError, match="look 0-based: pass first_trial=0"):
        seed_train_test_split(np.arange(15))
    with pytest.raises(ValueError, match="look 1-based: pass first_trial=1"):
        seed_train_test_split(np.arange(1, 16), first_trial=0)
    with pytest.raises(ValueError, match="must be integers"):
        seed_train_test_split([1.5, 10.0])
    with pytest.raises(ValueError, match="contain only training"):
        seed_train_test_split(np.arange(1, 10))
    with pytest.raises(ValueError, match="leaves no test trial"):
        seed_train_test_split(np.arange(1, 16), n_train_trials=15)
    with pytest.raises(ValueError, match="needs groups"):
        next(SeedSessionSplit().split(np.zeros(3)))


def test_group_splitters_request_groups_for_routing():
    for cv in (TrialKFold(), SeedSessionSplit()):
        assert get_routing_for_object(cv).consumes("split", ["groups"]) == {"groups"}


# ---------------------------------------------------------------------------- evaluate_subjects
def test_evaluate_subjects_matches_manual_loop():
    X, y, subject, trial = _deap_like(n_subjects=2, n_trials=20)
    est = LogisticRegression()
    df = evaluate_subjects(
        est, X, y, subject, TrialKFold(5), groups=trial, scoring=["accuracy", "f1"]
    )
    assert list(df.columns) == ["subject", "fold", "metric", "value", "fit_time", "score_time"]
    assert df.shape == (2 * 5 * 2, 6)
    assert df["metric"].unique().tolist() == ["accuracy", "f1"]
    for s in (1, 2):
        m = subject == s
        ref = cross_validate(
            est, X[m], y[m], groups=trial[m], cv=TrialKFold(5), scoring=["accuracy", "f1"]
        )
        for metric in ("accuracy", "f1"):
            got = df.query("subject == @s and metric == @metric").sort_values("fold")
            assert got["fold"].tolist() == list(range(5))
            np.testing.assert_allclose(got["value"], ref[f"test_{metric}"])
    assert df["value"].nunique() > 2  # real, fold-dependent scores
    assert (df["fit_time"] >= 0).all() and (df["score_time"] >= 0).all()


def test_evaluate_subjects_metric_names_and_pandas_input():
    X, y, subject, trial = _deap_like(n_subjects=2)
    Xdf, ys = pd.DataFrame(X, columns=list("abcd")), pd.Series(y)
    df = evaluate_subjects(
        DummyClassifier(),
        Xdf,
        ys,
        subject,
        TrialKFold(5),
        groups=trial,
        scoring="balanced_accuracy",
    )
    assert df["metric"].unique().tolist() == ["balanced_accuracy"]
    df = evaluate_subjects(DummyClassifier(), X, y, subject, TrialKFold(5), groups=trial)
    assert df["metric"].unique().tolist() == ["score"]
    df = evaluate_subjects(
        DummyClassifier(), X, y, subject, 4, scoring={"acc": get_scorer("accuracy")}
    )
    assert df["metric"].unique().tolist() == ["acc"] and df.shape == (8, 6)


def test_evaluate_subjects_parallel_and_progress_give_same_numbers(capsys):
    X, y, subject, trial = _deap_like(n_subjects=3, n_trials=10, n_windows=2)
    kw = dict(groups=trial, scoring=["accuracy", "f1_macro"])
    seq = evaluate_subjects(LogisticRegression(), X, y, subject, TrialKFold(5), **kw)
    # Threads keep the test fast (process start-up costs seconds on a busy 2-core box); the
    # joblib code path, result order and progress bar are the same as with processes.
    with joblib.parallel_config(backend="threading"):
        par = evaluate_subjects(
            LogisticRegression(), X, y, subject, TrialKFold(5), n_jobs=2, progress=True, **kw
        )
    cols = ["subject", "fold", "metric", "value"]
    pd.testing.assert_frame_equal(seq[cols], par[cols])
    assert "3/3" in capsys.readouterr().err


def test_evaluate_subjects_errors():
    X, y, subject, trial = _deap_like(n_subjects=2, n_trials=20)
    with pytest.raises(ValueError, match=r"lengths X=120, y=119"):
        evaluate_subjects(DummyClassifier(), X, y[:-1], subject, 5)
    with pytest.raises(ValueError, match=r"groups=119"):
        evaluate_subjects(DummyClassifier(), X, y, subject, TrialKFold(5), groups=trial[1:])
    few = trial.copy()
    few[subject == 2] %= 4  # subject 2 has only 4 trials
    with pytest.raises(ValueError, match=r"Subject 2 \(60 samples, 4 groups\).*Cannot split 4"):
        evaluate_subjects(DummyClassifier(), X, y, subject, TrialKFold(5), groups=few)
    with pytest.raises(ValueError, match=r"Subject .*1.*needs groups"):
        evaluate_subjects(DummyClassifier(), X, y, subject, TrialKFold(5))


def test_pivot_and_summarize():
    X, y, subject, trial = _deap_like(n_subjects=2, n_trials=10)
    df = evaluate_subjects(
        DummyClassifier(),
        X,
        y,
        subject,
        TrialKFold(5),
        groups=trial,
        scoring=["accuracy", "f1_macro"],
    )
    wide = pivot_scores(df)
    assert list(wide.columns) == [
        "subject",
        "fold",
        "accuracy",
        "f1_macro",
        "fit_time",
        "score_time",
    ]
    assert wide.shape == (10, 6)
    np.testing.assert_allclose(
        wide["accuracy"], df[df.metric == "accuracy"].sort_values(["subject", "fold"])["value"]
    )
    summary = summarize_scores(df)
    per_subject = wide.groupby("subject")["accuracy"].mean()
    assert summary.loc["accuracy", "mean"] == pytest.approx(per_subject.mean())
    assert summary.loc["accuracy", "std"] == pytest.approx(per_subject.std(ddof=1))
    assert summary.loc["accuracy", "n_subjects"] == 2


# ---------------------------------------------------------------------------- metadata
def _expected_train_weights(subject, trial, cv):
    """Global indices of every (subject, fold) training set, in evaluation order."""
    out = []
    for s in np.unique(subject):
        idx = np.flatnonzero(subject == s)
        for train, _ in cv.split(idx, groups=trial[idx]):
            out.append(idx[train].astype(float))
    return out


@pytest.mark.parametrize("routing", [False, True])
def test_params_sliced_per_subject_and_fold(routing):
    X, y, subject, trial = _deap_like(n_subjects=3, n_trials=10, n_windows=2)
    w = np.arange(X.shape[0], dtype=float)  # weight == global index, to identify samples
    est, scoring = WeightRecorder(), "accuracy"
    RECORDED.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            est = est.set_fit_request(sample_weight=True)
            scoring = get_scorer("accuracy").set_score_request(sample_weight=False)
        evaluate_subjects(
            est,
            X,
            y,
            subject,
            TrialKFold(5),
            groups=trial,
            scoring=scoring,
            params={"sample_weight": w},
            error_score="raise",
        )
    expected = _expected_train_weights(subject, trial, TrialKFold(5))
    assert len(RECORDED) == len(expected) == 15
    for (n_fit, got), exp in zip(RECORDED, expected):
        assert n_fit == exp.shape[0] == 16
        np.testing.assert_array_equal(got, exp)


def test_routing_groups_via_params_and_logistic_regression():
    X, y, subject, trial = _deap_like(n_subjects=2, n_trials=10)
    w = np.random.default_rng(0).random(X.shape[0])
    with sklearn.config_context(enable_metadata_routing=True):
        est = LogisticRegression().set_fit_request(sample_weight=True)
        scorer = get_scorer("accuracy").set_score_request(sample_weight=False)
        df = evaluate_subjects(
            est,
            X,
            y,
            subject,
            TrialKFold(5),
            scoring=scorer,
            params={"sample_weight": w, "groups": trial},
        )
        for s in (1, 2):
            m = subject == s
            ref = cross_validate(
                est,
                X[m],
                y[m],
                cv=TrialKFold(5),
                scoring=scorer,
                params={"sample_weight": w[m], "groups": trial[m]},
            )
            np.testing.assert_allclose(df[df.subject == s]["value"], ref["test_score"])
        with pytest.raises(ValueError, match="not both"):
            evaluate_subjects(
                est,
                X,
                y,
                subject,
                TrialKFold(5),
                groups=trial,
                scoring=scorer,
                params={"sample_weight": w, "groups": trial},
            )
        # A splitter that does not consume groups simply ignores them, as without routing.
        df = evaluate_subjects(DummyClassifier(), X, y, subject, 3, groups=trial)
        assert df.shape == (6, 6)
