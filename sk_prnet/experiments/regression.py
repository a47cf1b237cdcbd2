"""Repeated K-fold regression with PRNetRegressor on scikit-learn's diabetes data (paper
Tables VII, VIII and IX shapes; run by ``sk-prnet run sweep`` and ``sk-prnet run cutoff``)."""

import numpy as np

from .protocol import Experiment, ExperimentError, FitTask
from .units import (
    REGRESSION_METRICS,
    _with_pairing,
    make_unit,
    net_params,
    run_settings,
    unit_seed,
)

__all__ = ["RegressionExperiment"]


class RegressionExperiment(Experiment):
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

    name = "sweep"

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
        base = run_settings(
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
                        units.append(make_unit(self.name, self.dataset, s, self.seed, params,
                                               repeat=r, fold=k))  # fmt: skip
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

    def estimator(self, alpha=1.0, epsilon=None, random_state=0):
        """The z-scored pipeline and target around a unit's ``PRNetRegressor``.

        Parameters
        ----------
        alpha : float, default=1.0
            Weight of the ranking loss (0: the baseline).
        epsilon : float or None, default=None
            Rank tolerance (``None``: the network's default).
        random_state : int, default=0

        Returns
        -------
        estimator : sklearn.compose.TransformedTargetRegressor
        """
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        from ..estimators import PRNetRegressor

        params = net_params(alpha, epsilon, random_state, max_epochs=self._epochs(),
                            pairing=self.pairing)  # fmt: skip
        net = PRNetRegressor(lr=self.lr, **params)
        pipe = Pipeline([("scale", StandardScaler()), ("prnet", net)])
        return TransformedTargetRegressor(pipe, transformer=StandardScaler())


    def task(self, unit):
        """Fit on the other folds of the unit's repeat (below the cut-off), test on its fold.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : FitTask
        """
        X, y, folds = self._load()
        test = folds[unit["repeat"] * self.n_splits + unit["fold"]]
        train = np.setdiff1d(np.arange(len(y)), test)
        cutoff = unit["params"].get("cutoff")
        if cutoff is not None:
            train = train[np.abs(y[train]) <= cutoff]
        model = self.estimator(
            unit["alpha"], unit["epsilon"],
            unit_seed(self.seed, repeat=unit["repeat"], fold=unit["fold"]),
        )  # fmt: skip
        return FitTask(
            unit, model, X[train], y[train], X[test], y[test], targets=["progression"],
            metrics=REGRESSION_METRICS, train_index=train, test_index=test,
        )  # fmt: skip
