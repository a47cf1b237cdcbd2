"""
Using the trained ranking head: ``compare`` and ``rank_scores``
===============================================================

The paper uses the ranking head only to shape the embedding during training. The fitted
estimator keeps it, and exposes it:

* :meth:`~sk_prnet.PRNetRegressor.compare` gives, for row-aligned pairs ``(x1, x2)``, the
  probabilities that ``x1`` is lower than, similar to or higher than ``x2``;
* :meth:`~sk_prnet.PRNetRegressor.rank_scores` compares every sample with a reference set
  and aggregates the comparisons into one score per sample (Borda count or Bradley-Terry).

We fit PRNet on part of scikit-learn's diabetes data and measure on held-out patients how
well each score orders them: Kendall's tau with the true target, for the task head's
predictions, for both rank scores, and for :class:`~sk_prnet.RankNetRegressor` (the paper's
RankNet comparison: the same network trained only on pairs).
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_prnet import PRNetRegressor, RankNetRegressor
from sk_prnet.metrics import kendall_tau

QUICK = os.environ.get("SK_PRNET_EXAMPLES_QUICK") == "1"  # toy size in the test suite
torch.set_num_threads(1)
EPOCHS = 3 if QUICK else 40

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
scale_X = StandardScaler().fit(X_train)
X_train, X_test = scale_X.transform(X_train), scale_X.transform(X_test)
mean, sd = y_train.mean(), y_train.std()
net = PRNetRegressor(alpha=1.0, epsilon=0.25, max_epochs=EPOCHS, lr=1e-2, random_state=0)
net.fit(X_train, (y_train - mean) / sd)

# %%
# Comparing pairs
# ---------------
# The first five test patients against the next five: probabilities of (lower, similar,
# higher), and the truth.
proba = net.compare(X_test[:5], X_test[5:10])
for p, a, b in zip(proba, y_test[:5], y_test[5:10]):
    print(np.round(p, 2), "true:", "lower" if a < b else "higher", f"({a:.0f} vs {b:.0f})")

# %%
# Ordering the held-out patients
# ------------------------------
# Each test patient is compared with every training patient (in both orders).
scores = {
    "task head (predict)": net.predict(X_test),
    "rank_scores, Borda": net.rank_scores(X_test, reference=X_train),
    "rank_scores, Bradley-Terry": net.rank_scores(
        X_test, reference=X_train, method="bradley-terry"
    ),
    "RankNet": RankNetRegressor(max_epochs=EPOCHS, lr=1e-2, random_state=0)
    .fit(X_train, y_train)
    .predict(X_test),
}
for name, s in scores.items():
    print(f"{name:28s} Kendall tau = {kendall_tau(y_test, s):.3f}")

# %%
# Predictions and Borda scores against the truth: both order the patients, on different
# scales (the Borda score is a mean of ``P(higher) - P(lower)``, in [-1, 1]).
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), sharex=True)
for ax, name in zip(axes, ["task head (predict)", "rank_scores, Borda"]):
    ax.scatter(y_test, scores[name], s=10)
    ax.set(xlabel="true target", title=f"{name}\ntau = {kendall_tau(y_test, scores[name]):.2f}")
fig.tight_layout()
plt.show()
