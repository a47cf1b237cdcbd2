"""The paper's experiments as lists of *units*, and the function that runs one unit.

A unit is one fit + evaluate: one fold of one subject (DEAP), one session of one subject
(SEED) or one fold of one repeat (repeated K-fold on a regression set) for one parameter
setting. Each experiment object plans its units (cheaply, without reading the data) and
gives, for a unit, the picklable arguments of :func:`sk_prnet.experiments.execute.run_unit`
-- the data travel with the task, so parallel workers (loky or Dask) need no shared
filesystem.

Experiments (paper Section IV):

* :class:`DeapExperiment` -- Table IV: subject-dependent 10-fold CV over whole trials, the
  1-9 ratings ranked with tolerance ``epsilon``.
* :class:`SeedExperiment` -- Table V: per session the first 9 trials train, the last 6 test;
  ranking by the class order negative < neutral < positive.
* :class:`RegressionExperiment` -- Tables VII/VIII (alpha and epsilon sweeps) and IX (label
  cut-off) with repeated K-fold CV on scikit-learn's diabetes data (standardized target).
"""

import numpy as np

from ..pipelines import DEAP_RECIPES

__all__ = [
    "RECIPES",
    "DeapExperiment",
    "ExperimentError",
    "RegressionExperiment",
    "SeedExperiment",
    "model_label",
    "recipe_factory",
    "sweep_settings",
    "unit_seed",
]

#: Recipe name -> {dataset: name of a pipeline factory in :mod:`sk_prnet.pipelines`}. A
#: ``RECIPES`` mapping of the same shape in :mod:`sk_prnet.pipelines` (holding names or
#: callables) is consulted first, so new recipes can be added there.
RECIPES = {"paper": {"deap": "make_deap_pipeline", "seed": "make_seed_pipeline"}}

DEAP_TARGETS = ("arousal", "valence")
DEAP_FOLDS = 10


class ExperimentError(RuntimeError):
    """A user-facing problem with an experiment (data, subjects, options, recipe)."""


def recipe_factory(dataset, recipe="paper"):
    """The pipeline factory of ``recipe`` for ``dataset`` (``"deap"`` or ``"seed"``).

    Parameters
    ----------
    dataset : {"deap", "seed"}
    recipe : str, default="paper"

    Returns
    -------
    factory : callable
        Builds the pipeline from estimator keyword arguments (``alpha``, ``random_state``...).

    Raises
    ------
    ExperimentError
        If the recipe or its pipeline for ``dataset`` is unknown.
    """
    from .. import pipelines

    table = {}
    for source in (RECIPES, getattr(pipelines, "RECIPES", {})):
        for name, by_dataset in source.items():
            table.setdefault(name, {}).update(by_dataset)
    if recipe not in table:
        raise ExperimentError(
            f"Unknown recipe {recipe!r}; available recipes: {', '.join(sorted(table))}."
        )
    factory = table[recipe].get(dataset)
    if isinstance(factory, str):
        factory = getattr(pipelines, factory, None)
    if not callable(factory):
        raise ExperimentError(f"Recipe {recipe!r} has no pipeline for the {dataset} dataset.")
    return factory


def unit_seed(seed, subject=None, session=None, repeat=None, fold=None):
    """Deterministic per-unit seed from (seed, subject, session, repeat, fold).

    Units that differ only in their model parameters get the same seed (same initialisation
    and batches), so paired comparisons compare models, not seeds.

    Returns
    -------
    random_state : int
    """
    entropy = [int(seed)] + [
        0 if v is None else int(v) + 1 for v in (subject, session, repeat, fold)
    ]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def model_label(alpha, epsilon=None, pairing="split"):
    """Row label of a setting: ``"baseline (alpha=0)"``, ``"PRNet (alpha=1, eps=0.25)"``.

    A pairing other than the paper's ``"split"`` is part of the label.
    """
    if not alpha:
        return "baseline (alpha=0)"
    extra = "" if pairing == "split" else f", pairing={pairing}"
    if epsilon is None:
        return f"PRNet (alpha={alpha:g}{extra})"
    return f"PRNet (alpha={alpha:g}, eps={epsilon:g}{extra})"


def sweep_settings(alphas, epsilons, *, ref_alpha=1.0, ref_epsilon=None, grid=False):
    """Model settings ``(alpha, epsilon)`` of an experiment, the baseline once.

    Parameters
    ----------
    alphas, epsilons : sequence of float
    ref_alpha : float, default=1.0
        The alpha of the epsilon sweep (paper Table VIII).
    ref_epsilon : float or None
        The epsilon of the alpha sweep (Table VII); ``None`` takes ``epsilons[0]``.
    grid : bool, default=False
        ``True``: every (alpha, epsilon) pair; ``False``: the alpha sweep at ``ref_epsilon``
        plus the epsilon sweep at ``ref_alpha`` (the paper's two tables).

    Returns
    -------
    settings : list of (float, float or None)
        ``epsilon`` is ``None`` for the baseline (``alpha=0``; it ranks nothing).
    """
    alphas = [float(a) for a in alphas]
    epsilons = [float(e) for e in epsilons]
    ref_epsilon = epsilons[0] if ref_epsilon is None else float(ref_epsilon)
    if grid:
        pairs = [(a, e) for a in alphas for e in epsilons]
    else:
        pairs = [(a, ref_epsilon) for a in alphas]
        if ref_alpha:
            pairs += [(float(ref_alpha), e) for e in epsilons]
    out = []
    for a, e in pairs:
        setting = (a, None) if a == 0 else (a, e)
        if setting not in out:
            out.append(setting)
    return out


def _unit(
    experiment, dataset, setting, seed, params, subject=None, session=None, repeat=None, fold=None
):
    alpha, epsilon = setting
    return {
        "experiment": experiment,
        "dataset": dataset,
        "subject": subject,
        "session": session,
        "repeat": repeat,
        "fold": fold,
        "model": model_label(alpha, epsilon, params.get("pairing", "split")),
        "alpha": alpha,
        "epsilon": epsilon,
        "params": dict(params),
        "seed": seed,
    }


def _with_pairing(params, pairing):
    """Unit parameters with ``pairing`` recorded when it is not the paper's ``"split"``
    (so that stores written before the option existed keep their unit keys)."""
    from ..modules import PAIRINGS

    if pairing not in PAIRINGS:
        raise ExperimentError(f"pairing must be one of {PAIRINGS}, got {pairing!r}.")
    return params if pairing == "split" else {**params, "pairing": pairing}


def _settings(**settings):
    """Unit parameters: the settings that change a unit's result, plus the package version
    (defaults change between versions), so that runs of different settings never share unit
    keys nor a configuration (see :mod:`sk_prnet.experiments.config`)."""
    from .. import __version__

    return {**settings, "package_version": __version__}


def _recipe_epochs(factory, max_epochs):
    """``max_epochs``, or the recipe's own value when ``None`` (so both spell one setting)."""
    if max_epochs is not None:
        return int(max_epochs)
    return int(factory().steps[-1][1].max_epochs)


#: Data files each dataset's experiments read (globs relative to ``--data-dir``).
DATA_FILES = {
    "deap": ("s[0-9][0-9].dat", "data_preprocessed_python/s[0-9][0-9].dat"),
    "seed": ("*.mat", "ExtractedFeatures/*.mat"),
    "affectnet": ("*.csv", "Manually_Annotated_file_lists/*.csv"),
}


def _data_settings(dataset, data_dir):
    from .config import data_fingerprint

    return {"data": data_fingerprint(data_dir, DATA_FILES[dataset])}


def _wrap_data_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except (OSError, ValueError, TypeError) as err:
        raise ExperimentError(str(err)) from err


# ---------------------------------------------------------------------------------- DEAP
class DeapExperiment:
    """Paper Table IV: DEAP, subject-dependent 10-fold CV over whole trials.

    Parameters
    ----------
    data_dir : str or Path
        Folder of ``s01.dat`` ... (DEAP's preprocessed Python files).
    subjects : list of int or None
        ``None``: every subject file present.
    settings : list of (alpha, epsilon)
        Model settings (see :func:`sweep_settings`).
    seed : int, default=0
    recipe : str, default="paper"
    max_epochs : int or None
        ``None`` keeps the recipe's value (paper: 20).
    name : str, default="deap"
        Experiment name in the store (e.g. ``"sweep"`` for a sweep on DEAP).
    pairing : {"split", "all"}, default="split"
        Pairing of the PRNet models (see :class:`sk_prnet.PRNetClassifier`).
    """

    dataset = "deap"
    kind = "classification"

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

    def _params(self):
        settings = _settings(
            recipe=self.recipe,
            max_epochs=_recipe_epochs(self.factory, self.max_epochs),
            **_data_settings("deap", self.data_dir),
        )
        return _with_pairing(settings, self.pairing)

    def plan(self):
        """Check the data and options; return the planned units."""
        from ..datasets import iter_deap_subjects, list_deap_subjects

        self.factory = recipe_factory("deap", self.recipe)
        available = _wrap_data_errors(list_deap_subjects, self.data_dir)
        subjects = available if self.subjects is None else list(self.subjects)
        _wrap_data_errors(iter_deap_subjects, self.data_dir, subjects)  # checks the subjects
        params = self._params()
        return [
            _unit(self.name, self.dataset, s, self.seed, params, subject=subject, fold=fold)
            for subject in subjects
            for s in self.settings
            for fold in range(DEAP_FOLDS)
        ]

    def _subject(self, subject):
        if subject not in self._cache:
            from ..model_selection import deap_subject_dependent_cv
            from ..pipelines import load_deap_recipe

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

    def task(self, unit):
        """The arguments of :func:`sk_prnet.experiments.execute.run_unit` for ``unit``.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : dict
        """
        d = self._subject(unit["subject"])
        test = d["folds"][unit["fold"]]
        train = np.setdiff1d(np.arange(len(d["y"])), test)
        spec = dict(
            self.model_spec(),
            alpha=unit["alpha"],
            epsilon=unit["epsilon"],
            skip_features=d["pre"],
            targets=d["targets"],
            random_state=unit_seed(self.seed, unit["subject"], fold=unit["fold"]),
        )
        return spec, d["X"], d["y"], d["rank"], train, test

    def model_spec(self):
        """What :func:`sk_prnet.experiments.execute.run_unit` builds, without the data and
        with placeholders for what varies between units (alpha, epsilon, seed)."""
        return dict(kind="deap", recipe=self.recipe, alpha=1.0, epsilon=None,
                    max_epochs=self.max_epochs, pairing=self.pairing, skip_features=False,
                    targets=list(DEAP_TARGETS), random_state=0)  # fmt: skip


# ---------------------------------------------------------------------------------- SEED
class SeedExperiment:
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
        Model settings (see :func:`sweep_settings`).
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

    dataset = "seed"
    kind = "classification"

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
        params = _settings(
            recipe=self.recipe,
            max_epochs=_recipe_epochs(factory, self.max_epochs),
            feature=self.feature,
            **_data_settings("seed", self.data_dir),
        )
        for subject in subjects:
            sessions = files[subject]
            if self.sessions is not None:
                sessions = [s for s in sessions if s in self.sessions]
            for session in sessions:
                for s in self.settings:
                    units.append(
                        _unit(
                            self.name,
                            self.dataset,
                            s,
                            self.seed,
                            params,
                            subject=subject,
                            session=session,
                            fold=0,
                        )
                    )
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

    def task(self, unit):
        """The arguments of :func:`sk_prnet.experiments.execute.run_unit` for ``unit``.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : dict
        """
        d = self._subject(unit["subject"])
        rows = np.flatnonzero(d.session == unit["session"])
        train = np.flatnonzero(d.trial_index[rows] <= 9)
        test = np.flatnonzero(d.trial_index[rows] >= 10)
        spec = dict(
            self.model_spec(),
            alpha=unit["alpha"],
            targets=list(d.target_names),
            random_state=unit_seed(self.seed, unit["subject"], unit["session"]),
        )
        return spec, d.X[rows], d.y[rows], None, train, test

    def model_spec(self):
        """What :func:`sk_prnet.experiments.execute.run_unit` builds, without the data and
        with placeholders for what varies between units (alpha, seed)."""
        return dict(kind="seed", recipe=self.recipe, alpha=1.0, epsilon=None,
                    max_epochs=self.max_epochs, targets=["emotion"], random_state=0)  # fmt: skip


# ---------------------------------------------------------------------------- regression
class RegressionExperiment:
    """Repeated K-fold regression with PRNetRegressor (paper Tables VII, VIII and IX).

    The estimator is ``TransformedTargetRegressor(Pipeline([StandardScaler(),
    PRNetRegressor(...)]), transformer=StandardScaler())``; the metrics are RMSE, PCC and CCC
    in units of the standardized target (z-scored once over the whole dataset, a fixed scale
    like AffectNet's [-1, 1]).

    Parameters
    ----------
    dataset : {"diabetes"}
    settings : list of (alpha, epsilon)
    cutoffs : list of (float or None) or None
        Label-space cut-off ``c`` (Table IX): train only on samples with ``|y| <= c``,
        evaluate on all test samples; ``None`` in the list means the full training set.
        ``None`` (the argument): no cut-off experiment.
    n_splits, n_repeats : int, default=5, 2
    seed : int, default=0
        Seeds the folds and the networks.
    max_epochs : int or None
        ``None``: 50.
    lr : float, default=0.01
    name : str, default="sweep"
    pairing : {"split", "all"}, default="split"
        Pairing of the PRNet models (see :class:`sk_prnet.PRNetRegressor`).
    """

    kind = "regression"

    def __init__(
        self,
        dataset="diabetes",
        settings=((0.0, None), (1.0, 0.25)),
        cutoffs=None,
        n_splits=5,
        n_repeats=2,
        seed=0,
        max_epochs=None,
        lr=0.01,
        name="sweep",
        pairing="split",
    ):
        if dataset != "diabetes":
            raise ExperimentError(f"Unknown regression dataset {dataset!r}; use 'diabetes'.")
        self.dataset = dataset
        self.settings = list(settings)
        self.cutoffs = cutoffs
        self.n_splits = int(n_splits)
        self.n_repeats = int(n_repeats)
        self.seed = int(seed)
        self.max_epochs = max_epochs
        self.lr = float(lr)
        self.name = name
        self.pairing = pairing
        self._data = None

    def plan(self):
        """Return the planned units."""
        if self.n_splits < 2 or self.n_repeats < 1:
            raise ExperimentError("Need --n-splits >= 2 and --n-repeats >= 1.")
        for c in self.cutoffs or ():
            if c is not None and not c > 0:
                raise ExperimentError(f"Cut-offs must be positive (or 'full'), got {c}.")
        base = _settings(
            max_epochs=self._epochs(),
            lr=self.lr,
            n_splits=self.n_splits,
            n_repeats=self.n_repeats,
        )
        base = _with_pairing(base, self.pairing)
        units = []
        for cutoff in self.cutoffs if self.cutoffs is not None else [False]:
            params = dict(base) if cutoff is False else dict(base, cutoff=cutoff)
            for s in self.settings:
                for r in range(self.n_repeats):
                    for k in range(self.n_splits):
                        units.append(
                            _unit(self.name, self.dataset, s, self.seed, params, repeat=r, fold=k)
                        )
        return units

    def _epochs(self):
        return 50 if self.max_epochs is None else int(self.max_epochs)

    def _load(self):
        if self._data is None:
            from sklearn.datasets import load_diabetes
            from sklearn.model_selection import RepeatedKFold

            X, y = load_diabetes(return_X_y=True)
            y = (y - y.mean()) / y.std()
            cv = RepeatedKFold(
                n_splits=self.n_splits, n_repeats=self.n_repeats, random_state=self.seed
            )
            self._data = (X.astype(np.float32), y, [test for _, test in cv.split(X)])
        return self._data

    def task(self, unit):
        """The arguments of :func:`sk_prnet.experiments.execute.run_unit` for ``unit``.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : dict
        """
        X, y, folds = self._load()
        test = folds[unit["repeat"] * self.n_splits + unit["fold"]]
        train = np.setdiff1d(np.arange(len(y)), test)
        cutoff = unit["params"].get("cutoff")
        if cutoff is not None:
            train = train[np.abs(y[train]) <= cutoff]
        spec = dict(
            self.model_spec(),
            alpha=unit["alpha"],
            epsilon=unit["epsilon"],
            random_state=unit_seed(self.seed, repeat=unit["repeat"], fold=unit["fold"]),
        )
        return spec, X, y, None, train, test

    def model_spec(self):
        """What :func:`sk_prnet.experiments.execute.run_unit` builds, without the data and
        with placeholders for what varies between units (alpha, epsilon, seed)."""
        return dict(kind="regression", alpha=1.0, epsilon=None, lr=self.lr,
                    max_epochs=self._epochs(), pairing=self.pairing, targets=["progression"],
                    random_state=0)  # fmt: skip
