"""Fisher-criterion feature selection (the "keep the 100 most discriminative features" step).

The PRNet EEG pipeline (Zoumpourlis & Patras, ACII 2021, Sec. IV) ranks the features "with
Fisher's linear discriminant, similarly to [10]" (Koelstra et al. 2012, the DEAP paper, Sec.
6.1) and keeps the 100 best before standardisation, on DEAP and on SEED. This module provides
that step as a scikit-learn selector, so that it is re-fitted on the training folds only.

Two criteria are available (``criterion=``):

``"deap"``
    Koelstra et al.'s ``J(f) = |mu_1 - mu_2| / (sigma_1**2 + sigma_2**2)`` for two classes; for
    more classes (SEED's negative/neutral/positive) the mean of ``J`` over all class pairs.
``"fisher"``
    The class-size-weighted Fisher score ``sum_c n_c (mu_c - mu)**2 / sum_c n_c sigma_c**2``.

Both use population variances (``ddof=0``). They rank features differently when the classes
are imbalanced (most DEAP subjects): ``"fisher"`` weights each class's variance by its size,
``"deap"`` weights the two classes equally.
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["FisherFeatureSelector", "fisher_score", "deap_fisher_criterion"]

_CLASS_TARGETS = ("binary", "multiclass", "multiclass-multioutput", "multilabel-indicator")
#: Selection criteria of :class:`FisherFeatureSelector`.
CRITERIA = ("deap", "fisher")


def _class_stats(X, y):
    """Per-class sizes, means and population variances of the columns of float64 ``X``."""
    classes, y_idx = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"The Fisher criterion needs at least 2 classes in y, got only {classes.tolist()!r}. "
            "Check that the training fold contains both low and high ratings."
        )
    sizes, means, variances = [], [], []
    for c in range(classes.shape[0]):
        Xc = X[y_idx == c]
        sizes.append(Xc.shape[0])
        means.append(Xc.mean(axis=0))
        # Population (ddof=0) variance, forced to an exact 0 for columns that are constant within
        # the class so that rounding noise (~1e-33) can never turn into a huge spurious score.
        variances.append(np.where(np.ptp(Xc, axis=0) == 0, 0.0, Xc.var(axis=0)))
    return np.array(sizes), np.array(means), np.array(variances)


def _ratio(num, den):
    """``num / den`` with 0 where both are 0 and +inf where only ``den`` is 0."""
    scores = np.zeros(num.shape)
    positive = den > 0
    scores[positive] = num[positive] / den[positive]
    scores[~positive & (num > 0)] = np.inf
    return scores


def _deap_score_1d(X, y):
    """Mean over class pairs of Koelstra et al.'s ``|mu_a - mu_b| / (var_a + var_b)``."""
    _, means, variances = _class_stats(X, y)
    constant = np.ptp(X, axis=0) == 0  # class means may differ by rounding only: score 0
    per_pair = []
    for a in range(len(means)):
        for b in range(a + 1, len(means)):
            num = np.abs(means[a] - means[b])
            num[constant] = 0.0
            per_pair.append(_ratio(num, variances[a] + variances[b]))
    return np.mean(per_pair, axis=0)


def _fisher_score_1d(X, y):
    """Fisher score of every column of float64 ``X`` for one vector of class labels ``y``."""
    sizes, means, variances = _class_stats(X, y)
    mean = X.mean(axis=0)
    between = (sizes[:, None] * (means - mean) ** 2).sum(axis=0)
    within = (sizes[:, None] * variances).sum(axis=0)
    between[np.ptp(X, axis=0) == 0] = 0.0
    # Zero within-class scatter: perfectly separating (+inf) unless the column is constant (0).
    return _ratio(between, within)


def fisher_score(X, y):
    """Fisher score of each feature for class labels ``y``.

    ``F_j = sum_c n_c (mu_cj - mu_j)**2 / sum_c n_c sigma_cj**2`` where ``n_c`` is the size of
    class ``c``, ``mu_cj`` and ``sigma_cj**2`` the mean and *population* (``ddof=0``) variance of
    feature ``j`` within class ``c`` and ``mu_j`` its overall mean.

    Degenerate features never give NaN: a feature that is constant over all samples scores
    ``0``; a feature that is constant within every class but differs between classes (zero
    within-class scatter, non-zero between-class scatter) scores ``+inf``, i.e. it is ranked as
    perfectly discriminative.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite feature matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Class labels. With several outputs (e.g. arousal and valence columns) the score is the
        mean of the per-output scores.

    Returns
    -------
    scores : ndarray of shape (n_features,)
        Non-negative scores, possibly ``+inf``; larger means more discriminative.

    Raises
    ------
    ValueError
        If ``y`` is continuous (threshold the ratings into classes first), if any output has
        a single class, or if ``X`` and ``y`` do not have the same number of samples.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 5.0], [10.0, 1.0], [11.0, 3.0]])
    >>> fisher_score(X, [0, 0, 1, 1]).round(3).tolist()
    [100.0, 0.1]
    """
    return _per_output(_fisher_score_1d, X, y)


def deap_fisher_criterion(X, y):
    """Koelstra et al.'s (2012, Sec. 6.1) Fisher criterion of each feature.

    For two classes ``J_j = |mu_1j - mu_2j| / (sigma_1j**2 + sigma_2j**2)`` with ``mu_cj`` and
    ``sigma_cj**2`` the mean and *population* (``ddof=0``) variance of feature ``j`` within
    class ``c``. Unlike :func:`fisher_score` the two classes weigh the same whatever their
    sizes. With more than two classes (e.g. SEED's negative, neutral, positive) the score is
    the mean of ``J`` over all pairs of classes (three pairs for three classes).

    Degenerate features never give NaN: a constant feature scores ``0``; a feature whose two
    classes are each constant but differ scores ``+inf`` (for more classes, any such pair
    makes the mean ``+inf``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite feature matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Class labels. With several outputs the score is the mean of the per-output scores.

    Returns
    -------
    scores : ndarray of shape (n_features,)
        Non-negative scores, possibly ``+inf``; larger means more discriminative.

    Raises
    ------
    ValueError
        As :func:`fisher_score`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 5.0], [10.0, 1.0], [11.0, 3.0]])
    >>> deap_fisher_criterion(X, [0, 0, 1, 1]).round(3).tolist()    # 10 / 0.5, 1 / 5
    [20.0, 0.2]
    """
    return _per_output(_deap_score_1d, X, y)


def _per_output(score_1d, X, y):
    """Validate ``X``/``y`` and average ``score_1d`` over the columns of ``y``."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    target_type = type_of_target(y, input_name="y", raise_unknown=True)
    if target_type not in _CLASS_TARGETS:
        raise ValueError(
            f"The Fisher score needs class labels, but y looks {target_type!r}. Pass discrete "
            "labels, e.g. threshold the ratings first: y = (ratings > 5).astype(int)."
        )
    if y.ndim == 1 or y.shape[1] == 1:
        return score_1d(X, y.reshape(-1))
    per_output = []
    for j in range(y.shape[1]):
        try:
            per_output.append(score_1d(X, y[:, j]))
        except ValueError as err:
            raise ValueError(f"Output column {j} of y: {err}") from err
    return np.mean(per_output, axis=0)


class FisherFeatureSelector(SelectorMixin, BaseEstimator):
    """Keep the ``k`` features with the highest Fisher criterion.

    The criterion compares the separation of the class means of a feature with its spread
    within the classes (:func:`deap_fisher_criterion` or :func:`fisher_score`). It is computed
    on the data given to :meth:`fit` only, so inside a :class:`~sklearn.pipeline.Pipeline` the
    selection is learned on each training fold.

    Parameters
    ----------
    k : int or "all", default=100
        Number of features to keep (``>= 1``); ``"all"`` keeps every feature (only the scores
        are computed). If ``k`` exceeds the number of features, a :class:`UserWarning` is
        issued and all features are kept. This matches :class:`~sklearn.feature_selection.
        SelectKBest` and keeps a grid search over ``k`` (or a pipeline applied to a reduced
        feature set) running instead of failing on some candidates.
    criterion : {"deap", "fisher"}, default="deap"
        ``"deap"``: the criterion of Koelstra et al. 2012 (Sec. 6.1), which the paper follows
        ("similarly to [10]"): ``|mu_1 - mu_2| / (sigma_1**2 + sigma_2**2)``, averaged over
        class pairs when there are more than two classes (see
        :func:`deap_fisher_criterion`). ``"fisher"``: the class-size-weighted Fisher score
        ``sum_c n_c (mu_c - mu)**2 / sum_c n_c sigma_c**2`` (see :func:`fisher_score`; the
        package's earlier default). Variances are population variances
        (``ddof=0``) in both.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        The criterion of each feature (mean over outputs for 2-D ``y``). Never NaN; ``0`` for
        constant features, ``+inf`` for features with zero within-class scatter that still
        separate the classes.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in,)
        Names of features seen during :meth:`fit`; only defined when ``X`` has string column
        names (e.g. a :class:`pandas.DataFrame`).

    See Also
    --------
    deap_fisher_criterion : The ``"deap"`` criterion.
    fisher_score : The ``"fisher"`` criterion.
    sklearn.feature_selection.SelectKBest : Generic univariate selector.

    Notes
    -----
    Ties are broken deterministically in favour of the *lowest* column index (stable sort on
    descending scores). This differs from ``SelectKBest``, which keeps the highest index.

    ``y`` must hold class labels: binary, multiclass (e.g. SEED's -1/0/1) or several such
    columns (e.g. DEAP's low/high arousal and valence), in which case the per-output scores are
    averaged. Continuous ratings are rejected; threshold them first.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0, 3.0], [1.0, 5.0, 2.0], [10.0, 1.0, 1.0], [11.0, 3.0, 0.0]])
    >>> selector = FisherFeatureSelector(k=2).fit(X, [0, 0, 1, 1])
    >>> selector.get_support().tolist()
    [True, False, True]
    >>> selector.transform(X).shape
    (4, 2)
    """

    _parameter_constraints: dict = {
        "k": [StrOptions({"all"}), Interval(Integral, 1, None, closed="left")],
        "criterion": [StrOptions(set(CRITERIA))],
    }

    def __init__(self, k=100, criterion="deap"):
        self.k = k
        self.criterion = criterion

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Compute the Fisher score of every feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features; NaN and infinite values are rejected.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (one or several columns).

        Returns
        -------
        self : FisherFeatureSelector
            The fitted selector.

        Raises
        ------
        ValueError
            If ``X`` has NaN/inf, if ``y`` is continuous or has a single class (in any
            output), or if ``X`` and ``y`` lengths differ.
        """
        X, y = validate_data(
            self, X, y, multi_output=True, dtype=np.float64, y_numeric=False, ensure_min_samples=2
        )
        if self.k != "all" and self.k > X.shape[1]:
            warnings.warn(
                f"k={self.k} is greater than n_features={X.shape[1]}. "
                "All the features will be kept.",
                UserWarning,
                stacklevel=2,
            )
        score = deap_fisher_criterion if self.criterion == "deap" else fisher_score
        self.scores_ = score(X, y)
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        n_features = self.scores_.shape[0]
        if self.k == "all" or self.k >= n_features:
            return np.ones(n_features, dtype=bool)
        # Stable sort of the negated scores: highest first, lowest index first among ties.
        order = np.argsort(-self.scores_, kind="stable")
        mask = np.zeros(n_features, dtype=bool)
        mask[order[: self.k]] = True
        return mask

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        return tags
