"""Ordinal relation labels between pairs of samples (the paper's Tables I and III).

A pair ``(x1, x2)`` is labelled by comparing its targets ``y1`` and ``y2``:

=====  =========  =========================  =============
code   name       condition (Table I)        symbol
=====  =========  =========================  =============
0      lower      ``y1 < y2 - epsilon``      x1 ≺ x2
1      similar    ``|y1 - y2| <= epsilon``   x1 ∼ x2
2      higher     ``y1 > y2 + epsilon``      x1 ≻ x2
=====  =========  =========================  =============

Ordered categories (Table III, e.g. SEED's negative < neutral < positive) are compared through
their rank in a given class order.
"""

import numbers

import numpy as np

__all__ = [
    "LOWER",
    "SIMILAR",
    "HIGHER",
    "RELATION_NAMES",
    "check_epsilon",
    "class_ranks",
    "ordinal_relation",
]

LOWER, SIMILAR, HIGHER = 0, 1, 2
#: Names of the relation codes, indexed by code.
RELATION_NAMES = ("lower", "similar", "higher")


def check_epsilon(epsilon):
    """Validate a rank tolerance and return it as a float.

    Parameters
    ----------
    epsilon : float
        The rank tolerance; must be finite and ``>= 0``.

    Returns
    -------
    epsilon : float

    Raises
    ------
    ValueError
        If ``epsilon`` is not a finite, non-negative real number.
    """
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise ValueError(f"epsilon must be a non-negative real number, got {epsilon!r}.")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ValueError(
            f"epsilon (the rank tolerance) must be finite and >= 0, got {epsilon}. "
            "Pairs with |y1 - y2| <= epsilon are labelled 'similar'."
        )
    return epsilon


def class_ranks(y, class_order):
    """Map class labels to their rank in ``class_order`` (0 for the lowest class).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Class labels of any type (ints, strings, ...).
    class_order : array-like of shape (n_classes,)
        All classes, from the lowest to the highest.

    Returns
    -------
    ranks : ndarray of int64, same shape as ``y``

    Raises
    ------
    ValueError
        If ``class_order`` repeats a class, or ``y`` holds a label missing from it.

    Examples
    --------
    >>> class_ranks(["neutral", "positive", "negative"], ["negative", "neutral", "positive"])
    array([1, 2, 0])
    """
    order = np.asarray(class_order)
    if order.ndim != 1 or order.size == 0:
        raise ValueError(f"class_order must be a non-empty 1-D sequence, got {class_order!r}.")
    uniq, counts = np.unique(order, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"class_order repeats classes {uniq[counts > 1].tolist()}.")
    y = np.asarray(y)
    sorter = np.argsort(order, kind="stable")
    pos = np.searchsorted(order, y, sorter=sorter)
    pos = np.clip(pos, 0, order.size - 1)
    ranks = sorter[pos]
    unknown = order[ranks] != y
    if np.any(unknown):
        missing = np.unique(y[unknown]).tolist()
        raise ValueError(
            f"Labels {missing} are not in class_order {order.tolist()}; "
            "class_order must list every class, from the lowest to the highest."
        )
    return ranks.astype(np.int64)


def ordinal_relation(y1, y2, epsilon=0.0, class_order=None):
    """Ordinal relation codes of sample pairs (Table I; Table III with ``class_order``).

    Parameters
    ----------
    y1, y2 : array-like
        Targets of the first and second sample of each pair; broadcast against each other.
        Continuous ratings, or class labels when ``class_order`` is given.
    epsilon : float, default=0.0
        Rank tolerance: pairs with ``|y1 - y2| <= epsilon`` are similar. With ``class_order``
        it applies to rank differences, so any ``epsilon < 1`` gives Table III.
    class_order : array-like of shape (n_classes,), default=None
        Order of the classes, lowest first, for ordered categorical targets.

    Returns
    -------
    relation : ndarray of int64
        Broadcast shape of ``y1`` and ``y2``; 0 = lower (x1 ≺ x2), 1 = similar (x1 ∼ x2),
        2 = higher (x1 ≻ x2).

    Raises
    ------
    ValueError
        If ``epsilon`` is negative or not finite, the targets are not finite numbers (without
        ``class_order``), or a label is missing from ``class_order``.

    Examples
    --------
    >>> ordinal_relation([1.0, 5.0, 9.0], 5.0, epsilon=0.25)
    array([0, 1, 2])
    >>> ordinal_relation(["neg", "pos"], "neu", class_order=["neg", "neu", "pos"])
    array([0, 2])
    """
    epsilon = check_epsilon(epsilon)
    if class_order is not None:
        y1, y2 = class_ranks(y1, class_order), class_ranks(y2, class_order)
    try:
        y1 = np.asarray(y1, dtype=np.float64)
        y2 = np.asarray(y2, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "y1 and y2 must be numeric ratings; pass class_order to compare class labels."
        ) from exc
    if not (np.isfinite(y1).all() and np.isfinite(y2).all()):
        raise ValueError("y1 and y2 must be finite; found NaN or infinity.")
    diff = y1 - y2
    return (diff > epsilon).astype(np.int64) + (diff >= -epsilon)
