"""ranking_target / rank_groups through Pipeline, GridSearchCV and cross_val_score."""

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sk_prnet import PRNetClassifier, PRNetRegressor


@pytest.fixture(autouse=True)
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


class Recorder(PRNetClassifier):
    """Records what reaches fit, to prove the metadata is split with the folds."""

    seen = []

    def fit(self, X, y, ranking_target=None, rank_groups=None, sample_weight=None):
        Recorder.seen.append(
            (len(X), None if ranking_target is None else np.asarray(ranking_target))
        )
        return super().fit(
            X, y, ranking_target=ranking_target, rank_groups=rank_groups,
            sample_weight=sample_weight,
        )  # fmt: skip


def test_set_fit_request_exists_and_is_declared():
    clf = PRNetClassifier().set_fit_request(ranking_target=True, rank_groups=True)
    routing = clf.get_metadata_routing()
    assert routing.fit.requests == {
        "ranking_target": True, "rank_groups": True, "sample_weight": None
    }  # fmt: skip


def test_cross_val_score_splits_ratings_with_the_folds(eeg_like, fast):
    X, y, ratings, subject = eeg_like
    Recorder.seen = []
    est = Recorder(**fast).set_fit_request(ranking_target=True)
    pipe = Pipeline([("scale", StandardScaler()), ("prnet", est)])
    scores = cross_val_score(
        pipe,
        X,
        y[:, 0],
        cv=GroupKFold(4),
        params={"ranking_target": ratings[:, 0], "groups": subject},
    )
    assert scores.shape == (4,) and np.all(scores > 0.5)
    # each fit got exactly its training rows' ratings, in order
    folds = GroupKFold(4).split(X, y[:, 0], subject)
    assert len(Recorder.seen) == 4
    for (n_train, r), (train, _) in zip(Recorder.seen, folds):
        assert n_train == len(train) == 120
        np.testing.assert_array_equal(r, ratings[train, 0])


def test_grid_search_over_alpha_and_epsilon_with_groups(eeg_like, fast):
    X, y, ratings, subject = eeg_like
    est = PRNetClassifier(**{**fast, "max_epochs": 2}).set_fit_request(
        ranking_target=True, rank_groups=True
    )
    pipe = Pipeline([("scale", StandardScaler()), ("prnet", est)])
    grid = GridSearchCV(
        pipe, {"prnet__alpha": [0.0, 1.0], "prnet__epsilon": [0.25, 1.0]}, cv=GroupKFold(2)
    )
    grid.fit(X, y, groups=subject, ranking_target=ratings, rank_groups=subject)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_estimator_.named_steps["prnet"].rank_epsilon_ in (0.25, 1.0)
    assert grid.predict(X).shape == y.shape


def test_grid_search_in_parallel_workers(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    est = PRNetRegressor(**{**fast, "max_epochs": 2})
    grid = GridSearchCV(est, {"alpha": [0.0, 1.0]}, cv=2, n_jobs=2).fit(X, ratings[:, 0])
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_unrequested_metadata_is_an_error(eeg_like, fast):
    X, y, ratings, _ = eeg_like
    pipe = Pipeline([("prnet", PRNetClassifier(**fast))])
    with pytest.raises(Exception, match="ranking_target"):
        cross_val_score(pipe, X, y[:, 0], cv=2, params={"ranking_target": ratings[:, 0]})
