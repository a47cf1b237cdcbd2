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

The second half turns pairwise relation probabilities back into one ordering of the samples:
:func:`borda_scores` (mean preference) and :func:`bradley_terry_scores` /
:func:`bradley_terry_strengths` (maximum-likelihood Bradley-Terry log-strengths).
"""

import numbers

import numpy as np
from scipy.special import expit

__all__ = [
    "LOWER",
    "SIMILAR",
    "HIGHER",
    "RELATION_NAMES",
    "check_epsilon",
    "class_ranks",
    "ordinal_relation",
    "borda_scores",
    "bradley_terry_scores",
    "bradley_terry_strengths",
]

#: Relation codes: x1 ≺ x2 (lower), x1 ∼ x2 (similar), x1 ≻ x2 (higher).
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


# --------------------------------------------------------------------------- aggregation
def _check_proba(proba, name):
    proba = np.asarray(proba)
    if proba.ndim not in (3, 4) or proba.shape[-1] != 3:
        raise ValueError(
            f"{name} must have shape (n, m, 3) or (n, m, n_targets, 3) (probabilities of "
            f"lower, similar, higher); got {proba.shape}."
        )
    if not np.issubdtype(proba.dtype, np.floating):
        proba = proba.astype(np.float64)
    return proba


def borda_scores(proba, proba_reversed=None, mask=None):
    """Borda count of pairwise relation probabilities: the mean of P(higher) - P(lower).

    Sample ``i`` is compared with every reference sample ``j``; its score is the average
    over the counted ``j`` of ``P(x_i ≻ r_j) - P(x_i ≺ r_j)``, in ``[-1, 1]``. Rows are
    independent, so the rows of ``proba`` may be processed in chunks.

    Parameters
    ----------
    proba : array-like of shape (n, m, 3) or (n, m, n_targets, 3)
        Probabilities of (lower, similar, higher) of the ordered pairs ``(x_i, r_j)``.
    proba_reversed : array-like of the same shape, default=None
        Probabilities of the reversed pairs ``(r_j, x_i)``, in the same ``(i, j)`` layout.
        When given, each comparison is symmetrized:
        ``((P(h) - P(l)) + (P_rev(l) - P_rev(h))) / 2``, which removes any bias of a
        comparator towards the first or second position.
    mask : array-like of bool of shape (n, m), default=None
        Which comparisons count (e.g. ``False`` on the diagonal to skip self-comparisons).
        Rows without any counted comparison score 0.

    Returns
    -------
    scores : ndarray of shape (n,) or (n, n_targets)
        float64.

    Raises
    ------
    ValueError
        For mis-shaped inputs.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.zeros((3, 3, 3))
    >>> P[..., 1] = np.eye(3)  # self: similar
    >>> P[np.triu_indices(3, 1)] = [1.0, 0.0, 0.0]  # i < j: i is lower
    >>> P[np.tril_indices(3, -1)] = [0.0, 0.0, 1.0]  # i > j: i is higher
    >>> borda_scores(P, mask=~np.eye(3, dtype=bool))
    array([-1.,  0.,  1.])
    """
    proba = _check_proba(proba, "proba")
    pref = proba[..., 2] - proba[..., 0]
    if proba_reversed is not None:
        rev = _check_proba(proba_reversed, "proba_reversed")
        if rev.shape != proba.shape:
            raise ValueError(
                f"proba_reversed must have the shape of proba {proba.shape}; got {rev.shape}."
            )
        pref = 0.5 * (pref + (rev[..., 0] - rev[..., 2]))
    n, m = pref.shape[:2]
    if mask is None:
        return pref.sum(axis=1, dtype=np.float64) / max(m, 1)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (n, m):
        raise ValueError(f"mask must have shape ({n}, {m}); got {mask.shape}.")
    weights = mask.reshape(n, m, *([1] * (pref.ndim - 2)))
    total = np.where(weights, pref, 0).sum(axis=1, dtype=np.float64)
    count = weights.sum(axis=1)
    return total / np.maximum(count, 1)


def _logistic_derivative(x):
    p = expit(x)
    return p * (1.0 - p)


# Imaginary half-width of the Chebyshev ellipse: the logistic kernels are analytic in the
# strip |Im z| < pi (poles at +-i pi); 0.8 pi leaves a margin for the growth near the poles.
_STRIP = 0.8 * np.pi


class _KernelSums:
    """``sum_j k(t_i - theta_j) v_j`` for the logistic kernels ``k = expit`` and ``expit'``.

    Direct when cheap; otherwise each sum is a smooth (analytic) function of ``t`` and is
    interpolated from ``K`` Chebyshev nodes spanning ``[lo, hi]`` (which must contain the
    targets), accurate to ~1e-13 relative: ``O((n + m) K)`` time and memory instead of
    ``O(n m)`` (``K`` ~ 300 for a span of 24). Call :meth:`at` with the targets first.
    """

    def __init__(self, theta, lo, hi, n_points):
        half = 0.5 * (hi - lo)
        ratio = _STRIP / max(half, 1e-300)
        k = int(np.ceil(34.0 / np.log(ratio + np.sqrt(1.0 + ratio**2)))) + 4 if half else 1
        self.theta, self.left = theta, None
        self.nodes = None
        if k * (n_points + theta.size) < n_points * theta.size:
            idx = np.arange(k)
            self.nodes = 0.5 * (lo + hi) + half * np.cos(np.pi * (idx + 0.5) / k)
            self.bary = (-1.0) ** idx * np.sin(np.pi * (idx + 0.5) / k)
            self._set(self.nodes)

    def _set(self, points):
        self.sig = expit(points[:, None] - self.theta[None, :])
        self.der = self.sig * (1.0 - self.sig)

    def at(self, t):
        """Prepare sums at the targets ``t``; returns ``self``."""
        if self.nodes is None:
            self._set(t)
            return self
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = self.bary / (t[:, None] - self.nodes[None, :])
            left = frac / frac.sum(axis=1, keepdims=True)
        hit = ~np.isfinite(left).all(axis=1)  # a target exactly on a node
        if hit.any():
            left[hit] = t[hit, None] == self.nodes[None, :]
        self.left = left
        return self

    def __call__(self, kernel, v=None):
        mat = self.sig if kernel == "sig" else self.der
        out = mat.sum(axis=1) if v is None else mat @ v
        return out if self.left is None else self.left @ out


def _initial_log_odds(target, n_games):
    rate = np.clip(target / n_games, 1e-12, 1 - 1e-12)
    return np.log(rate) - np.log1p(-rate)


def _bt_round_robin(totals, prior, tol, max_iter):
    """Log-strengths of a round robin (each pair compared once) from total wins."""
    n = totals.size
    if n == 1:
        return np.zeros(1)
    target = totals + prior
    scale = n - 1 + 2 * prior
    theta = _initial_log_odds(target, scale)
    for _ in range(max_iter):
        ks = _KernelSums(theta, theta.min(), theta.max(), n).at(theta)
        # the sums include j == i: sigma(0) = 1/2, sigma'(0) = 1/4
        resid = ks("sig") - 0.5 + 2 * prior * expit(theta) - target
        worst = np.abs(resid).max()
        if worst <= tol * scale:
            break
        diag = ks("der") + 2 * prior * _logistic_derivative(theta)
        rtol = min(1e-2, worst / scale) ** 2  # inexact Newton: tighten as it converges
        hessian = lambda v, diag=diag, ks=ks: diag * v - ks("der", v)  # noqa: E731
        step = _conjugate_gradient(hessian, -resid, diag - 0.25, rtol=max(rtol, 1e-14))
        big = np.abs(step).max()
        theta = theta + (step * (4.0 / big) if big > 4.0 else step)
    return theta


def _conjugate_gradient(matvec, rhs, precond, rtol, max_iter=500):
    """Preconditioned CG for the SPD Newton systems of the Bradley-Terry likelihood."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = r / precond
    p = z.copy()
    rz = r @ z
    stop = rtol * np.linalg.norm(rhs)
    for _ in range(max_iter):
        if np.linalg.norm(r) <= stop:
            break
        ap = matvec(p)
        step = rz / (p @ ap)
        x += step * p
        r -= step * ap
        z = r / precond
        rz, rz_old = r @ z, rz
        p = z + (rz / rz_old) * p
    return x


def _bt_against(totals, n_opponents, reference, prior, tol, max_iter):
    """Log-strength of each sample against fixed reference log-strengths (1-D Newton each).

    Newton runs on the log-odds form ``log(W(t) / L(t)) = log(w / l)`` of the score
    equation (wins ``W``, losses ``L = games - W``), which is nearly linear in ``t``;
    bisection safeguards it.
    """
    games = n_opponents + 2 * prior
    target = totals + prior
    goal = np.log(target) - np.log(games - target)
    # sigma(t - max) <= every game's win probability <= sigma(t - min) (the virtual opponent
    # at 0 included) brackets each root: t in [min + goal, max + goal].
    low = min(reference.min(), 0.0) + goal
    high = max(reference.max(), 0.0) + goal
    theta = np.clip(_initial_log_odds(target, games), low, high)
    ks = _KernelSums(reference, low.min(), high.max(), theta.size)
    for _ in range(max_iter):
        ks.at(theta)
        wins = np.clip(ks("sig") + 2 * prior * expit(theta), 1e-300, None)
        losses = np.clip(games - wins, 1e-300, None)
        if np.abs(wins - target).max() <= tol * games:
            break
        low = np.where(wins < target, theta, low)  # wins increase with theta
        high = np.where(wins > target, theta, high)
        deriv = (ks("der") + 2 * prior * _logistic_derivative(theta)) * games / (wins * losses)
        new = theta - (np.log(wins) - np.log(losses) - goal) / deriv
        outside = ~((new > low) & (new < high))
        theta = np.where(outside, 0.5 * (low + high), new)
    return theta


def _check_bt_options(prior, tol, max_iter):
    if isinstance(prior, bool) or not isinstance(prior, numbers.Real) or not prior > 0:
        raise ValueError(f"prior must be a number > 0, got {prior!r}.")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise ValueError(f"tol must be a number > 0, got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")


def bradley_terry_strengths(
    total_wins, n_opponents=None, reference_strengths=None, *, prior=0.1, tol=1e-10,
    max_iter=100,
):  # fmt: skip
    """Maximum-a-posteriori Bradley-Terry log-strengths from each sample's total wins.

    Model: ``P(i beats j) = sigmoid(theta_i - theta_j)``. When every pair is compared (a
    complete design, as the estimators' ``rank_scores`` has), the likelihood depends on the
    win matrix only through each sample's total wins, so these totals are all that is
    needed: no ``n x n`` matrix is stored. A tie counts as half a win.

    Two designs:

    * ``reference_strengths=None``: a round robin among the ``n`` samples themselves, each
      pair compared once (``total_wins[i] = sum_{j != i} W[i, j]`` with
      ``W[i, j] + W[j, i] = 1``); all strengths are fitted jointly (Newton's method, its
      linear systems by conjugate gradients, kernel sums by Chebyshev interpolation:
      ``O(n)`` memory, about ``O(n K)`` time per step with ``K`` a few hundred).
    * ``reference_strengths`` given: each sample was compared once with each of the ``m``
      reference samples, whose log-strengths stay fixed; every sample's strength is then a
      1-D maximum-likelihood problem on the reference's scale (safeguarded Newton), so a
      sample's score does not depend on the other samples scored with it.

    The prior makes the fit finite even under perfect separation: each sample is credited
    ``prior`` wins and ``prior`` losses against a virtual sample of log-strength 0.
    Near-perfectly separated comparisons spread the strengths widely, which makes the fit
    slower (the kernel sums need more Chebyshev nodes).

    Parameters
    ----------
    total_wins : array-like of shape (n,) or (n, n_targets)
        Expected number of wins of each sample (one column per target).
    n_opponents : int, default=None
        Comparisons per sample: ``n - 1`` for the round robin, ``m`` against a reference
        (the defaults).
    reference_strengths : array-like of shape (m,) or (m, n_targets), default=None
        Fixed log-strengths of the opponents.
    prior : float, default=0.1
        Virtual wins and losses of each sample against a virtual sample of strength 0.
    tol : float, default=1e-10
        Stop when every score equation holds to ``tol * n_opponents`` wins.
    max_iter : int, default=100

    Returns
    -------
    theta : ndarray of shape (n,) or (n, n_targets)
        Log-strengths, anchored by the virtual sample at 0 (not centered).

    Raises
    ------
    ValueError
        For mis-shaped or non-finite inputs, wins outside ``[0, n_opponents]``, or invalid
        options.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import expit
    >>> theta = np.array([-1.0, 0.0, 2.0])
    >>> W = expit(theta[:, None] - theta[None, :])
    >>> np.fill_diagonal(W, 0)
    >>> est = bradley_terry_strengths(W.sum(axis=1), prior=1e-6)
    >>> np.round(est - est.mean() - (theta - theta.mean()), 3) + 0.0
    array([0., 0., 0.])
    """
    _check_bt_options(prior, tol, max_iter)
    wins = np.asarray(total_wins, dtype=np.float64)
    if wins.ndim not in (1, 2) or not np.isfinite(wins).all():
        raise ValueError(
            f"total_wins must be a finite array of shape (n,) or (n, n_targets); got "
            f"shape {wins.shape}."
        )
    wins2 = wins.reshape(wins.shape[0], -1)
    ref = None
    if reference_strengths is not None:
        ref = np.asarray(reference_strengths, dtype=np.float64)
        if ref.ndim and ref.size:  # (m,) or (m, ...) -> (m, n_targets); empty: refused below
            ref = ref.reshape(ref.shape[0], -1)
        if ref.ndim != 2 or ref.shape[1] != wins2.shape[1] or ref.shape[0] == 0:
            raise ValueError(
                "reference_strengths must have shape (m,) or (m, n_targets) matching "
                f"total_wins {wins.shape}; got {np.shape(reference_strengths)}."
            )
        if not np.isfinite(ref).all():
            raise ValueError("reference_strengths must be finite.")
    default = wins2.shape[0] - 1 if ref is None else ref.shape[0]
    n_opp = default if n_opponents is None else n_opponents
    if ref is None and n_opp != wins2.shape[0] - 1:
        raise ValueError(
            f"A round robin of {wins2.shape[0]} samples has n_opponents = "
            f"{wins2.shape[0] - 1}, got {n_opp}."
        )
    if (wins2 < -1e-9).any() or (wins2 > n_opp + 1e-9).any():
        raise ValueError(f"total_wins must lie in [0, n_opponents={n_opp}].")
    wins2 = np.clip(wins2, 0, n_opp)
    out = np.empty_like(wins2)
    for t in range(wins2.shape[1]):
        if ref is None:
            out[:, t] = _bt_round_robin(wins2[:, t], float(prior), tol, max_iter)
        else:
            out[:, t] = _bt_against(wins2[:, t], n_opp, ref[:, t], float(prior), tol, max_iter)
    return out[:, 0] if wins.ndim == 1 else out


def bradley_terry_scores(wins, *, prior=0.1, tol=1e-10, max_iter=100):
    """Bradley-Terry log-strengths of ``n`` samples from their pairwise win probabilities.

    Parameters
    ----------
    wins : array-like of shape (n, n) or (n, n, n_targets)
        ``wins[i, j]``: probability that sample ``i`` ranks above sample ``j``, ties counted
        half (``P(higher) + P(similar) / 2`` of a relation classifier). The two orders of
        a pair are averaged, ``(wins[i, j] + 1 - wins[j, i]) / 2``, so a comparator biased
        towards one position is symmetrized; the diagonal is ignored.
    prior, tol, max_iter
        See :func:`bradley_terry_strengths`.

    Returns
    -------
    scores : ndarray of shape (n,) or (n, n_targets)
        Maximum-a-posteriori log-strengths, centered to mean 0 (per target).

    Raises
    ------
    ValueError
        If ``wins`` is not square in its first two axes, not finite, or outside ``[0, 1]``.

    See Also
    --------
    bradley_terry_strengths : The same fit from total wins only (``O(n)`` memory).
    borda_scores : The mean preference; in a round robin it orders samples like the total
        wins, hence like the Bradley-Terry strengths.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import expit
    >>> theta = np.array([0.5, -2.0, 1.0, 0.0])
    >>> W = expit(theta[:, None] - theta[None, :])
    >>> np.argsort(bradley_terry_scores(W))
    array([1, 3, 0, 2])
    """
    W = np.asarray(wins, dtype=np.float64)
    if W.ndim not in (2, 3) or W.shape[0] != W.shape[1]:
        raise ValueError(f"wins must have shape (n, n) or (n, n, n_targets); got {W.shape}.")
    if not np.isfinite(W).all() or (W < 0).any() or (W > 1).any():
        raise ValueError("wins must hold probabilities in [0, 1].")
    sym = 0.5 * (W + 1.0 - np.swapaxes(W, 0, 1))
    n = W.shape[0]
    diag = np.arange(n)
    sym[diag, diag] = 0
    theta = bradley_terry_strengths(sym.sum(axis=1), prior=prior, tol=tol, max_iter=max_iter)
    return theta - theta.mean(axis=0)
