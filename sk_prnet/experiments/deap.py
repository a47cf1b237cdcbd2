"""Paper Table IV: DEAP, subject-dependent 10-fold CV over whole trials (``sk-prnet run deap``).

The 1-9 ratings (arousal, valence) are the ranking target, with tolerance ``epsilon``; the
classes are low/high (rating > 5).
"""

import numpy as np

from . import options
from .protocol import Experiment, FitTask
from .registry import register
from .units import (
    CLASSIFICATION_METRICS,
    _recipe_epochs,
    _with_pairing,
    _wrap_data_errors,
    data_settings,
    make_unit,
    net_params,
    recipe_factory,
    run_settings,
    sweep_settings,
    unit_seed,
)

__all__ = ["DeapExperiment"]

DEAP_TARGETS = ("arousal", "valence")
DEAP_FOLDS = 10


@register
class DeapExperiment(Experiment):
    """Paper Table IV: DEAP, subject-dependent 10-fold CV over whole trials.

    Parameters
    ----------
    data_dir : str or Path
        Folder of ``s01.dat`` ... (DEAP's preprocessed Python files).
    subjects : list of int or None
        ``None``: every subject file present.
    settings : list of (alpha, epsilon)
        Model settings (see :func:`~sk_prnet.experiments.sweep_settings`).
    seed : int, default=0
    recipe : str, default="paper"
    max_epochs : int or None
        ``None`` keeps the recipe's value (paper: 20).
    name : str, default="deap"
        Experiment name in the store (e.g. ``"sweep"`` for a sweep on DEAP).
    pairing : {"split", "all"}, default="split"
        Pairing of the PRNet models (see :class:`sk_prnet.PRNetClassifier`).
    """

    name = "deap"
    dataset = "deap"
    title = "Table IV: DEAP, subject-dependent 10-fold CV (accuracy in %, macro F1)"
    help = "paper Table IV (DEAP, 10-fold CV per subject)"
    #: The files it reads, relative to ``data_dir`` (fingerprinted into the units).
    data_files = ("s[0-9][0-9].dat", "data_preprocessed_python/s[0-9][0-9].dat")

    def __init__(
        self,
        data_dir,
        subjects=None,
        settings=((0.0, None), (1.0, 0.25)),
        seed=0,
        recipe="paper",
        max_epochs=None,
        name="deap",
        pairing="split",
    ):
        self.data_dir = data_dir
        self.pairing = pairing
        self.subjects = subjects
        self.settings = list(settings)
        self.seed = int(seed)
        self.recipe = recipe
        self.max_epochs = max_epochs
        self.name = name
        self._cache = {}

    @classmethod
    def add_arguments(cls, parser):
        """``--data-dir``, ``--subjects``, the model options and ``--pairing``.

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The ``sk-prnet run NAME`` sub-parser.
        """
        options.add_data_options(parser)
        options.add_model_options(parser, epsilon=(0.25,))
        options.add_pairing_option(parser)

    @classmethod
    def from_args(cls, args):
        """Every (alpha, epsilon) pair of ``--alpha`` and ``--epsilon``.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command-line options.
        """
        settings = sweep_settings(args.alpha, args.epsilon, grid=True)
        return cls(args.data_dir, options.flat(args.subjects), settings, seed=args.seed,
                   recipe=args.recipe, max_epochs=args.max_epochs,
                   pairing=args.pairing)  # fmt: skip

    @property
    def factory(self):
        """The recipe's pipeline factory."""
        return recipe_factory("deap", self.recipe)

    def _params(self):
        settings = run_settings(
            recipe=self.recipe,
            max_epochs=_recipe_epochs(self.factory, self.max_epochs),
            **data_settings(self.data_dir, self.data_files),
        )
        return _with_pairing(settings, self.pairing)

    def plan(self):
        """Check the data and options; return the planned units."""
        from ..datasets import iter_deap_subjects, list_deap_subjects

        self.factory  # noqa: B018 -- an unknown recipe fails before the data are read
        available = _wrap_data_errors(list_deap_subjects, self.data_dir)
        subjects = available if self.subjects is None else list(self.subjects)
        _wrap_data_errors(iter_deap_subjects, self.data_dir, subjects)  # checks the subjects
        params = self._params()
        return [
            make_unit(self.name, self.dataset, s, self.seed, params, subject=subject, fold=fold)
            for subject in subjects
            for s in self.settings
            for fold in range(DEAP_FOLDS)
        ]

    def _subject(self, subject):
        if subject not in self._cache:
            from ..model_selection import deap_subject_dependent_cv
            from ..pipelines import DEAP_RECIPES, load_deap_recipe

            # the recipe decides windowing and, for "authors", baseline-corrected features
            data = _wrap_data_errors(
                load_deap_recipe, self.data_dir, self.recipe if self.recipe in
                DEAP_RECIPES else "paper", subjects=[subject],
            )  # fmt: skip
            pipe = self.factory()
            features = pipe.steps[0][1] if pipe.steps[0][0] == "features" else None
            X = data.X if features is None else features.fit_transform(data.X)
            cv = deap_subject_dependent_cv(DEAP_FOLDS)
            folds = [test for _, test in cv.split(X, groups=data.trial)]
            self._cache.clear()  # one subject at a time: bounded memory
            self._cache[subject] = dict(
                X=X,
                y=data.y,
                rank=data.ratings,
                folds=folds,
                pre=features is not None,
                targets=list(data.target_names),
            )
        return self._cache[subject]

    def estimator(self, alpha=1.0, epsilon=None, random_state=0, skip_features=False):
        """The recipe's pipeline of a unit, its network asking for ``ranking_target``.

        ``skip_features`` drops the feature step (the features are computed once per
        subject, when the recipe's first step is ``"features"``).

        Parameters
        ----------
        alpha : float, default=1.0
            Weight of the ranking loss (0: the baseline).
        epsilon : float or None, default=None
            Rank tolerance (``None``: the network's default).
        random_state : int, default=0
        skip_features : bool, default=False

        Returns
        -------
        estimator : sklearn.pipeline.Pipeline
        """
        import sklearn

        params = net_params(alpha, epsilon, random_state, max_epochs=self.max_epochs,
                            pairing=self.pairing)  # fmt: skip
        with sklearn.config_context(enable_metadata_routing=True):
            pipe = self.factory(request_ranking_target=True, **params)
        return pipe[1:] if skip_features else pipe


    def task(self, unit):
        """Fit on 9 folds of the subject's trials (with their ratings), test on the tenth.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : FitTask
        """
        d = self._subject(unit["subject"])
        test = d["folds"][unit["fold"]]
        train = np.setdiff1d(np.arange(len(d["y"])), test)
        model = self.estimator(
            unit["alpha"], unit["epsilon"],
            unit_seed(self.seed, unit["subject"], fold=unit["fold"]), skip_features=d["pre"],
        )  # fmt: skip
        return FitTask(
            unit, model, d["X"][train], d["y"][train], d["X"][test], d["y"][test],
            targets=d["targets"], metrics=CLASSIFICATION_METRICS,
            fit_params={"ranking_target": d["rank"][train]}, train_index=train,
            test_index=test,
        )  # fmt: skip
