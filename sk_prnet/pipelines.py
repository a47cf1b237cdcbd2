"""Ready-made paper pipelines: EEG windows -> features -> Fisher selection -> z-score -> PRNet.

Each returns an ordinary :class:`~sklearn.pipeline.Pipeline` whose last step is named
``"prnet"``, so ``GridSearchCV`` can search ``prnet__alpha`` and ``prnet__epsilon`` and
metadata (``ranking_target``) reaches the network through scikit-learn's routing.

Two DEAP feature recipes are available (:data:`DEAP_RECIPES`):

``"paper"`` (default)
    The paper's text: 2 s windows without overlap, log10 Welch band power in theta 4-8,
    slow alpha 8-10, alpha 8-12, beta 12-30, gamma 30-45 Hz, PSD + PSA, no baseline
    correction. The pipeline starts from the EEG windows.
``"authors"``
    The first author's public script: 2 s windows every 0.25 s, Welch with one-second
    segments, power in dB (10 log10), the band power of the last 2 s of the 3 s pre-trial
    baseline subtracted per trial, band and channel, bands theta 4-7, alpha 8-13,
    beta 14-29 Hz (inclusive 1 Hz bins, i.e. [4, 8), [8, 14), [14, 30)). Its baseline
    correction needs each window's trial baseline, so its features are computed by
    :func:`load_deap_recipe` and the pipeline starts at the selector.
"""

from functools import partial

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .eeg import PAPER_BANDS, SpectralFeatures, make_deap_features
from .feature_selection import FisherFeatureSelector

__all__ = [
    "DEAP_RECIPES",
    "RECIPES",
    "deap_recipe_features",
    "load_deap_recipe",
    "make_deap_pipeline",
    "make_seed_pipeline",
]

#: The DEAP feature recipes: windowing, bands, scale and baseline handling.
DEAP_RECIPES = {
    "paper": {"window": 2.0, "step": None, "bands": dict(PAPER_BANDS), "db": False,
              "baseline_seconds": None},
    "authors": {"window": 2.0, "step": 0.25,
                "bands": {"theta": (4.0, 8.0), "alpha": (8.0, 14.0), "beta": (14.0, 30.0)},
                "db": True, "baseline_seconds": 2.0},
}  # fmt: skip


def _recipe(name):
    if name not in DEAP_RECIPES:
        raise ValueError(f"Unknown DEAP recipe {name!r}; use one of {sorted(DEAP_RECIPES)}.")
    return DEAP_RECIPES[name]


def deap_recipe_features(data, recipe="authors"):
    """Feature matrix (PSD + PSA) of a loaded DEAP :class:`~sklearn.utils.Bunch` under a recipe.

    Parameters
    ----------
    data : Bunch
        From :func:`sk_prnet.datasets.load_deap`; for a recipe with baseline correction it
        must have been loaded with ``return_baseline=True`` and the recipe's
        ``baseline_seconds`` (as :func:`load_deap_recipe` does).
    recipe : {"paper", "authors"}, default="authors"

    Returns
    -------
    features : ndarray of shape (n_windows, 46 * n_bands)
        32 channels x bands of band power, then 14 pairs x bands of asymmetry (log10, or dB
        for ``"authors"``), minus the same features of the trial's baseline when the recipe
        subtracts it.
    names : ndarray of str

    Raises
    ------
    ValueError
        For an unknown recipe, or a baseline-corrected recipe on data without baselines.
    """
    spec = _recipe(recipe)
    sf = SpectralFeatures(data.sfreq, kinds=("psd", "psa"), bands=spec["bands"],
                          ch_names=list(data.ch_names)).fit(data.X)  # fmt: skip
    scale = 10.0 if spec["db"] else 1.0
    features = sf.transform(data.X) * scale
    if spec["baseline_seconds"]:
        if "baseline" not in data:
            raise ValueError(
                f"Recipe {recipe!r} subtracts the pre-trial baseline: load the data with "
                f"load_deap(..., return_baseline=True, baseline_seconds="
                f"{spec['baseline_seconds']}) or use load_deap_recipe."
            )
        base = sf.transform(data.baseline) * scale
        row = np.searchsorted(data.baseline_trial, data.trial)
        features = features - base[row]
    return features, sf.get_feature_names_out()


def load_deap_recipe(data_dir, recipe="paper", subjects=None, **load_kwargs):
    """Load DEAP as a recipe's pipeline input (see :func:`make_deap_pipeline`).

    Parameters
    ----------
    data_dir : str or path-like
        DEAP's ``data_preprocessed_python`` folder.
    recipe : {"paper", "authors"}, default="paper"
    subjects : iterable of int or None, default=None
    **load_kwargs
        Other :func:`sk_prnet.datasets.load_deap` arguments (e.g. ``targets``).

    Returns
    -------
    data : Bunch
        The loader's Bunch with ``X`` replaced by the pipeline input: EEG windows for
        ``"paper"``, the baseline-corrected feature matrix for ``"authors"`` (then also
        ``feature_names``); ``recipe`` records the name.
    """
    from .datasets import load_deap

    spec = _recipe(recipe)
    kwargs = dict(window=spec["window"], step=spec["step"], **load_kwargs)
    if spec["baseline_seconds"]:
        kwargs.update(return_baseline=True, baseline_seconds=spec["baseline_seconds"])
    data = load_deap(data_dir, subjects=subjects, **kwargs)
    if recipe != "paper":
        data.X, data.feature_names = deap_recipe_features(data, recipe)
        data.pop("baseline", None)
    data.recipe = recipe
    return data


def _estimator(estimator, kwargs):
    if estimator is not None:
        if kwargs:
            raise ValueError(
                f"Pass either an estimator or estimator keyword arguments, not both "
                f"(got {sorted(kwargs)})."
            )
        return estimator
    from .estimators import PRNetClassifier  # torch is imported only when a net is built

    return PRNetClassifier(**kwargs)


def make_deap_pipeline(estimator=None, *, recipe="paper", k=100, sfreq=128.0, ch_names=None,
                       bands=None, nperseg=None, request_ranking_target=None,
                       request_rank_groups=None, **estimator_params):  # fmt: skip
    """The paper's DEAP pipeline (Section IV-B).

    Recipe ``"paper"``: ``SpectralFeatures`` on the raw EEG windows (log10 Welch band power
    of 32 channels x 5 bands + power spectral asymmetry of 14 pairs x 5 bands = 230 features,
    one shared spectrum) -> ``FisherFeatureSelector(k)`` -> ``StandardScaler`` ->
    ``PRNetClassifier``. Recipe ``"authors"``: the same without the features step; its input
    is the baseline-corrected feature matrix of :func:`load_deap_recipe`.

    The 1-9 ratings must reach the ``prnet`` step as ``ranking_target`` (under metadata
    routing: ``request_ranking_target=True`` and ``ranking_target=ratings`` in ``fit`` or
    ``params``); without them the pairs are ranked by the low/high classes only and
    ``epsilon`` has no effect (``PRNetClassifier`` warns when it is set).

    Parameters
    ----------
    estimator : estimator or None, default=None
        The final step; ``None`` builds ``PRNetClassifier(**estimator_params)``.
    recipe : {"paper", "authors"}, default="paper"
        See :data:`DEAP_RECIPES`.
    k : int or "all", default=100
        Features kept by the Fisher score (paper: 100).
    sfreq : float, default=128.0
    ch_names, bands, nperseg
        Passed to :func:`sk_prnet.eeg.make_deap_features` (default: DEAP channels, the
        paper's bands, one-second Welch segments).
    request_ranking_target, request_rank_groups : bool or None, default=None
        Call ``set_fit_request(ranking_target=..., rank_groups=...)`` on the final step
        (needs metadata routing enabled); ``None`` leaves that request as it is.
    **estimator_params
        Parameters of the default ``PRNetClassifier`` (e.g. ``alpha=0``, ``random_state=0``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features`` (recipe ``"paper"`` only, input ``X`` of shape
        (n_windows, 32, n_times)), ``select``, ``scale``, ``prnet``.

    Examples
    --------
    >>> pipe = make_deap_pipeline(alpha=0.0, random_state=0)
    >>> [name for name, _ in pipe.steps]
    ['features', 'select', 'scale', 'prnet']
    """
    spec = _recipe(recipe)
    net = _estimator(estimator, estimator_params)
    requests = {"ranking_target": request_ranking_target, "rank_groups": request_rank_groups}
    requests = {k: v for k, v in requests.items() if v is not None}
    if requests:
        net.set_fit_request(**requests)
    steps = [("select", FisherFeatureSelector(k=k)), ("scale", StandardScaler()), ("prnet", net)]
    if recipe == "paper":
        features = make_deap_features(sfreq, ch_names=ch_names, bands=bands or spec["bands"],
                                      nperseg=nperseg)  # fmt: skip
        steps.insert(0, ("features", features))
    return Pipeline(steps)


def make_seed_pipeline(estimator=None, *, k="all", class_order=(-1, 0, 1), **estimator_params):
    """The paper's SEED pipeline on the precomputed DE features (310 per 1 s window).

    ``FisherFeatureSelector(k)`` -> ``StandardScaler`` -> ``PRNetClassifier`` ranking pairs by
    the ordered classes negative (-1) < neutral (0) < positive (1) (paper Table III).

    Parameters
    ----------
    estimator : estimator or None, default=None
        The final step; ``None`` builds ``PRNetClassifier(class_order=class_order, ...)``.
    k : int or "all", default="all"
        Features kept by the Fisher score (the paper selects on DEAP only).
    class_order : sequence, default=(-1, 0, 1)
        SEED's class order, lowest first.
    **estimator_params
        Parameters of the default ``PRNetClassifier``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``select``, ``scale``, ``prnet``.

    Examples
    --------
    >>> make_seed_pipeline(alpha=1.0).named_steps["prnet"].class_order
    [-1, 0, 1]
    """
    if estimator is None:
        estimator_params["class_order"] = list(np.asarray(class_order).tolist())
    net = _estimator(estimator, estimator_params)
    return Pipeline(
        [("select", FisherFeatureSelector(k=k)), ("scale", StandardScaler()), ("prnet", net)]
    )


#: Pipeline factories per recipe and dataset, as the experiment runner looks them up
#: (``sk-prnet run deap --recipe authors``). The "paper" entries live in the runner.
RECIPES = {"authors": {"deap": partial(make_deap_pipeline, recipe="authors")}}
