"""Evaluation protocols of the PRNet paper (Zoumpourlis & Patras, ACII 2021, Sec. IV).

* DEAP, subject-dependent: for each subject, 10-fold cross-validation over the 40 trials
  (4 whole trials per fold) -- :func:`deap_subject_dependent_cv` / :class:`TrialKFold`.
* SEED, subject-dependent: per session, the first 9 trials train and the last 6 test
  (as in Zheng & Lu, 2015) -- :class:`SeedSessionSplit` / :func:`seed_train_test_split`.
* Subject-independent: leave one subject out -- :func:`leave_one_subject_out`.

:func:`evaluate_subjects` runs any of these per subject and returns a tidy
:class:`pandas.DataFrame`. Standard scikit-learn splitters are used wherever they fit.
"""

from ._split import (
    SeedSessionSplit,
    TrialKFold,
    deap_subject_dependent_cv,
    leave_one_subject_out,
    seed_train_test_split,
)
from ._subjects import evaluate_subjects, pivot_scores, summarize_scores

__all__ = [
    "SeedSessionSplit",
    "TrialKFold",
    "deap_subject_dependent_cv",
    "evaluate_subjects",
    "leave_one_subject_out",
    "pivot_scores",
    "seed_train_test_split",
    "summarize_scores",
]

