"""Paper Table V: SEED, per session the first 9 trials train and the last 6 test
(``sk-prnet run seed``)."""

import numpy as np

from . import options
from .protocol import Experiment, ExperimentError, FitTask
from .registry import register
from .units import (
    CLASSIFICATION_METRICS,
    _recipe_epochs,
    _wrap_data_errors,
    data_settings,
    make_unit,
    net_params,
    recipe_factory,
    run_settings,
    unit_seed,
)

__all__ = ["SeedExperiment"]


@register
class SeedExperiment(Experiment):
    """Paper Table V: SEED, per session the first 9 trials train and the last 6 test.

    Ranking uses the class order (negative < neutral < positive), so ``epsilon`` plays no
    role.

    Parameters
    ----------
    data_dir : str or Path
        SEED's root folder or its ``ExtractedFeatures/``.
    subjects : list of int or None
        ``None``: every subject present.
    settings : list of (alpha, epsilon)
        Model settings (see :func:`~sk_prnet.experiments.sweep_settings`).
    seed : int, default=0
    recipe : str, default="paper"
    max_epochs : int or None
        ``None`` keeps the recipe's value (paper: 20).
    name : str, default="seed"
        Experiment name in the store.
    sessions : list of int or None
        Sessions (1-3, by date) to run; ``None``: all.
    feature : str, default="de_LDS"
        The precomputed feature of SEED's files.
    """

    name = "seed"
    dataset = "seed"
    title = "Table V: SEED, first 9 trials train, last 6 test (accuracy %, macro F1)"
    help = "paper Table V (SEED, 9/6 trials a session)"
    #: The files it reads, relative to ``data_dir`` (fingerprinted into the units).
    data_files = ("*.mat", "ExtractedFeatures/*.mat")

    def __init__(
        self,
        data_dir,
        subjects=None,
        settings=((0.0, None), (1.0, None)),
        seed=0,
        recipe="paper",
        max_epochs=None,
        name="seed",
        sessions=None,
        feature="de_LDS",
    ):
        self.data_dir = data_dir
        self.subjects = subjects
        self.sessions = sessions
        self.settings = sorted({(a, None) for a, _ in settings})
        self.seed = int(seed)
        self.recipe = recipe
        self.max_epochs = max_epochs
        self.name = name
        self.feature = feature
        self._cache = {}

    @classmethod
    def add_arguments(cls, parser):
        """``--data-dir``, ``--subjects``, the model options and ``--sessions``.

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The ``sk-prnet run NAME`` sub-parser.
        """
        options.add_data_options(parser)
        options.add_model_options(parser)
        parser.add_argument("--sessions", type=options.subjects, nargs="+", default=None,
                            help="sessions 1-3 (default: all)")  # fmt: skip

    @classmethod
    def from_args(cls, args):
        """One model per ``--alpha``.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command-line options.
        """
        return cls(args.data_dir, options.flat(args.subjects), [(a, None) for a in args.alpha],
                   seed=args.seed, recipe=args.recipe, max_epochs=args.max_epochs,
                   sessions=options.flat(args.sessions))  # fmt: skip

    def plan(self):
        """Check the data and options; return the planned units."""
        from ..datasets import list_seed_sessions

        factory = recipe_factory("seed", self.recipe)
        files = {}
        for subject, session in _wrap_data_errors(list_seed_sessions, self.data_dir):
            files.setdefault(subject, []).append(session)
        subjects = sorted(files) if self.subjects is None else list(self.subjects)
        unknown = [s for s in subjects if s not in files]
        if unknown:
            raise ExperimentError(
                f"SEED subject(s) {unknown} not found in {str(self.data_dir)!r}; available: "
                f"{sorted(files)}."
            )
        units = []
        params = run_settings(
            recipe=self.recipe,
            max_epochs=_recipe_epochs(factory, self.max_epochs),
            feature=self.feature,
            **data_settings(self.data_dir, self.data_files),
        )
        for subject in subjects:
            sessions = files[subject]
            if self.sessions is not None:
                sessions = [s for s in sessions if s in self.sessions]
            for session in sessions:
                for s in self.settings:
                    units.append(make_unit(self.name, self.dataset, s, self.seed, params,
                                           subject=subject, session=session, fold=0))  # fmt: skip
        if not units:
            raise ExperimentError(f"No SEED session {self.sessions} in {str(self.data_dir)!r}.")
        return units

    def _subject(self, subject):
        if subject not in self._cache:
            from ..datasets import load_seed

            data = _wrap_data_errors(load_seed, self.data_dir, self.feature, subjects=[subject])
            self._cache.clear()
            self._cache[subject] = data
        return self._cache[subject]

    def estimator(self, alpha=1.0, random_state=0):
        """The recipe's pipeline of a unit (ranking by class order: no epsilon).

        Parameters
        ----------
        alpha : float, default=1.0
            Weight of the ranking loss (0: the baseline).
        random_state : int, default=0

        Returns
        -------
        estimator : sklearn.pipeline.Pipeline
        """
        factory = recipe_factory("seed", self.recipe)
        return factory(**net_params(alpha, None, random_state, max_epochs=self.max_epochs))


    def task(self, unit):
        """Fit on trials 1-9 of the unit's session, test on trials 10-15.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : FitTask
        """
        d = self._subject(unit["subject"])
        rows = np.flatnonzero(d.session == unit["session"])
        train = rows[d.trial_index[rows] <= 9]
        test = rows[d.trial_index[rows] >= 10]
        model = self.estimator(
            unit["alpha"], unit_seed(self.seed, unit["subject"], unit["session"])
        )
        return FitTask(
            unit, model, d.X[train], d.y[train], d.X[test], d.y[test],
            targets=list(d.target_names), metrics=CLASSIFICATION_METRICS, train_index=train,
            test_index=test,
        )  # fmt: skip
