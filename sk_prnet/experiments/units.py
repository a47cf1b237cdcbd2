"""What a unit is, and the helpers experiments share to plan and build them.

A unit is one fit + evaluate: one fold of one subject (DEAP), one session of one subject
(SEED) or one fold of one repeat (repeated K-fold on a regression set) for one parameter
setting. Its identity (:func:`make_unit`) is its key in the results store. The experiments
themselves are in their own modules (:mod:`.deap`, :mod:`.seed`, :mod:`.regression`,
:mod:`.sweep`, :mod:`.cutoff`, :mod:`.affectnet`; the protocol in :mod:`.protocol`).
"""

import numpy as np

from .protocol import ExperimentError

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "data_settings",
    "make_unit",
    "model_label",
    "net_params",
    "recipe_factory",
    "run_settings",
    "sweep_settings",
    "unit_seed",
]

#: Metrics of a classification unit and of a regression unit (per target).
CLASSIFICATION_METRICS = ("accuracy", "f1")
REGRESSION_METRICS = ("rmse", "pcc", "ccc")


def recipe_factory(dataset, recipe="paper"):
    """The pipeline factory of ``recipe`` for ``dataset`` (:data:`sk_prnet.pipelines.RECIPES`).

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
    from ..pipelines import RECIPES

    if recipe not in RECIPES:
        raise ExperimentError(
            f"Unknown recipe {recipe!r}; available recipes: {', '.join(sorted(RECIPES))}."
        )
    factory = RECIPES[recipe].get(dataset)
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


def make_unit(
    experiment, dataset, setting, seed, params, subject=None, session=None, repeat=None, fold=None
):
    """A unit's identity: its place, its model setting and the run's settings.

    Parameters
    ----------
    experiment, dataset : str
    setting : (float or None, float or None)
        ``(alpha, epsilon)`` (see :func:`sweep_settings`).
    seed : int
        The experiment's seed.
    params : dict
        The settings that change the unit's result (see :func:`run_settings`).
    subject, session, repeat, fold : int or None

    Returns
    -------
    unit : dict
        Its JSON text is the unit's key in the store: keep the keys and their order.
    """
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


def run_settings(**settings):
    """Unit parameters: the settings that change a unit's result, plus the package version
    (defaults change between versions), so that runs of different settings never share unit
    keys nor a configuration (see :mod:`sk_prnet.experiments.config`).

    Returns
    -------
    params : dict
    """
    from .. import __version__

    return {**settings, "package_version": __version__}


def _recipe_epochs(factory, max_epochs):
    """``max_epochs``, or the recipe's own value when ``None`` (so both spell one setting)."""
    if max_epochs is not None:
        return int(max_epochs)
    from ..pipelines import PAPER_MAX_EPOCHS

    epochs = factory().steps[-1][1].max_epochs
    return PAPER_MAX_EPOCHS if isinstance(epochs, str) else int(epochs)


def data_settings(data_dir, patterns):
    """Unit parameters recording the content of the data an experiment reads.

    Parameters
    ----------
    data_dir : str or Path
    patterns : sequence of str
        Globs, relative to ``data_dir``, of the files the experiment reads.

    Returns
    -------
    params : dict
        ``{"data": fingerprint}`` (see :func:`sk_prnet.experiments.config.data_fingerprint`).
    """
    from .config import data_fingerprint

    return {"data": data_fingerprint(data_dir, patterns)}


def net_params(alpha, epsilon, random_state, *, max_epochs=None, pairing="split"):
    """Keyword arguments of a unit's PRNet: what varies between units, and the run's options.

    ``epsilon`` and ``pairing`` are passed only to a ranking model (``alpha > 0``) and only
    when set, so the estimator's own defaults apply otherwise.

    Returns
    -------
    params : dict
    """
    params = {"alpha": alpha, "random_state": random_state, "device": "cpu"}
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    if alpha and epsilon is not None:
        params["epsilon"] = epsilon
    if alpha and pairing != "split":
        params["pairing"] = pairing
    return params


def _wrap_data_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except (OSError, ValueError, TypeError) as err:
        raise ExperimentError(str(err)) from err
