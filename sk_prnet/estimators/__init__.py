"""scikit-learn estimators of the Pairwise Ranking Network, built on skorch."""

from ._convergence import ConvergenceStopping
from .classifier import PRNetClassifier
from .ranknet import RankNetRegressor
from .regressor import PRNetRegressor

__all__ = ["PRNetClassifier", "PRNetRegressor", "RankNetRegressor", "ConvergenceStopping"]
