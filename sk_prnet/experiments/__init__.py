"""Experiments on top of the estimators and protocols: runner, results store, tables.

* :func:`run_experiment` runs the units of an experiment (:mod:`.units`: DEAP Table IV, SEED
  Table V, regression sweeps and cut-off) and writes each finished unit to a
  :class:`ResultsStore` (SQLite, WAL, one transaction per unit);
* :func:`load_results` reads a store as a tidy DataFrame;
* :func:`summary_table`, :func:`paired_test`, :func:`format_table` and :func:`render_report`
  turn it into the paper's tables (each configuration of an experiment on its own, see
  :mod:`.config`); :func:`report_frame` gives the same as one tidy table (the CSV report).
"""

from .render import coverage_text, render_report, report_frame
from .report import (
    experiment_tables,
    format_grid,
    format_latex,
    format_table,
    grid_table,
    paired_test,
    subject_means,
    summary_table,
)
from .runner import RunInterrupted, RunReport, run_experiment
from .store import ResultsStore, StoreError, load_results
from .units import (
    DeapExperiment,
    ExperimentError,
    RegressionExperiment,
    SeedExperiment,
    sweep_settings,
)

__all__ = [
    "DeapExperiment",
    "ExperimentError",
    "RegressionExperiment",
    "ResultsStore",
    "RunInterrupted",
    "RunReport",
    "SeedExperiment",
    "StoreError",
    "experiment_tables",
    "format_grid",
    "format_latex",
    "format_table",
    "grid_table",
    "load_results",
    "paired_test",
    "coverage_text",
    "render_report",
    "report_frame",
    "run_experiment",
    "subject_means",
    "summary_table",
    "sweep_settings",
]
