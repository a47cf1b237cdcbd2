"""Ready-made paper pipelines: EEG windows -> features -> Fisher selection -> z-score -> PRNet.

Each returns an ordinary :class:`~sklearn.pipeline.Pipeline` whose last step is named
``"prnet"``, so ``GridSearchCV`` can search ``prnet__alpha`` and ``prnet__epsilon`` and
metadata (``ranking_target``) reaches the network through scikit-learn's routing.
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .eeg import make_deap_features
from .feature_selection import FisherFeatureSelector

__all__ = ["make_deap_pipeline", "make_seed_pipeline"]


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


def make_deap_pipeline(estimator=None, *, k=100, sfreq=128.0, ch_names=None, bands=None,
                       nperseg=None, request_ranking_target=None, **estimator_params):  # fmt: skip
    """The paper's DEAP pipeline on raw EEG windows (Section IV-B).

    ``SpectralFeatures`` (log10 Welch band power of 32 channels x 5 bands + power spectral
    asymmetry of 14 pairs x 5 bands = 230 features, one shared spectrum) ->
    ``FisherFeatureSelector(k)`` -> ``StandardScaler`` -> ``PRNetClassifier``.

    Parameters
    ----------
    estimator : estimator or None, default=None
        The final step; ``None`` builds ``PRNetClassifier(**estimator_params)``.
    k : int or "all", default=100
        Features kept by the Fisher score (paper: 100).
    sfreq : float, default=128.0
    ch_names, bands, nperseg
        Passed to :func:`sk_prnet.eeg.make_deap_features` (default: DEAP channels, the
        paper's bands, one-second Welch segments).
    request_ranking_target : bool or None, default=None
        Call ``set_fit_request(ranking_target=...)`` on the final step (needs metadata
        routing enabled); ``None`` leaves the requests as they are.
    **estimator_params
        Parameters of the default ``PRNetClassifier`` (e.g. ``alpha=0``, ``random_state=0``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features``, ``select``, ``scale``, ``prnet``; input ``X`` of shape
        (n_windows, 32, n_times).

    Examples
    --------
    >>> pipe = make_deap_pipeline(alpha=0.0, random_state=0)
    >>> [name for name, _ in pipe.steps]
    ['features', 'select', 'scale', 'prnet']
    """
    net = _estimator(estimator, estimator_params)
    if request_ranking_target is not None:
        net.set_fit_request(ranking_target=request_ranking_target)
    return Pipeline(
        [
            ("features", make_deap_features(sfreq, ch_names=ch_names, bands=bands,
                                            nperseg=nperseg)),  # fmt: skip
            ("select", FisherFeatureSelector(k=k)),
            ("scale", StandardScaler()),
            ("prnet", net),
        ]
    )


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
