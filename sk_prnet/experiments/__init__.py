"""Experiments on top of the estimators and protocols: runner, results store, tables.

* an experiment (:class:`Experiment`, :mod:`.protocol`) plans its units and says, for each,
  what to fit and score (a :class:`FitTask`); the package's own -- DEAP Table IV
  (:mod:`.deap`), SEED Table V (:mod:`.seed`), sweeps (:mod:`.sweep`), cut-off
  (:mod:`.cutoff`), AffectNet (:mod:`.affectnet`) -- are registered (:mod:`.registry`) for
  ``sk-prnet run NAME`` and the report, and so is any subclass decorated with
  :func:`register`;
* :func:`run_experiment` runs the units of an experiment and writes each finished unit to a
  :class:`ResultsStore` (SQLite, WAL, one transaction per unit);
* :func:`load_results` reads a store as a tidy DataFrame;
* :func:`summary_table`, :func:`paired_test`, :func:`format_table` and :func:`render_report`
  turn it into the paper's tables (each configuration of an experiment on its own, see
  :mod:`.config`); :func:`report_frame` gives the same as one tidy table (the CSV report).
"""

# the package's experiments (importing their modules registers them)
from .affectnet import AffectNetExperiment
from .cutoff import CutoffExperiment
from .deap import DeapExperiment
from .protocol import Experiment, ExperimentError, FitTask
from .registry import experiments, get_experiment, register
from .regression import RegressionExperiment
from .render import coverage_text, render_report, report_frame
from .report import (
    aggregate,
    format_grid,
    format_latex,
    format_table,
    grid_table,
    paired_test,
    subject_means,
    summary_table,
)
from .runner import RunInterrupted, RunReport, run_experiment
from .seed import SeedExperiment
from .store import ResultsStore, StoreError, load_results
from .sweep import SweepExperiment
from .tables import experiment_tables
from .units import sweep_settings

__all__ = [
    "AffectNetExperiment",
    "CutoffExperiment",
    "DeapExperiment",
    "Experiment",
    "ExperimentError",
    "FitTask",
    "RegressionExperiment",
    "ResultsStore",
    "RunInterrupted",
    "RunReport",
    "SeedExperiment",
    "StoreError",
    "SweepExperiment",
    "aggregate",
    "experiment_tables",
    "format_grid",
    "format_latex",
    "format_table",
    "experiments",
    "get_experiment",
    "grid_table",
    "load_results",
    "paired_test",
    "register",
    "coverage_text",
    "render_report",
    "report_frame",
    "run_experiment",
    "subject_means",
    "summary_table",
    "sweep_settings",
]
