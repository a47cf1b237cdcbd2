"""scikit-learn estimators of the Pairwise Ranking Network, built on skorch."""

from .classifier import PRNetClassifier
from .regressor import PRNetRegressor

__all__ = ["PRNetClassifier", "PRNetRegressor"]
