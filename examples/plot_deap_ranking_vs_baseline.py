"""
PRNet vs its baseline on DEAP
=============================

The paper's DEAP set-up (Zoumpourlis & Patras, ACII 2021, Sec. IV) as one scikit-learn
pipeline on raw EEG windows::

    2 s windows -> band power + asymmetry -> Fisher top-100 -> z-score -> PRNet

``y`` holds the low/high arousal and valence classes (rating > 5), one task head each. The
continuous 1-9 ratings reach the ranking heads as ``ranking_target`` through scikit-learn's
metadata routing, so that they are split with the folds like ``X`` and ``y``. Without them
the ranking heads would only see the binary classes and the tolerance ``epsilon`` would do
nothing.

We run the paper's subject-dependent protocol (per subject, folds of whole trials, a trial's
windows never split across folds) for the plain baseline (``alpha=0``) and for PRNet
(``alpha=1``), and compare their macro-F1 subject by subject.

DEAP is licensed; this example writes a small synthetic DEAP in the same file format.
"""

# %%
# Synthetic DEAP in DEAP's own format
# -----------------------------------
# :func:`~sk_prnet.datasets.make_synthetic_deap` writes one pickled ``sNN.dat`` file per
# subject, exactly as DEAP's ``data_preprocessed_python`` folder holds them, and
# :func:`~sk_prnet.datasets.load_deap` reads them back and cuts 2 s windows.
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.metrics import f1_score, make_scorer

from sk_prnet import deap_subject_dependent_cv, evaluate_subjects
from sk_prnet.datasets import load_deap, make_synthetic_deap
from sk_prnet.experiments import format_table, paired_test, summary_table
from sk_prnet.pipelines import make_deap_pipeline

# The test suite runs the examples at toy size.
QUICK = os.environ.get("SK_PRNET_EXAMPLES_QUICK") == "1"
N_SUBJECTS = 2 if QUICK else 4
torch.set_num_threads(1)  # the paper's tiny MLP trains fastest on one thread

folder = make_synthetic_deap(
    tempfile.mkdtemp(prefix="sk_prnet_deap_"),
    n_subjects=N_SUBJECTS,
    n_trials=20,
    trial_seconds=4 if QUICK else 10,
    random_state=0,
)
data = load_deap(folder)
print(data.X.shape, data.y.shape, data.target_names, np.unique(data.subject))

# %%
# The pipeline, with the ratings routed to the network
# ----------------------------------------------------
# ``request_ranking_target=True`` asks the network for the ratings under metadata routing.
# The paper trains 20 epochs at lr 1e-3 on 40 trials x 60 s; this much smaller data set
# gets a larger step.
sklearn.set_config(enable_metadata_routing=True)


def make_model(alpha):
    return make_deap_pipeline(
        alpha=alpha,
        k=100,
        max_epochs=2 if QUICK else 20,
        lr=1e-2,
        random_state=0,
        request_ranking_target=True,
    )


print(make_model(1.0))

# %%
# The subject-dependent protocol for both models
# ----------------------------------------------
# Five folds of four whole trials per subject. ``groups`` (trial ids, for the splitter) and
# ``ranking_target`` travel in ``params`` under routing. One macro-F1 scorer per target
# (the paper reports F1 on DEAP because its classes are imbalanced).


def column_f1(y_true, y_pred, column):
    return f1_score(np.asarray(y_true)[:, column], np.asarray(y_pred)[:, column], average="macro")


scoring = {
    f"{target}_f1": make_scorer(column_f1, column=j) for j, target in enumerate(data.target_names)
}
models = {"baseline (alpha=0)": 0.0, "PRNet (alpha=1)": 1.0}
frames = []
for name, alpha in models.items():
    scores = evaluate_subjects(
        make_model(alpha),
        data.X,
        data.y,
        data.subject,
        deap_subject_dependent_cv(5),
        scoring=scoring,
        params={"groups": data.trial, "ranking_target": data.ratings},
    )
    target = scores["metric"].str.rsplit("_", n=1).str[0]
    frames.append(scores.assign(model=name, target=target, metric="f1"))
scores = pd.concat(frames, ignore_index=True)
sklearn.set_config(enable_metadata_routing=False)

# %%
# The paper's Table IV shape: mean +- std over subjects, and a paired t-test over subjects
# (with this few subjects the test has little power; it is shown for the mechanics).
summary = summary_table(scores).reindex(list(models))
print(format_table(summary, paired_test(scores, *models, metric="f1")))

# %%
# Subject by subject
# ------------------
# Each point is one subject and target: its mean macro-F1 over the folds with the baseline
# (x) and with PRNet (y). Points above the diagonal are where ranking helped.
per_subject = scores.groupby(["model", "target", "subject"])["value"].mean().unstack("model")
fig, ax = plt.subplots(figsize=(4.5, 4.5))
for target, rows in per_subject.groupby(level="target"):
    ax.scatter(rows[list(models)[0]], rows[list(models)[1]], label=target)
lims = [min(per_subject.min()) - 0.02, max(per_subject.max()) + 0.02]
ax.plot(lims, lims, color="grey", lw=1, ls="--")
ax.set(xlim=lims, ylim=lims, xlabel="baseline macro-F1", ylabel="PRNet macro-F1",
       title="Synthetic DEAP, per subject")
ax.legend(title="target")
fig.tight_layout()
plt.show()
