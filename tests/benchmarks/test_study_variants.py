"""The issue-16 study runs its hypotheses through the package options
(benchmarks/study/variants.py); the soft labels tend to the hard relation codes."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from benchmarks.study.run_study import CONFIGS
from benchmarks.study.variants import BLEND_FIT, OPTIONS
from sk_prnet import PRNetRegressor
from sk_prnet.modules import relation_codes
from sk_prnet.modules.pairing import soft_relation_targets


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=1, max_size=20),
    st.floats(0, 1),
)
def test_soft_targets_tend_to_the_hard_relation_codes(diffs, eps):
    d = torch.tensor(diffs, dtype=torch.float64)
    d = d[(d.abs() - eps).abs() > 1e-3]  # away from the boundary itself
    zero = torch.zeros_like(d)
    soft = soft_relation_targets(d, zero, eps, tau=1e-5)
    hard = relation_codes(d, zero, eps)
    np.testing.assert_allclose(
        soft.numpy(), torch.eye(3, dtype=torch.float64)[hard].numpy(), atol=1e-6
    )


def test_soft_targets_split_the_boundary():
    soft = soft_relation_targets(torch.tensor([0.5, -0.5]), torch.zeros(2), 0.5, tau=0.1)
    np.testing.assert_allclose(soft[0].numpy(), [0.0, 0.5, 0.5], atol=1e-4)
    np.testing.assert_allclose(soft[1].numpy(), [0.5, 0.5, 0.0], atol=1e-4)


def test_study_configurations_are_package_options():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype("float32")
    y = X @ np.array([1.0, -0.5, 0.3])
    for name, (est, blends) in CONFIGS.items():
        if est is None:  # ridge
            continue
        assert type(est) is PRNetRegressor, name
        net = clone(est).set_params(max_epochs=2, random_state=0).fit(X, y)
        if blends:  # one fit evaluated at every blend
            assert {k: net.get_params()[k] for k in BLEND_FIT} == BLEND_FIT
            for blend in (0.0, 0.5):
                assert np.isfinite(net.set_params(rank_blend=blend).predict(X)).all()
    for key, params in OPTIONS.items():
        assert CONFIGS[f"alpha1_{key}"][0].get_params()["alpha"] == 1.0
        for k, v in params.items():
            assert CONFIGS[f"alpha1_{key}"][0].get_params()[k] == v
