"""Bad input gets a clear ValueError / NotFittedError, never a deep torch traceback."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sk_prnet import PRNetClassifier, PRNetRegressor

X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
Y = np.arange(20) % 2


@pytest.mark.parametrize(
    "X_bad, y_bad, match",
    [
        (np.where(np.eye(20, 3) > 0, np.nan, X), Y, "NaN"),
        (np.where(np.eye(20, 3) > 0, np.inf, X), Y, "infinity"),
        (X[:, 0], Y, "Expected 2D array"),
        (X[:10], Y, "inconsistent numbers of samples"),
        (X, np.zeros(20), "only one class"),
        (X, np.r_[np.nan, Y[1:]], "NaN"),
        (X, None, "requires y"),
    ],
)
def test_bad_data(X_bad, y_bad, match):
    with pytest.raises(ValueError, match=match):
        PRNetClassifier(max_epochs=1, device="cpu").fit(X_bad, y_bad)


def test_continuous_y_for_classifier():
    with pytest.raises(ValueError, match="Unknown label type"):
        PRNetClassifier(max_epochs=1).fit(X, np.linspace(0, 1, 20))


@pytest.mark.parametrize(
    "ranking_target, match",
    [
        (np.ones(19), "inconsistent numbers of samples"),
        (np.ones((20, 2)), r"shape \(20,\) or \(20, 1\)"),
        (np.r_[np.nan, np.ones(19)], "NaN"),
    ],
)
def test_bad_ranking_target(ranking_target, match):
    with pytest.raises(ValueError, match=match):
        PRNetClassifier(max_epochs=1).fit(X, Y, ranking_target=ranking_target)


def test_bad_rank_groups():
    with pytest.raises(ValueError, match="one group id per sample"):
        PRNetRegressor(max_epochs=1).fit(X, X[:, 0], rank_groups=np.zeros(5))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": -1.0}, "alpha must be"),
        ({"alpha": np.nan}, "alpha must be"),
        ({"epsilon": -0.1}, "epsilon"),
        ({"pairing": "triplets"}, "pairing must be one of"),
        ({"module": "resnet"}, "Unknown module 'resnet'"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"max_epochs": 1.5}, "max_epochs must be"),
        ({"lr": 0}, "lr must be"),
        ({"device": "tpu9"}, "not a valid torch device"),
        ({"callbacks": 3}, "callbacks must be None or a list"),
        ({"class_order": [0, 2]}, "not in class_order"),
        ({"module__hiden_sizes": (4,)}, "hiden_sizes"),
    ],
)
def test_bad_hyperparameters(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        PRNetClassifier(**{"device": "cpu", "max_epochs": 1, **params}).fit(X, Y)


def test_cuda_requested_without_cuda():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="device='auto'"):
        PRNetRegressor(device="cuda", max_epochs=1).fit(X, X[:, 0])


def test_predict_before_fit_and_wrong_feature_count():
    clf = PRNetClassifier(max_epochs=1, device="cpu")
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(NotFittedError):
            method(X)
    with pytest.raises(NotFittedError):
        clf.compare(X, X)
    clf.fit(X, Y)
    with pytest.raises(ValueError, match="X has 2 features"):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError, match="same number of rows"):
        clf.compare(X[:3], X[:4])
