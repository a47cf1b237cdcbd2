"""
Choosing alpha and epsilon with GridSearchCV
============================================

The two hyper-parameters PRNet adds to a plain network are the weight of the ranking loss,
``alpha`` (``0`` is the baseline), and the ranking tolerance ``epsilon``: two samples whose
targets differ by at most ``epsilon`` form a "similar" pair. Both are ordinary estimator
parameters, so scikit-learn's :class:`~sklearn.model_selection.GridSearchCV` searches them
like any other.

We use scikit-learn's diabetes data (442 patients, a disease-progression score): real data
that ships with scikit-learn, though not affect data. The target is standardized by
:class:`~sklearn.compose.TransformedTargetRegressor`, so ``epsilon`` is in units of the
target's standard deviation.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_prnet import PRNetRegressor
from sk_prnet.metrics import ccc_scorer

QUICK = os.environ.get("SK_PRNET_EXAMPLES_QUICK") == "1"  # toy size in the test suite
torch.set_num_threads(1)

X, y = load_diabetes(return_X_y=True)
model = TransformedTargetRegressor(
    regressor=make_pipeline(
        StandardScaler(),
        PRNetRegressor(max_epochs=3 if QUICK else 20, lr=1e-2, random_state=0),
    ),
    transformer=StandardScaler(),
)

# %%
# The grid
# --------
# Nested parameter names reach the network through the pipeline. The score is the
# concordance correlation coefficient (CCC), the paper's metric for continuous targets.
grid = {
    "regressor__prnetregressor__alpha": [0.0, 1.0] if QUICK else [0.0, 0.3, 1.0, 3.0],
    "regressor__prnetregressor__epsilon": [0.1, 0.5] if QUICK else [0.0, 0.1, 0.25, 0.5, 1.0],
}
search = GridSearchCV(model, grid, scoring=ccc_scorer, cv=KFold(3, shuffle=True, random_state=0))
search.fit(X, y)
print("best:", search.best_params_, "CCC", round(search.best_score_, 3))

# %%
# The scores as a heat map
# ------------------------
# With ``alpha=0`` the ranking head is never evaluated, so its row does not depend on
# ``epsilon``: it is the baseline every other cell is compared with.
results = pd.DataFrame(search.cv_results_)
table = results.pivot_table(
    index="param_regressor__prnetregressor__alpha",
    columns="param_regressor__prnetregressor__epsilon",
    values="mean_test_score",
)
fig, ax = plt.subplots(figsize=(5.5, 4))
image = ax.imshow(table.to_numpy(), cmap="viridis", aspect="auto")
ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
for (i, j), value in np.ndenumerate(table.to_numpy()):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="white", fontsize=8)
ax.set(xlabel="epsilon (target SD)", ylabel="alpha", title="Mean CCC over 3 folds")
fig.colorbar(image, ax=ax)
fig.tight_layout()
plt.show()
