"""sk_prnet: the Pairwise Ranking Network (PRNet) for affect recognition, for scikit-learn.

The torch-based estimators are imported on first use, so that the EEG features, selectors and
protocols (and parallel workers that only need them) do not pay for importing torch.
"""

import importlib

from .exceptions import CheckpointError, TrainingDivergedError, TrainingInterruptedWarning
from .feature_selection import FisherFeatureSelector, fisher_score
from .model_selection import (
    SeedSessionSplit,
    TrialKFold,
    deap_subject_dependent_cv,
    evaluate_subjects,
    leave_one_subject_out,
    pivot_scores,
    seed_train_test_split,
    summarize_scores,
)
from .ordinal import HIGHER, LOWER, SIMILAR, class_ranks, ordinal_relation

__version__ = "0.1.0.dev0"

_LAZY = {
    "PRNetClassifier": ".estimators",
    "PRNetRegressor": ".estimators",
    "RankNetRegressor": ".estimators",
    "fit_batched": ".estimators",
}

__all__ = [
    "PRNetClassifier",
    "PRNetRegressor",
    "RankNetRegressor",
    "fit_batched",
    "FisherFeatureSelector",
    "fisher_score",
    "ordinal_relation",
    "class_ranks",
    "LOWER",
    "SIMILAR",
    "HIGHER",
    "TrialKFold",
    "SeedSessionSplit",
    "deap_subject_dependent_cv",
    "leave_one_subject_out",
    "seed_train_test_split",
    "evaluate_subjects",
    "pivot_scores",
    "summarize_scores",
    "TrainingInterruptedWarning",
    "TrainingDivergedError",
    "CheckpointError",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
