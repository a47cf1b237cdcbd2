import numpy as np
import pytest
import sklearn

from sk_prnet import PRNetClassifier
from sk_prnet.pipelines import make_deap_pipeline, make_seed_pipeline


def test_deap_pipeline_end_to_end_with_routing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 32, 256)).astype(np.float32)
    ratings = rng.uniform(1, 9, size=(60, 2))
    y = (ratings > 5).astype(int)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_deap_pipeline(
            k=20, max_epochs=2, device="cpu", random_state=0, request_ranking_target=True
        )
        pipe.fit(X, y, ranking_target=ratings)
    assert pipe.named_steps["features"].n_features_out_ == 230
    assert pipe.named_steps["select"].get_support().sum() == 20
    assert pipe.predict(X).shape == (60, 2)


def test_seed_pipeline_uses_table_three_order():
    pipe = make_seed_pipeline(alpha=1.0, max_epochs=1)
    assert pipe.named_steps["prnet"].class_order == [-1, 0, 1]
    X = np.random.default_rng(1).normal(size=(30, 10))
    y = np.tile([-1, 0, 1], 10)
    assert set(pipe.fit(X, y).predict(X)) <= {-1, 0, 1}


def test_estimator_or_params_not_both():
    with pytest.raises(ValueError, match="not both"):
        make_seed_pipeline(PRNetClassifier(), alpha=0.0)
