"""Ready-made paper pipelines: EEG windows -> features -> Fisher selection -> z-score -> PRNet.

Each returns an ordinary :class:`~sklearn.pipeline.Pipeline` whose last step is named
``"prnet"``, so ``GridSearchCV`` can search ``prnet__alpha`` and ``prnet__epsilon`` and
metadata (``ranking_target``) reaches the network through scikit-learn's routing.

The selection step keeps the 100 features with the best Fisher criterion on DEAP *and* SEED
(paper: "On both datasets ... keeping the 100 most discriminative features"), with the
criterion of Koelstra et al. 2012 that the paper cites (``criterion="deap"``, see
:class:`~sk_prnet.feature_selection.FisherFeatureSelector`).

Two DEAP feature recipes are available (:data:`DEAP_RECIPES`):

``"paper"`` (default)
    The paper's text: 2 s windows without overlap, log10 Welch band power in theta 4-8,
    slow alpha 8-10, alpha 8-12, beta 12-30, gamma 30-45 Hz, PSD + PSA, no baseline
    correction. The pipeline starts from the EEG windows.
``"authors"``
    The first author's public script (``extract_features_DEAP.py``, see
    :mod:`sk_prnet.eeg.authors`): 2 s windows every 0.25 s starting at
    ``range(0, 7680 - 256, 32)`` (232 a trial), Welch with one-second segments, each 1 Hz bin
    in dB then averaged over the band's bins, five bands (inclusive bins theta 4-7, slow
    alpha 8-10, alpha 8-13, beta 14-29, gamma 30-45), band power and left - right asymmetry;
    optionally the script's differential entropy (FIR band-pass over the whole recording) and
    its asymmetry. The same features of the last 2 s of each trial's pre-trial segment are
    subtracted per trial. Its features are computed by :func:`load_deap_recipe` and the
    pipeline starts at the selector.
"""

from functools import partial

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch

from .eeg import PAPER_BANDS, make_deap_features
from .eeg.authors import AUTHORS_KINDS, authors_features
from .eeg.montage import AUTHORS_BANDS, AUTHORS_DE_BANDS
from .feature_selection import FisherFeatureSelector

__all__ = [
    "DEAP_RECIPES",
    "RECIPES",
    "deap_recipe_features",
    "load_deap_recipe",
    "make_deap_pipeline",
    "make_seed_pipeline",
]

#: The DEAP feature recipes. ``window``/``step`` (seconds), ``bands`` (Hz, ``[lo, hi)``) and,
#: for ``"authors"``, ``de_bands`` (FIR pass bands), ``baseline_seconds``,
#: ``subtract_baseline`` and the default ``features`` are read when a pipeline or data set is
#: built: a new entry such as ``DEAP_RECIPES["authors_3s"] = {**DEAP_RECIPES["authors"],
#: "baseline_seconds": 3.0}`` is a new recipe for :func:`load_deap_recipe` and
#: :func:`make_deap_pipeline` (every recipe but ``"paper"`` is computed as ``"authors"``; the
#: runner knows ``"paper"`` and ``"authors"``). Fixed by the implementation:
#: ``"paper"`` takes log10 of the mean band power over non-overlapping windows
#: (:func:`~sk_prnet.eeg.make_deap_features`); ``"authors"`` averages 10 log10 of each bin and
#: starts windows at the script's ``range(0, n_trial - n_window, n_step)``
#: (:func:`~sk_prnet.eeg.authors_features`).
#: Epochs the paper trains on DEAP and SEED: what the pipelines' ``PRNetClassifier`` trains
#: unless ``max_epochs`` is passed (the estimator's own default is ``"auto"``).
PAPER_MAX_EPOCHS = 20

DEAP_RECIPES = {
    "paper": {"window": 2.0, "step": None, "bands": dict(PAPER_BANDS),
              "baseline_seconds": None},
    "authors": {"window": 2.0, "step": 0.25, "bands": dict(AUTHORS_BANDS),
                "de_bands": dict(AUTHORS_DE_BANDS), "baseline_seconds": 2.0,
                "subtract_baseline": True, "features": ("psd", "asym")},
}  # fmt: skip


def _recipe(name):
    if name not in DEAP_RECIPES:
        raise ValueError(f"Unknown DEAP recipe {name!r}; use one of {sorted(DEAP_RECIPES)}.")
    return DEAP_RECIPES[name]


def _check_features(features, spec):
    features = spec["features"] if features is None else features
    features = (features,) if isinstance(features, str) else tuple(features)
    if (
        not features
        or any(f not in AUTHORS_KINDS for f in features)
        or len(set(features)) != len(features)
    ):
        raise ValueError(
            f"features must be a non-empty sequence of distinct values among {AUTHORS_KINDS} "
            f"for the 'authors' recipe, got {features!r}; e.g. features=('psd', 'asym', 'de', "
            "'de_asym') adds the script's differential entropy."
        )
    return features


def deap_recipe_features(data, recipe="authors", features=None):
    """Feature matrix of DEAP *whole recordings* under the ``"authors"`` recipe.

    Parameters
    ----------
    data : Bunch
        From :func:`sk_prnet.datasets.load_deap` with ``window=None, baseline="keep"`` (one
        row of ``X`` per trial: the 3 s pre-trial followed by the trial), e.g. as
        :func:`load_deap_recipe` reads it; ``dtype=np.float64`` reproduces the script's
        precision.
    recipe : {"authors"}, default="authors"
        The recipe (the ``"paper"`` recipe's features are a pipeline step instead).
    features : sequence of {"psd", "asym", "de", "de_asym"} or None, default=None
        Feature kinds; ``None`` means the recipe's (``("psd", "asym")``).

    Returns
    -------
    features : ndarray of shape (n_trials * n_windows, n_features)
        Trial-major: the ``n_windows`` windows of trial 0, then of trial 1, ...; the trial's
        baseline features subtracted when the recipe says so (``"authors"``: yes). With
        the defaults 46 x 5 = 230 features.
    names : ndarray of str
        Feature names (``psd_<ch>_<band>``, ``asym_<left>-<right>_<band>``, ``de_...``).

    Raises
    ------
    ValueError
        For the ``"paper"`` or an unknown recipe, unknown features, or data that are not
        whole recordings.
    """
    spec = _recipe(recipe)
    if recipe == "paper":
        raise ValueError(
            "The 'paper' recipe computes its features in the pipeline (make_deap_pipeline's "
            "'features' step); deap_recipe_features is for the 'authors' recipe."
        )
    features = _check_features(features, spec)
    if data.get("window") is not None or data.get("baseline_mode") != "keep":
        raise ValueError(
            "deap_recipe_features needs whole recordings: load them with "
            "load_deap(..., window=None, baseline='keep') or use load_deap_recipe."
        )
    from .datasets.deap import DEAP_PRETRIAL_SAMPLES

    F, base, names = authors_features(
        data.X, data.sfreq, DEAP_PRETRIAL_SAMPLES, kinds=features, window=spec["window"],
        step=spec["step"], baseline_seconds=spec["baseline_seconds"], bands=spec["bands"],
        de_bands=spec["de_bands"], ch_names=list(data.ch_names),
    )  # fmt: skip
    if spec["subtract_baseline"]:
        F = F - base[:, np.newaxis, :]  # each trial its own baseline
    return F.reshape(-1, F.shape[-1]), names


def load_deap_recipe(data_dir, recipe="paper", subjects=None, features=None, **load_kwargs):
    """Load DEAP as a recipe's pipeline input (see :func:`make_deap_pipeline`).

    Parameters
    ----------
    data_dir : str or path-like
        DEAP's ``data_preprocessed_python`` folder.
    recipe : {"paper", "authors"}, default="paper"
    subjects : iterable of int or None, default=None
    features : sequence of {"psd", "asym", "de", "de_asym"} or None, default=None
        ``"authors"`` only: the feature kinds (``None``: ``("psd", "asym")``).
    **load_kwargs
        Other :func:`sk_prnet.datasets.load_deap` arguments (e.g. ``targets``). The
        ``"authors"`` recipe reads float64 (the script's precision) unless ``dtype`` is given.

    Returns
    -------
    data : Bunch
        ``"paper"``: the loader's Bunch of EEG windows. ``"authors"``: the same fields
        (``X``, ``ratings``, ``y``, ``subject``, ``trial``, ``trial_index``, ...) with one row
        per script window and ``X`` the baseline-corrected feature matrix, plus
        ``feature_names``. ``recipe`` records the name.

    Raises
    ------
    ValueError
        For an unknown recipe or features, or ``features`` with the ``"paper"`` recipe.
    """
    from .datasets import iter_deap_subjects, load_deap

    spec = _recipe(recipe)
    if recipe == "paper":
        if features is not None:
            raise ValueError(
                "features= applies to the 'authors' recipe; the 'paper' recipe's features are "
                "the pipeline's 'features' step (PSD + PSA)."
            )
        data = load_deap(data_dir, subjects=subjects, window=spec["window"], step=spec["step"],
                         **load_kwargs)  # fmt: skip
        data.recipe = recipe
        return data
    features = _check_features(features, spec)
    fixed = sorted(set(load_kwargs) & {"window", "step", "baseline", "return_baseline"})
    if fixed:
        raise ValueError(
            f"The 'authors' recipe sets {fixed} itself (it reads whole recordings and cuts the "
            "script's windows); change DEAP_RECIPES['authors'] or use authors_features instead."
        )
    load_kwargs.setdefault("dtype", np.float64)
    parts, names, last, filenames = [], None, None, []
    # One subject at a time: whole recordings of a subject are ~80 MB in float64.
    for rec in iter_deap_subjects(data_dir, subjects=subjects, window=None, baseline="keep",
                                  **load_kwargs):  # fmt: skip
        X, names = deap_recipe_features(rec, recipe, features)
        per_trial = len(X) // len(rec.X)
        part = {k: np.repeat(rec[k], per_trial, axis=0)
                for k in ("ratings", "y", "subject", "trial", "trial_index")}  # fmt: skip
        part["X"] = X
        parts.append(part)
        last = rec
        filenames += rec.filenames
    data = Bunch(**{k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    for k in ("sfreq", "ch_names", "target_names", "threshold", "DESCR"):
        data[k] = last[k]
    data.update(
        feature_names=names, recipe=recipe, features=features, window=spec["window"],
        step=spec["step"], baseline_seconds=spec["baseline_seconds"], filenames=filenames,
    )  # fmt: skip
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

    # the paper's pipelines train the paper's 20 epochs unless told otherwise (the
    # estimator's own default is max_epochs="auto")
    return PRNetClassifier(**{"max_epochs": PAPER_MAX_EPOCHS, **kwargs})


def make_deap_pipeline(estimator=None, *, recipe="paper", k=100, criterion="deap", sfreq=128.0,
                       ch_names=None, bands=None, nperseg=None, request_ranking_target=None,
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
        Features kept by the Fisher criterion (paper: 100).
    criterion : {"deap", "fisher"}, default="deap"
        The selection criterion (see
        :class:`~sk_prnet.feature_selection.FisherFeatureSelector`): ``"deap"`` is the one of
        Koelstra et al. 2012 that the paper follows; ``"fisher"`` the class-size-weighted
        Fisher score.
    sfreq : float, default=128.0
    ch_names, bands, nperseg
        Passed to :func:`sk_prnet.eeg.make_deap_features` (default: DEAP channels, the
        paper's bands, one-second Welch segments).
    request_ranking_target, request_rank_groups : bool or None, default=None
        Call ``set_fit_request(ranking_target=..., rank_groups=...)`` on the final step
        (needs metadata routing enabled); ``None`` leaves that request as it is.
    **estimator_params
        Parameters of the default ``PRNetClassifier`` (e.g. ``alpha=0``, ``random_state=0``);
        ``max_epochs`` defaults to the paper's 20 here (``"auto"`` for small data sets).

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
    steps = [
        ("select", FisherFeatureSelector(k=k, criterion=criterion)),
        ("scale", StandardScaler()),
        ("prnet", net),
    ]
    if recipe == "paper":
        features = make_deap_features(sfreq, ch_names=ch_names, bands=bands or spec["bands"],
                                      nperseg=nperseg)  # fmt: skip
        steps.insert(0, ("features", features))
    return Pipeline(steps)


def make_seed_pipeline(estimator=None, *, k=100, criterion="deap", class_order=(-1, 0, 1),
                       **estimator_params):  # fmt: skip
    """The paper's SEED pipeline on the precomputed DE features (310 per 1 s window).

    ``FisherFeatureSelector(k, criterion)`` -> ``StandardScaler`` -> ``PRNetClassifier``
    ranking pairs by the ordered classes negative (-1) < neutral (0) < positive (1) (paper
    Table III). The paper selects the 100 most discriminative features "on both datasets".

    Parameters
    ----------
    estimator : estimator or None, default=None
        The final step; ``None`` builds ``PRNetClassifier(class_order=class_order, ...)``.
    k : int or "all", default=100
        Features kept by the Fisher criterion (paper: 100 of the 310); ``"all"`` skips the
        selection.
    criterion : {"deap", "fisher"}, default="deap"
        The selection criterion. SEED has three classes: ``"deap"`` is then the mean of
        Koelstra et al.'s two-class criterion ``|mu_a - mu_b| / (sigma_a**2 + sigma_b**2)``
        over the three class pairs (see
        :func:`~sk_prnet.feature_selection.deap_fisher_criterion`); ``"fisher"`` is the
        class-size-weighted multi-class Fisher score.
    class_order : sequence, default=(-1, 0, 1)
        SEED's class order, lowest first.
    **estimator_params
        Parameters of the default ``PRNetClassifier``; ``max_epochs`` defaults to the
        paper's 20 here (``"auto"`` for small data sets).

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
        [
            ("select", FisherFeatureSelector(k=k, criterion=criterion)),
            ("scale", StandardScaler()),
            ("prnet", net),
        ]
    )


#: The one recipe table: pipeline factory per recipe and dataset, as the experiments look
#: them up (``sk-prnet run deap --recipe authors``). A new entry (``RECIPES["mine"] =
#: {"deap": my_factory}``) is a new ``--recipe``; a factory takes the network's keyword
#: arguments (``alpha``, ``random_state``, ``max_epochs``...).
RECIPES = {
    "paper": {"deap": make_deap_pipeline, "seed": make_seed_pipeline},
    "authors": {"deap": partial(make_deap_pipeline, recipe="authors")},
}
