"""
A resumable experiment run and its report
=========================================

``sk-prnet run`` runs an experiment's units (subject x fold x setting, or repeat x fold x
setting) into a results store, a SQLite file that commits each finished unit at once. An
interrupted run loses at most the units in flight; the same command run again finishes
exactly the missing ones. ``sk-prnet report`` turns the store into the paper's tables and
figures.

Here the same machinery runs from Python: a small sweep of the diabetes regression set
(baseline and PRNet, repeated 5-fold CV), stopped on purpose after a few units, resumed,
and reported. From the shell the equivalent is::

    sk-prnet run sweep --dataset diabetes --alpha 0 1 --epsilon 0.25 --store results.sqlite
    sk-prnet report results.sqlite --figures figures/
"""

# %%
import os
import signal
import tempfile
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

from sk_prnet.experiments import (
    RegressionExperiment,
    RunInterrupted,
    load_results,
    render_report,
    run_experiment,
)
from sk_prnet.experiments.figures import write_figures

QUICK = os.environ.get("SK_PRNET_EXAMPLES_QUICK") == "1"  # toy size in the test suite
workdir = Path(tempfile.mkdtemp(prefix="sk_prnet_run_"))
store = workdir / "results.sqlite"
experiment = RegressionExperiment(
    dataset="diabetes",
    settings=((0.0, None), (1.0, 0.25)),
    n_splits=5,
    n_repeats=1 if QUICK else 2,
    max_epochs=3 if QUICK else 20,
)

# %%
# A first run, stopped after three units
# --------------------------------------
# A real SIGINT (what Ctrl-C sends) after the third unit is written: the run stops at once,
# with three units committed. (The runner logs one line per written unit when
# ``progress=False``; this log function sends the signal.)


def log(line):
    print(line)
    if line.startswith("[3/"):
        signal.raise_signal(signal.SIGINT)


try:
    run_experiment(experiment, store, progress=False, log=log)
except RunInterrupted as stopped:  # what Ctrl-C raises too, after the store is consistent
    print(stopped.report.message())

# %%
# The same run again finishes exactly the missing units
# -----------------------------------------------------
second = run_experiment(experiment, store, progress=False)
print(second.message())
print(f"{second.already_done} units were already done, {second.ran} ran now")

# %%
# The report
# ----------
# The same Markdown report ``sk-prnet report`` prints: mean +- std over folds, and the
# corrected resampled t-test for repeated cross-validation.
print(render_report(store))

# %%
# The figure ``sk-prnet report --figures`` writes for this sweep: each metric's mean over
# the folds as alpha goes from the baseline to PRNet.
paths = write_figures(load_results(store), workdir / "figures")
print([p.name for p in paths])
image = mpimg.imread(paths[0])
fig = plt.figure(figsize=(9, 9 * image.shape[0] / image.shape[1]))
ax = fig.add_axes([0, 0, 1, 1])
ax.imshow(image)
ax.axis("off")
plt.show()
