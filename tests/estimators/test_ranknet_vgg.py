"""RankNetRegressor(module="vgg") has the paper's head: the baseline CNN's FC 256, then a score."""

import numpy as np
import pytest
from torch import nn

from sk_prnet import RankNetRegressor

TINY = dict(module__channels=(4, 8), max_epochs=1, batch_size=8, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(16, 3, 16, 16), dtype=np.uint8)
    y = np.column_stack([X.mean(axis=(1, 2, 3)) / 255, rng.uniform(-1, 1, 16)])
    return X, y


def linear_shapes(head):
    return [(m.in_features, m.out_features) for m in head.modules() if isinstance(m, nn.Linear)]


def test_vgg_score_head_has_a_256_unit_hidden_layer_by_default(images):
    X, y = images
    net = RankNetRegressor(module="vgg", **TINY).fit(X, y)
    head = net.module_.score_head.net
    d = 8 * 4 * 4  # 8 channels after two 2x2 poolings of 16x16
    assert linear_shapes(head) == [(d, 256), (256, 2)]
    assert isinstance(head[1], nn.ReLU)
    assert net.predict(X).shape == (16, 2) and np.isfinite(net.predict(X)).all()
    assert np.isfinite(net.history_[-1, "train_loss"])


@pytest.mark.parametrize("hidden, expected", [(None, [(128, 1)]), (32, [(128, 32), (32, 1)])])
def test_vgg_score_head_is_configurable(images, hidden, expected):
    X, y = images
    net = RankNetRegressor(module="vgg", module__score_hidden=hidden, **TINY).fit(X, y[:, 0])
    assert linear_shapes(net.module_.score_head) == expected


def test_mlp_keeps_a_linear_score_head():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(16, 5)).astype(np.float32)
    net = RankNetRegressor(max_epochs=1, device="cpu", random_state=0).fit(X, X[:, 0])
    assert linear_shapes(net.module_.score_head) == [(128, 1)]
