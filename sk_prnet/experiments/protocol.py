"""What an experiment is: the :class:`Experiment` protocol and the :class:`FitTask` of a unit.

An experiment plans *units* (one fit + evaluate each: a fold of a subject, a session, a
repeat's fold...) and, for a unit, says what to fit and score as a :class:`FitTask`: the
unfitted estimator, its training and test data, the fit parameters and the metrics. The
runner (:func:`sk_prnet.experiments.run_experiment`) sees every task before it is fitted and
hands it to one executor (:func:`sk_prnet.experiments.execute.run_task`); the command line
(``sk-prnet run NAME``) and the report loop over the registered experiments
(:mod:`.registry`). A new experiment is one module: a subclass of :class:`Experiment`
decorated with :func:`sk_prnet.experiments.registry.register` (see ``docs/extending.md``).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Experiment", "ExperimentError", "FitTask"]


class ExperimentError(RuntimeError):
    """A user-facing problem with an experiment (data, subjects, options, recipe)."""


@dataclass
class FitTask:
    """What one unit fits and scores: plain data, picklable, nothing fitted yet.

    Parameters
    ----------
    unit : dict
        The unit's identity (returned with its results).
    estimator : estimator
        The unfitted scikit-learn estimator (a PRNet, or a pipeline ending in one). Its
        ``device`` parameters are set by the executor.
    X_train, y_train : array-like
        Training data.
    X_test, y_test : array-like
        Evaluation data.
    targets : list of str
        Names of the columns of ``y`` (one for a single target).
    metrics : tuple of str
        Metric names of :data:`sk_prnet.experiments.execute.METRICS`, computed per target.
    fit_params : dict
        Keyword arguments of ``fit`` (e.g. ``ranking_target``), already cut to the training
        rows.
    images : bool, default=False
        A CNN on images: with ``--device auto`` it gets a GPU per worker when CUDA exists.
    train_index, test_index : ndarray of int or None
        The rows of the experiment's data set the task trains and tests on (``None`` when
        the data are split otherwise, e.g. AffectNet's two files): provenance, and a way to
        see that several tasks share one data set.
    """

    unit: dict
    estimator: Any
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    targets: list
    metrics: tuple
    fit_params: dict = field(default_factory=dict)
    images: bool = False
    train_index: Any = None
    test_index: Any = None

    @property
    def network(self):
        """The PRNet (or RankNet) network inside :attr:`estimator` (unfitted)."""
        return network_of(self.estimator)


def network_of(estimator):
    """The network at the end of ``estimator``: through target transformers and pipelines.

    Parameters
    ----------
    estimator : estimator
        Fitted or not.

    Returns
    -------
    net : estimator
        The fitted network when ``estimator`` is fitted (``regressor_``), else the unfitted
        one.
    """
    while True:
        inner = getattr(estimator, "regressor_", None)
        if inner is None:
            inner = getattr(estimator, "regressor", None)
        if inner is not None:
            estimator = inner
        elif hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        else:
            return estimator


class Experiment(ABC):
    """An experiment of the command line, the runner and the report.

    A subclass sets :attr:`name`, :attr:`title` and :attr:`help`, implements :meth:`plan` and
    :meth:`task` (and, for the command line, :meth:`add_arguments` and :meth:`from_args`), and
    is registered with :func:`sk_prnet.experiments.registry.register`.

    Attributes
    ----------
    name : str
        Name of the experiment: ``sk-prnet run NAME`` and its units' ``experiment`` in the
        store.
    title : str or None
        Title of its table in the report (``None``: ``"NAME on DATASET"``).
    help : str
        One line for ``sk-prnet run --help``.
    dataset : str
        The data set its units record.
    """

    name = None
    title = None
    help = ""
    dataset = None

    @abstractmethod
    def plan(self):
        """Check the data and options, cheaply; return the planned units.

        Returns
        -------
        units : list of dict
            Each with ``experiment, dataset, subject, session, repeat, fold, model, alpha,
            epsilon, params, seed`` (see :func:`sk_prnet.experiments.units.make_unit`).
        """

    @abstractmethod
    def task(self, unit):
        """What ``unit`` fits and scores.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : FitTask
        """

    def reference_estimator(self):
        """The estimator of a unit with placeholders for what varies between units.

        Its parameters are fingerprinted into every unit's settings
        (:func:`sk_prnet.experiments.execute.estimator_settings`), so that a changed default
        never mixes with stored results. The default: the experiment's ``estimator()``
        called without arguments when it has that method, else ``None`` (no fingerprint).

        Returns
        -------
        estimator : estimator or None
        """
        estimator = getattr(self, "estimator", None)
        return None if estimator is None else estimator()

    @classmethod
    def add_arguments(cls, parser):
        """Add this experiment's options to its ``sk-prnet run NAME`` parser.

        Parameters
        ----------
        parser : argparse.ArgumentParser
        """
        return None  # no options of its own: only the runner's

    @classmethod
    def from_args(cls, args):
        """The experiment of parsed command-line options.

        Parameters
        ----------
        args : argparse.Namespace

        Returns
        -------
        experiment : Experiment
            An experiment whose ``name`` is this class's.
        """
        raise ExperimentError(f"The {cls.name!r} experiment has no command line.")

    @classmethod
    def report_title(cls, dataset):
        """Title of the report's table for ``dataset``.

        Parameters
        ----------
        dataset : str
            The data set the units record.
        """
        if cls.title and dataset == cls.dataset:
            return cls.title
        return f"{cls.name} on {dataset}"

    @classmethod
    def tables(cls, scores):
        """The report's tables of one configuration of this experiment.

        Parameters
        ----------
        scores : pandas.DataFrame
            Output of :func:`sk_prnet.experiments.report.scores_for_tables`.

        Returns
        -------
        tables : list of dict
            See :func:`sk_prnet.experiments.experiment_tables`. The default: one table per
            cut-off when the units have one, else a summary table with
            :meth:`report_title`.
        """
        from .tables import standard_tables

        return standard_tables(scores, cls.report_title(scores["dataset"].iloc[0]))
