"""Agreement metrics for continuous affect: CCC, Pearson r, Kendall tau, and their scorers.

All follow scikit-learn's regression-metric conventions: ``y_true``/``y_pred`` of shape
(n_samples,) or (n_samples, n_outputs), and ``multioutput="uniform_average"`` (mean over
outputs) or ``"raw_values"`` (one value per output).

Constant inputs: a correlation with a constant vector is undefined. These functions return
``0.0`` for it (no linear/rank association can be claimed) and emit a
``ConstantInputWarning`` naming the output, rather than propagating NaN into a grid search.
CCC is defined even then (its denominator is positive unless both vectors are the same
constant, where it is 1.0).
"""

import warnings
from functools import partial

import numpy as np
from scipy import stats
from sklearn.metrics import make_scorer
from sklearn.utils.validation import check_array, check_consistent_length

__all__ = [
    "ConstantInputWarning",
    "concordance_correlation_coefficient",
    "pearson_r",
    "kendall_tau",
    "ccc_scorer",
    "pearson_scorer",
    "kendall_tau_scorer",
    "target_scorer",
]


class ConstantInputWarning(UserWarning):
    """A correlation was asked of a constant vector; 0.0 was returned for it."""


def _check_targets(y_true, y_pred, multioutput):
    y_true = check_array(y_true, ensure_2d=False, dtype=np.float64, input_name="y_true")
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    check_consistent_length(y_true, y_pred)
    y_true = y_true.reshape(len(y_true), -1)
    y_pred = y_pred.reshape(len(y_pred), -1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different numbers of outputs: {y_true.shape[1]} and "
            f"{y_pred.shape[1]}."
        )
    if len(y_true) < 2:
        raise ValueError("At least 2 samples are needed to compute an agreement metric.")
    if multioutput not in ("raw_values", "uniform_average"):
        raise ValueError(
            f"multioutput must be 'raw_values' or 'uniform_average', got {multioutput!r}."
        )
    return y_true, y_pred


def _aggregate(values, multioutput):
    values = np.asarray(values, dtype=np.float64)
    return values if multioutput == "raw_values" else float(values.mean())


def _constant(name, k):
    warnings.warn(
        f"{name}: output {k} of y_true or y_pred is constant, so the correlation is undefined; "
        "returning 0.0 for it.",
        ConstantInputWarning,
        stacklevel=4,
    )
    return 0.0


def _correlation(test, name, y_true, y_pred, multioutput):
    """Apply a scipy correlation per output; 0.0 with a warning for a constant output."""
    t, p = _check_targets(y_true, y_pred, multioutput)
    out = []
    for k in range(t.shape[1]):
        if np.ptp(t[:, k]) == 0 or np.ptp(p[:, k]) == 0:
            out.append(_constant(name, k))
        else:
            out.append(test(t[:, k], p[:, k]).statistic)
    return _aggregate(out, multioutput)


def concordance_correlation_coefficient(y_true, y_pred, multioutput="uniform_average"):
    """Lin's concordance correlation coefficient (CCC).

    ``CCC = 2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))**2)`` with population
    (ddof=0) moments: 1 for perfect agreement, penalizing both low correlation and bias.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"

    Returns
    -------
    ccc : float or ndarray of shape (n_outputs,)

    Raises
    ------
    ValueError
        For mismatched shapes, fewer than 2 samples, or NaN/inf.

    Examples
    --------
    >>> concordance_correlation_coefficient([1, 2, 3], [1, 2, 3])
    1.0
    >>> round(concordance_correlation_coefficient([1, 2, 3], [2, 3, 4]), 3)
    0.571
    """
    t, p = _check_targets(y_true, y_pred, multioutput)
    mt, mp = t.mean(0), p.mean(0)
    cov = ((t - mt) * (p - mp)).mean(0)
    denom = t.var(0) + p.var(0) + (mt - mp) ** 2
    ccc = np.where(denom > 0, 2 * cov / np.where(denom > 0, denom, 1.0), 1.0)
    return _aggregate(ccc, multioutput)


def pearson_r(y_true, y_pred, multioutput="uniform_average"):
    """Pearson correlation coefficient (PCC) per output.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"

    Returns
    -------
    r : float or ndarray of shape (n_outputs,)
        0.0 (with a :class:`ConstantInputWarning`) for a constant output.

    Examples
    --------
    >>> round(pearson_r([1, 2, 3, 4], [2, 4, 5, 9]), 4)
    0.9648
    """
    return _correlation(stats.pearsonr, "pearson_r", y_true, y_pred, multioutput)


def kendall_tau(y_true, y_pred, multioutput="uniform_average"):
    """Kendall's tau-b rank correlation per output (how well ``y_pred`` orders samples).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"

    Returns
    -------
    tau : float or ndarray of shape (n_outputs,)
        0.0 (with a :class:`ConstantInputWarning`) for a constant output.

    Examples
    --------
    >>> round(kendall_tau([1, 2, 3, 4], [10, 20, 40, 30]), 4)
    0.6667
    """
    return _correlation(stats.kendalltau, "kendall_tau", y_true, y_pred, multioutput)


#: Scorers for ``GridSearchCV(scoring=...)`` / ``cross_val_score`` (greater is better).
ccc_scorer = make_scorer(concordance_correlation_coefficient)
pearson_scorer = make_scorer(pearson_r)
kendall_tau_scorer = make_scorer(kendall_tau)


def _on_column(metric, y_true, y_pred, column, **kwargs):
    return metric(np.asarray(y_true)[:, column], np.asarray(y_pred)[:, column], **kwargs)


def target_scorer(metric, column, greater_is_better=True, **kwargs):
    """A scorer of one output column of a multi-output estimator.

    Useful for 2-D targets (e.g. DEAP's arousal and valence), where scikit-learn's
    classification scorers refuse 2-D ``y``.

    Parameters
    ----------
    metric : callable
        ``metric(y_true_column, y_pred_column, **kwargs)``, e.g. ``sklearn.metrics.f1_score``.
    column : int
        The output (column of ``y``) to score.
    greater_is_better : bool, default=True
    **kwargs
        Passed to ``metric`` (e.g. ``average="macro"``).

    Returns
    -------
    scorer : callable
        A scikit-learn scorer (picklable, for parallel cross-validation).

    Examples
    --------
    >>> from sklearn.metrics import f1_score
    >>> scoring = {"valence_f1": target_scorer(f1_score, 1, average="macro")}
    """
    return make_scorer(
        partial(_on_column, metric, column=int(column), **kwargs),
        greater_is_better=greater_is_better,
    )
