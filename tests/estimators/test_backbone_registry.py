"""Backbones are an extension point: a registry entry, or the user's class or instance, get
the same shape inference and fused-SGD eligibility as the named ones."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from sk_prnet import PRNetClassifier, PRNetRegressor, RankNetRegressor
from sk_prnet.modules import (
    BACKBONES,
    MLPBackbone,
    VGGBackbone,
    build_backbone,
    input_shape_kwargs,
    register_backbone,
)


class Tiny(nn.Module):
    """A user's backbone: needs ``in_features``, which nobody passes explicitly."""

    def __init__(self, in_features, width=6):
        super().__init__()
        self.in_features = in_features
        self.fc = nn.Linear(in_features, width)

    def forward(self, x):
        return torch.relu(self.fc(x.flatten(1)))


class TinyConv(nn.Module):
    """A user's image backbone: ``in_channels`` comes from the images."""

    def __init__(self, in_channels, width=3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, width, 3, padding=1)

    def forward(self, x):
        return self.conv(x).mean(dim=(2, 3))


def _fused(net):
    return [g.get("fused") for g in net.optimizer_.param_groups]


@pytest.fixture
def registry():
    """The backbone registry, restored after the test."""
    saved = dict(BACKBONES)
    yield BACKBONES
    BACKBONES.clear()
    BACKBONES.update(saved)


def test_a_registered_backbone_fits_by_name(eeg_like, fast, registry):
    X, y, ratings, _ = eeg_like
    assert register_backbone("tiny", Tiny) is Tiny
    clf = PRNetClassifier(module="tiny", module__width=5, **fast).fit(X, y, ranking_target=ratings)
    backbone = clf.module_.backbone
    assert type(backbone) is Tiny and backbone.in_features == X.shape[1]  # inferred
    assert clf.module_.pair_head.sides.in_features == 5
    assert _fused(clf) == [True]
    assert clf.score(X, y) > 0.7
    # RankNet puts its score head on the same registry
    net = RankNetRegressor(module="tiny", epsilon=0.5, **fast).fit(X, ratings[:, 0])
    assert type(net.module_.backbone) is Tiny


@pytest.mark.parametrize("as_instance", [False, True])
def test_a_user_backbone_gets_shape_inference_and_fused_sgd(eeg_like, fast, as_instance):
    X, _, ratings, _ = eeg_like
    torch.manual_seed(0)
    start = Tiny(X.shape[1])  # an instance is trained in place: each fit gets a copy
    module = (lambda: copy.deepcopy(start)) if as_instance else (lambda: Tiny)
    reg = PRNetRegressor(module=module(), epsilon=0.5, **fast).fit(X, ratings[:, 0])
    assert type(reg.module_.backbone) is Tiny
    assert reg.module_.backbone.in_features == X.shape[1]
    assert _fused(reg) == [True]
    assert reg.score(X, ratings[:, 0]) > 0.3
    # the same update as torch's default loop (fusing changes the kernel, not the rule)
    plain = PRNetRegressor(
        module=module(), optimizer__fused=False,
        epsilon=0.5, **fast,
    ).fit(X, ratings[:, 0])  # fmt: skip
    assert _fused(plain) == [False]
    np.testing.assert_allclose(plain.predict(X), reg.predict(X), rtol=1e-4, atol=1e-4)


def test_a_user_image_backbone_gets_its_channels(fast):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 2, 6, 6)).astype(np.float32)
    y = X[:, 0].mean(axis=(1, 2))
    reg = PRNetRegressor(module=TinyConv, module__width=4, **{**fast, "max_epochs": 2}).fit(X, y)
    assert reg.module_.backbone.conv.in_channels == 2
    with pytest.raises(ValueError, match="TinyConv takes images"):
        PRNetRegressor(module=TinyConv, **fast).fit(X.reshape(24, -1), y)


def test_frozen_parameters_opt_out_of_fused_sgd(eeg_like, fast):
    """The eligibility rule is about the parameters, the same for every backbone."""
    X, _, ratings, _ = eeg_like
    frozen = Tiny(X.shape[1])
    frozen.fc.bias.requires_grad_(False)
    reg = PRNetRegressor(module=frozen, epsilon=0.5, **{**fast, "max_epochs": 1})
    assert not any(_fused(reg.fit(X, ratings[:, 0])))


def test_shape_inference_is_by_parameter_name():
    assert input_shape_kwargs(MLPBackbone, (3, 4)) == {"in_features": 12}
    assert input_shape_kwargs(VGGBackbone, (1, 8, 8)) == {"in_channels": 1}

    class Shaped(nn.Module):
        def __init__(self, input_shape, in_features):
            super().__init__()

    assert input_shape_kwargs(Shaped, (2, 5)) == {"in_features": 10, "input_shape": (2, 5)}
    assert input_shape_kwargs(nn.Flatten, (2, 5)) == {}
    # explicit module__* arguments win over the inferred ones
    assert build_backbone(Tiny, (4,), in_features=7).in_features == 7


def test_register_backbone_refuses_clashes_and_non_modules(registry):
    with pytest.raises(ValueError, match="taken by MLPBackbone"):
        register_backbone("mlp", Tiny)
    with pytest.raises(ValueError, match="nn.Module class"):
        register_backbone("f", lambda: None)
    with pytest.raises(ValueError, match="non-empty string"):
        register_backbone("", Tiny)
    assert register_backbone("mlp", MLPBackbone) is MLPBackbone  # re-registering is a no-op
    assert register_backbone("deco")(Tiny) is Tiny and registry["deco"] is Tiny
    with pytest.raises(ValueError, match=r"Unknown module 'nope'.*'deco'"):
        build_backbone("nope", (3,))


def test_ranknet_score_head_default_follows_the_backbone_class(fast):
    """The paper's FC-256 score head comes with VGGBackbone however it is named."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 1, 4, 4)).astype(np.float32)
    y = X.mean(axis=(1, 2, 3))
    kw = dict(module__channels=(2,), **{**fast, "max_epochs": 1, "batch_size": 8})
    for module in ("vgg", VGGBackbone):
        net = RankNetRegressor(module=module, **kw).fit(X, y)
        assert net.module_.score_head.net[0].out_features == 256
