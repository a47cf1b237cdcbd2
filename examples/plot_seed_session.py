"""
SEED: ordered classes and the per-session split
===============================================

SEED's three classes are ordered levels of valence, negative (-1) < neutral (0) <
positive (1) (the paper's Table III): a pair of windows of the same class is "similar",
otherwise the one of the higher class "succeeds" the other. The ranking labels come from
``y`` itself through ``class_order``; no extra metadata is needed.

The protocol of the paper (after Zheng & Lu, 2015) is subject-dependent: in every session
the first 9 trials train and the last 6 test. We compare the baseline (``alpha=0``) with
PRNet (``alpha=1``) on every (subject, session) and show where the errors fall with a
confusion matrix in class order.

SEED is licensed; this example writes a small synthetic SEED in the same ``.mat`` format
(differential-entropy features of 62 channels x 5 bands per 1 s window).
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import ConfusionMatrixDisplay

from sk_prnet import SeedSessionSplit, evaluate_subjects, ordinal_relation, seed_train_test_split
from sk_prnet.datasets import load_seed, make_synthetic_seed
from sk_prnet.ordinal import RELATION_NAMES
from sk_prnet.pipelines import make_seed_pipeline

QUICK = os.environ.get("SK_PRNET_EXAMPLES_QUICK") == "1"  # toy size in the test suite
torch.set_num_threads(1)

root = make_synthetic_seed(
    tempfile.mkdtemp(prefix="sk_prnet_seed_"),
    n_subjects=2 if QUICK else 3,
    n_sessions=1 if QUICK else 2,
    n_windows=(20, 30) if QUICK else (60, 90),
    random_state=0,
)
data = load_seed(root)
print(data.X.shape, np.unique(data.y), "subjects", np.unique(data.subject))

# %%
# The class order decides the relation labels
# -------------------------------------------
# ``ordinal_relation`` with ``class_order`` gives the relation of ``x1`` (rows) to ``x2``
# (columns): the paper's Table III.
CLASS_ORDER = [-1, 0, 1]
codes = ordinal_relation(
    np.repeat(CLASS_ORDER, 3), np.tile(CLASS_ORDER, 3), class_order=CLASS_ORDER
).reshape(3, 3)
print(pd.DataFrame(np.asarray(RELATION_NAMES)[codes], index=CLASS_ORDER, columns=CLASS_ORDER))

# %%
# The split of one session
# ------------------------
# ``seed_train_test_split`` puts the windows of trials 1-9 in training and those of trials
# 10-15 in the test set.
first = (data.subject == data.subject[0]) & (data.session == data.session[0])
train, test = next(seed_train_test_split(data.trial_index[first]).split())
print("train trials", np.unique(data.trial_index[first][train]))
print("test trials ", np.unique(data.trial_index[first][test]))

# %%
# Baseline vs PRNet on every (subject, session)
# ---------------------------------------------
# :func:`~sk_prnet.evaluate_subjects` runs the split separately on each unit; the unit id
# here combines subject and session.
unit = data.subject * 10 + data.session
models = {"baseline (alpha=0)": 0.0, "PRNet (alpha=1)": 1.0}
frames = []
for name, alpha in models.items():
    pipe = make_seed_pipeline(
        class_order=CLASS_ORDER, alpha=alpha, max_epochs=2 if QUICK else 20, lr=1e-2,
        random_state=0,
    )
    df = evaluate_subjects(
        pipe, data.X, data.y, unit, SeedSessionSplit(n_train_trials=9),
        groups=data.trial_index, scoring=["accuracy", "f1_macro"],
    )
    frames.append(df.assign(model=name))
scores = pd.concat(frames, ignore_index=True)
print(scores.pivot_table(index="subject", columns=["model", "metric"], values="value").round(3))

# %%
# Where the errors fall
# ---------------------
# One PRNet fitted on the first session's training trials; its confusion matrix on the test
# trials, rows and columns in class order. With ordered classes, ranking should move errors
# towards neighbouring classes.
Xs, ys = data.X[first], data.y[first]
model = make_seed_pipeline(
    class_order=CLASS_ORDER, alpha=1.0, max_epochs=2 if QUICK else 20, lr=1e-2, random_state=0
).fit(Xs[train], ys[train])
fig, ax = plt.subplots(figsize=(4, 4))
ConfusionMatrixDisplay.from_predictions(
    ys[test], model.predict(Xs[test]), labels=CLASS_ORDER,
    display_labels=["negative", "neutral", "positive"], ax=ax, colorbar=False,
)
ax.set_title("PRNet, test trials 10-15")
fig.tight_layout()
plt.show()
