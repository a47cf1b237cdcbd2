"""Paper Table IX: label-space cut-off on the diabetes regression (``sk-prnet run cutoff``)."""

from . import options
from .registry import register
from .regression import RegressionExperiment
from .units import sweep_settings

__all__ = ["CutoffExperiment"]


@register
class CutoffExperiment(RegressionExperiment):
    """Paper Table IX: train only on samples with ``|y| <= c``, test on every sample.

    A :class:`~sk_prnet.experiments.RegressionExperiment` named ``"cutoff"``, reported one
    table per cut-off.

    Parameters
    ----------
    dataset : {"diabetes"}, default="diabetes"
    settings : list of (alpha, epsilon)
    cutoffs : list of (float or None), default=(0.5, 1.0, 1.5, None)
        ``None`` in the list: the full training set.
    **kwargs
        Further parameters of :class:`~sk_prnet.experiments.RegressionExperiment`.
    """

    name = "cutoff"
    help = "label-space cut-off (paper Table IX)"

    def __init__(self, dataset="diabetes", settings=((0.0, None), (1.0, 0.25)),
                 cutoffs=(0.5, 1.0, 1.5, None), **kwargs):  # fmt: skip
        kwargs.setdefault("name", "cutoff")
        super().__init__(dataset, settings, cutoffs=list(cutoffs), **kwargs)

    @classmethod
    def add_arguments(cls, parser):
        """The model options, ``--dataset``, ``--cutoff``, ``--pairing`` and the K-fold's.

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The ``sk-prnet run NAME`` sub-parser.
        """
        options.add_model_options(parser, alpha=(0.0, 1.0), epsilon=(0.25,))
        parser.add_argument("--dataset", choices=["diabetes"], default="diabetes",
                            help="data set")  # fmt: skip
        parser.add_argument(
            "--cutoff", type=options.cutoff, nargs="+", default=[0.5, 1.0, 1.5, None],
            help="cut-offs c on the standardized target, or 'full'",
        )  # fmt: skip
        options.add_pairing_option(parser)
        options.add_kfold_options(parser)

    @classmethod
    def from_args(cls, args):
        """Every (alpha, epsilon) pair at each ``--cutoff``.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command-line options.
        """
        return cls(
            args.dataset, sweep_settings(args.alpha, args.epsilon, grid=True),
            cutoffs=list(args.cutoff), n_splits=args.n_splits, n_repeats=args.n_repeats,
            pairing=args.pairing, seed=args.seed, max_epochs=args.max_epochs,
        )  # fmt: skip

    @classmethod
    def tables(cls, scores):
        """One table per cut-off (see :func:`~sk_prnet.experiments.tables.cutoff_tables`).

        Parameters
        ----------
        scores : pandas.DataFrame
            The scores of one configuration (:func:`~sk_prnet.experiments.scores_for_tables`).
        """
        from .tables import cutoff_tables

        return cutoff_tables(scores)
