"""A classifier without ranking_target ranks pairs by class labels: epsilon cannot apply."""

import warnings

import numpy as np
import pytest

from sk_prnet import PRNetClassifier


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    ratings = rng.uniform(1, 9, size=30)
    return X, (ratings > 5).astype(int), ratings


def caught(fit):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit()
    return [w for w in record if "epsilon" in str(w.message)]


def test_non_default_epsilon_without_ranking_target_warns_once(data):
    X, y, _ = data
    clf = PRNetClassifier(epsilon=1.0, max_epochs=3, batch_size=10, device="cpu", random_state=0)
    found = caught(lambda: clf.fit(X, y))
    assert len(found) == 1 and issubclass(found[0].category, UserWarning)
    message = str(found[0].message)
    assert "ranking_target" in message and "set_fit_request" in message
    # the warning is right: epsilon changes nothing without ranking_target
    other = PRNetClassifier(epsilon=2.0, max_epochs=3, batch_size=10, device="cpu",
                            random_state=0)  # fmt: skip
    caught(lambda: other.fit(X, y))
    np.testing.assert_array_equal(clf.predict_proba(X), other.predict_proba(X))


@pytest.mark.parametrize(
    "params, with_ratings",
    [({"epsilon": 1.0}, True), ({}, False), ({"epsilon": 1.0, "alpha": 0.0}, False)],
)
def test_no_warning_when_epsilon_applies_or_is_untouched(data, params, with_ratings):
    X, y, ratings = data
    clf = PRNetClassifier(max_epochs=1, device="cpu", random_state=0, **params)
    meta = {"ranking_target": ratings} if with_ratings else {}
    assert caught(lambda: clf.fit(X, y, **meta)) == []
