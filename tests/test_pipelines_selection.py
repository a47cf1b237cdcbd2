"""The paper's selection step in the ready-made pipelines: 100 features on DEAP and SEED."""

import numpy as np
import pytest

from sk_prnet.experiments import SeedExperiment
from sk_prnet.experiments.units import recipe_factory
from sk_prnet.feature_selection import deap_fisher_criterion
from sk_prnet.pipelines import make_deap_pipeline, make_seed_pipeline


@pytest.mark.parametrize(
    "pipe",
    [make_seed_pipeline(), make_deap_pipeline(), make_deap_pipeline(recipe="authors")],
    ids=["seed", "deap-paper", "deap-authors"],
)
def test_pipelines_keep_100_by_the_deap_criterion(pipe):
    select = pipe.named_steps["select"]
    assert select.k == 100
    assert select.criterion == "deap"


def test_criterion_and_k_can_be_changed():
    select = make_seed_pipeline(k="all", criterion="fisher").named_steps["select"]
    assert (select.k, select.criterion) == ("all", "fisher")
    assert make_deap_pipeline(criterion="fisher").named_steps["select"].criterion == "fisher"


def test_runner_seed_pipeline_selects_100_of_310():
    """`sk-prnet run seed` builds its model with the pipeline's default selection."""
    assert recipe_factory("seed", "paper")().named_steps["select"].k == 100
    pipe = SeedExperiment("unused", max_epochs=1).estimator(alpha=0.0)
    rng = np.random.default_rng(0)
    y = np.repeat([-1, 0, 1], 20)
    X = rng.normal(size=(60, 310))
    X[:, 200:] += y[:, None] * np.linspace(0.1, 2.0, 110)  # 110 informative columns
    pipe.fit(X, y)
    support = pipe.named_steps["select"].get_support()
    assert support.sum() == 100
    # the 100 kept are the best by the mean of J over SEED's three class pairs
    best = np.argsort(-deap_fisher_criterion(X, y), kind="stable")[:100]
    assert sorted(np.flatnonzero(support)) == sorted(best)
