"""scikit-learn estimators of the Pairwise Ranking Network, built on skorch."""

from ._fit_batched import fit_batched
from .classifier import PRNetClassifier
from .ranknet import RankNetRegressor
from .regressor import PRNetRegressor

__all__ = ["PRNetClassifier", "PRNetRegressor", "RankNetRegressor", "fit_batched"]
