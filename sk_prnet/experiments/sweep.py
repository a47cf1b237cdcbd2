"""Paper Tables VII and VIII: alpha and epsilon sweeps (``sk-prnet run sweep``), on the
diabetes regression or on DEAP or SEED."""

from . import options
from .deap import DeapExperiment
from .protocol import Experiment, ExperimentError
from .registry import register
from .regression import RegressionExperiment
from .seed import SeedExperiment
from .units import sweep_settings

__all__ = ["SweepExperiment"]

#: The experiment that runs a sweep on each ``--dataset``.
DATASETS = {"diabetes": RegressionExperiment, "deap": DeapExperiment, "seed": SeedExperiment}


@register
class SweepExperiment(Experiment):
    """A sweep of model settings on one data set, reported as the paper's Tables VII/VIII.

    Parameters
    ----------
    experiment : Experiment
        The experiment that runs the units (named ``"sweep"``): a
        :class:`~sk_prnet.experiments.RegressionExperiment`,
        :class:`~sk_prnet.experiments.DeapExperiment` or
        :class:`~sk_prnet.experiments.SeedExperiment` with the settings of the sweep.
    """

    name = "sweep"
    help = "alpha and epsilon sweeps (paper Tables VII/VIII)"

    def __init__(self, experiment):
        self.experiment = experiment
        self.dataset = experiment.dataset

    def plan(self):
        """The units of the wrapped experiment."""
        return self.experiment.plan()

    def task(self, unit):
        """The task of the wrapped experiment.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : FitTask
        """
        return self.experiment.task(unit)

    def reference_estimator(self):
        """The wrapped experiment's."""
        return self.experiment.reference_estimator()

    @classmethod
    def add_arguments(cls, parser):
        """The model options with the sweep's defaults, ``--dataset`` and its data, the
        reference settings, ``--grid``, ``--pairing`` and the K-fold's.

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The ``sk-prnet run NAME`` sub-parser.
        """
        options.add_model_options(parser, alpha=(0.0, 0.5, 1.0, 2.0),
                                  epsilon=(0.05, 0.1, 0.15, 0.25))  # fmt: skip
        parser.add_argument("--dataset", choices=sorted(DATASETS), default="diabetes",
                            help="data set")  # fmt: skip
        options.add_data_options(parser, required=False)
        parser.add_argument("--ref-alpha", type=float, default=1.0,
                            help="alpha of the epsilon sweep")  # fmt: skip
        parser.add_argument("--ref-epsilon", type=float, default=None,
                            help="epsilon of the alpha sweep (default: the first --epsilon)")
        parser.add_argument("--grid", action="store_true", help="every (alpha, epsilon) pair")
        options.add_pairing_option(parser)
        options.add_kfold_options(parser)

    @classmethod
    def from_args(cls, args):
        """The sweep of ``--alpha`` at ``--ref-epsilon`` and of ``--epsilon`` at
        ``--ref-alpha`` (or their ``--grid``) on ``--dataset``.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command-line options.
        """
        settings = sweep_settings(args.alpha, args.epsilon, ref_alpha=args.ref_alpha,
                                  ref_epsilon=args.ref_epsilon, grid=args.grid)  # fmt: skip
        common = dict(seed=args.seed, max_epochs=args.max_epochs, name=cls.name)
        if args.dataset == "diabetes":
            return cls(RegressionExperiment("diabetes", settings, n_splits=args.n_splits,
                                            n_repeats=args.n_repeats, pairing=args.pairing,
                                            **common))  # fmt: skip
        if args.data_dir is None:
            raise ExperimentError(f"run sweep --dataset {args.dataset} needs --data-dir.")
        if args.dataset == "deap":
            common["pairing"] = args.pairing
        elif args.pairing != "split":
            raise ExperimentError("--pairing is available for deap and diabetes sweeps.")
        experiment = DATASETS[args.dataset](args.data_dir, options.flat(args.subjects), settings,
                                            recipe=args.recipe, **common)  # fmt: skip
        return cls(experiment)

    @classmethod
    def tables(cls, scores):
        """The alpha and epsilon sweeps and their grid (see
        :func:`~sk_prnet.experiments.tables.sweep_tables`); one table per cut-off when the
        units have one.

        Parameters
        ----------
        scores : pandas.DataFrame
            The scores of one configuration (:func:`~sk_prnet.experiments.scores_for_tables`).
        """
        from .tables import cutoff_tables, sweep_tables

        if (scores["cutoff"] != "n/a").any():
            return cutoff_tables(scores)
        return sweep_tables(scores)
