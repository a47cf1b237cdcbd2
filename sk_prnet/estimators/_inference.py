"""Inference with the trained pairwise head: ``compare`` pairs, ``rank_scores`` samples.

Both use the factorized head: each embedding is projected once (``a = W1 e + b1``,
``b = W2 e + b2``) and pair logits are broadcast sums ``a_i + b_j``, so no pair embedding
``[e_i; e_j]`` is ever built. ``compare`` works batch by batch; ``rank_scores`` keeps only
the projections (``2 x n_targets x width`` numbers per sample; on the host when they would
crowd the device, see :func:`~sk_prnet.estimators._batches.batch_source`) and compares
blocks of query rows with blocks of reference rows, sized by :func:`chunk_sizes` from the
device's free memory; the aggregation keeps only per-sample statistics
(see :mod:`sk_prnet.ordinal`).
"""

import numbers

import numpy as np
import torch

from ..ordinal import bradley_terry_strengths
from ._batches import batch_source, free_device_memory

__all__ = ["PairwiseInferenceMixin", "RANK_METHODS", "chunk_sizes"]

#: Aggregations accepted by ``rank_scores``.
RANK_METHODS = ("borda", "bradley-terry")

# On the CPU, blocks hold about this many pair logits (float32 temporaries of ~4 MiB each,
# cache-sized); a device with its own memory gets a share of what is free instead.
_AUTO_CHUNK_ELEMENTS = 2**20
# float32 temporaries alive at once per pair logit while a block is evaluated
_TEMPORARIES = 3
_CHUNK_FRACTION = 0.25


def chunk_sizes(n_a, n_b, bytes_per_item, free_bytes=None, *, fraction=_CHUNK_FRACTION,
                cpu_bytes=_AUTO_CHUNK_ELEMENTS * 4 * _TEMPORARIES):  # fmt: skip
    """Rows of each side compared at once in an all-pairs block computation.

    A block of ``c_a x c_b`` pairs takes ``c_a * c_b * bytes_per_item`` bytes; it is kept
    within ``fraction * free_bytes`` on a device with its own memory, or ``cpu_bytes`` (a
    cache-sized block) when ``free_bytes`` is ``None``. The second side is kept whole when
    one row of the first against all of it fits (a single pass over it per block of rows),
    and split otherwise.

    Parameters
    ----------
    n_a, n_b : int
        Rows of the two sides.
    bytes_per_item : int
        Peak bytes of one pair's temporaries.
    free_bytes : int or None, default=None
        Free device memory (``None``: the CPU).
    fraction : float, default=0.25
    cpu_bytes : int, default=12 MiB

    Returns
    -------
    c_a, c_b : int
        Block sizes, each at least 1 and at most ``max(n, 1)``.

    Examples
    --------
    >>> chunk_sizes(1000, 1000, 24)
    (524, 1000)
    >>> chunk_sizes(10**6, 10**6, 24, free_bytes=8 * 2**30)
    (89, 1000000)
    >>> chunk_sizes(10**6, 10**8, 24, free_bytes=8 * 2**30)
    (1, 89478485)
    """
    budget = cpu_bytes if free_bytes is None else int(fraction * free_bytes)
    items = max(1, budget // max(1, int(bytes_per_item)))
    c_b = max(1, min(n_b, items))
    c_a = max(1, min(n_a, items // c_b))
    return c_a, c_b


class PairwiseInferenceMixin:
    """``compare`` and ``rank_scores`` for estimators whose module has a ``pair_head``."""

    def compare(self, X1, X2):
        """Relation probabilities of row-aligned pairs from the trained ranking head.

        Parameters
        ----------
        X1, X2 : array-like of shape (n_pairs, ...)
            The first and second samples of each pair.

        Returns
        -------
        proba : ndarray of shape (n_pairs, 3) or (n_pairs, n_outputs, 3)
            Probabilities of (lower, similar, higher): ``x1 ≺ x2``, ``x1 ∼ x2``,
            ``x1 ≻ x2``. 2-D when the estimator was fitted on a 1-D ``y``.

        Raises
        ------
        ValueError
            If ``X1`` and ``X2`` do not have the same number of rows.
        """
        self._check_fitted()
        X1 = self._validate_X(X1, reset=False)
        X2 = self._validate_X(X2, reset=False)
        if X1.shape[0] != X2.shape[0]:
            raise ValueError(
                f"X1 and X2 must hold the same number of rows (one pair per row); got "
                f"{X1.shape[0]} and {X2.shape[0]}."
            )
        head = self.module_.pair_head
        parts = []
        with torch.inference_mode():  # batch by batch: no embedding outlives its batch
            for out1, out2 in zip(self._module_outputs(X1), self._module_outputs(X2)):
                a, b = head.project(out1[1])[0], head.project(out2[1])[1]
                parts.append(torch.softmax(head.rowwise_logits(a, b), dim=-1).float().cpu())
        if not parts:
            return np.empty((0, 3) if self._y_ndim_ == 1 else (0, head.n_targets, 3))
        proba = torch.cat(parts).numpy()
        return proba[:, 0, :] if self._y_ndim_ == 1 else proba

    def rank_scores(self, X, reference=None, method="borda", chunk_size=None):
        """One ranking score per sample, aggregated from the pairwise head's comparisons.

        Every sample of ``X`` is compared with every sample of ``reference`` in both orders
        (``(x, r)`` and ``(r, x)``, averaged, so a head biased towards one position is
        symmetrized), and the comparisons are aggregated:

        * ``"borda"``: the mean over the reference of ``P(higher) - P(lower)``, in [-1, 1];
        * ``"bradley-terry"``: maximum-a-posteriori Bradley-Terry log-strengths, with
          ``P(x beats r) = P(higher) + P(similar) / 2`` (ties count half) and a weak prior
          (0.1 virtual win and loss against a virtual average sample) that keeps them finite
          under perfect separation. The reference's strengths are fitted jointly from its own
          round robin; each sample of ``X`` is then fitted against those fixed strengths, so
          its score does not depend on the other rows of ``X``. Scores are log-strengths on
          the reference's scale, centered so that the reference averages 0 (with
          ``reference=None``, ``X``'s scores average 0).

        In a round robin (``reference=None``) both orderings coincide: the Bradley-Terry
        likelihood depends on the comparisons only through each sample's total wins,
        which is what makes it computable without an ``n x n`` matrix.

        Cost: ``n * n_ref`` pair evaluations of the head in chunks (Bradley-Terry with an
        explicit ``reference`` adds the reference's own ``n_ref**2``); memory
        ``O(chunk_size * n_ref * n_targets * width)`` for a block and ``O(n + n_ref)``
        for the aggregation, never ``O(n * n_ref * d)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples to score.
        reference : array-like of shape (n_reference, ...), default=None
            Samples to compare with; ``None`` compares ``X`` with itself, leaving out
            self-comparisons.
        method : {"borda", "bradley-terry"}, default="borda"
        chunk_size : int, default=None
            Query rows compared at once (with the whole reference); ``None`` sizes blocks
            of query and reference rows by :func:`chunk_sizes` (on the CPU about a million
            pair logits; on a GPU a quarter of its free memory). Results do not depend on
            it (up to float rounding).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Higher means ranked higher; 1-D when the estimator was fitted on a 1-D ``y``.

        Raises
        ------
        ValueError
            For an unknown ``method``, a ``chunk_size`` that is not a positive integer, or
            ``X`` / ``reference`` whose samples do not have the fitted shape.

        Examples
        --------
        >>> import numpy as np
        >>> from sk_prnet import PRNetRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(120, 3)).astype("float32")
        >>> y = X @ np.array([1.0, -0.5, 0.0])
        >>> reg = PRNetRegressor(max_epochs=20, lr=0.02, random_state=0).fit(X, y)
        >>> scores = reg.rank_scores(X)
        >>> scores.shape
        (120,)
        >>> from scipy.stats import kendalltau
        >>> bool(kendalltau(scores, y).statistic > 0.6)
        True
        """
        if method not in RANK_METHODS:
            raise ValueError(f"method must be one of {RANK_METHODS}, got {method!r}.")
        if chunk_size is not None and (
            isinstance(chunk_size, bool)
            or not isinstance(chunk_size, numbers.Integral)
            or chunk_size < 1
        ):
            raise ValueError(f"chunk_size must be None or an integer >= 1, got {chunk_size!r}.")
        self._check_fitted()
        X = self._validate_X(X, reset=False)
        ref = None if reference is None else self._validate_reference(reference)
        with torch.inference_mode():
            sides_x = self._pair_sides(X)
            sides_r = sides_x if ref is None else self._pair_sides(ref)
            borda = self._chunked_borda(sides_x, sides_r, ref is None, chunk_size)
            if method == "borda":
                out = borda
            elif ref is None:
                out = _bt_from_borda(borda, None)
            else:
                ref_borda = self._chunked_borda(sides_r, sides_r, True, chunk_size)
                out = _bt_from_borda(borda, ref_borda)
        return out[:, 0] if self._y_ndim_ == 1 else out

    # ------------------------------------------------------------------ helpers
    def _validate_reference(self, reference):
        try:
            return self._validate_X(reference, reset=False)
        except ValueError as exc:
            raise ValueError(f"Invalid reference: {exc}") from exc

    def _pair_sides(self, X):
        """``(a, b)`` projections of the head's first layer for every sample, ``(n, m)``."""
        head = self.module_.pair_head
        n, m = X.shape[0], 2 * head.n_targets * head.width
        if n == 0:
            empty = torch.empty((0, m // 2), device=self.device_)
            return empty, empty
        n_bytes = 4 * n * m
        where = batch_source(
            self.device_.type, n_bytes, host_only=False,
            free_bytes=free_device_memory(self.device_),
        )  # fmt: skip
        host = where == "stream"  # too large to keep on the device: blocks are moved there
        parts = [head.sides(out[1]) for out in self._module_outputs(X)]
        parts = [p.cpu() for p in parts] if host else parts
        return torch.cat(parts).chunk(2, dim=1)

    def _chunked_borda(self, sides_x, sides_r, exclude_self, chunk_size, ref_chunk=None):
        """Symmetrized Borda scores of ``x`` against ``r``: ``(n, n_targets)`` float64.

        Equal to :func:`sk_prnet.ordinal.borda_scores` of the forward and reversed pair
        probabilities, computed block by block (``chunk_size`` rows of ``x`` against
        ``ref_chunk`` rows of ``r``; ``None``: see :func:`chunk_sizes`) without storing them.
        """
        head = self.module_.pair_head
        (a_x, b_x), (a_r, b_r) = sides_x, sides_r
        n, n_ref, n_targets = a_x.shape[0], a_r.shape[0], head.n_targets
        if n == 0 or n_ref == 0:
            return np.zeros((n, n_targets))
        device = self.device_
        if chunk_size is None:
            per_pair = 4 * _TEMPORARIES * n_targets * head.width
            chunk_a, chunk_b = chunk_sizes(n, n_ref, per_pair, free_device_memory(device))
        else:
            chunk_a, chunk_b = chunk_size, n_ref
        chunk_b = chunk_b if ref_chunk is None else ref_chunk
        if head.hidden is None:
            # exp(a_i + b_j) = exp(a_i) exp(b_j): probabilities of all pairs from
            # per-sample exponentials by multiply-adds on (n_targets, chunk, n_ref) planes.
            ea_x, eb_x, ea_r, eb_r = (_exp_planes(z, n_targets) for z in (a_x, b_x, a_r, b_r))

            def pref_fn(s, e, t, u):
                x, r = slice(s, e), slice(t, u)
                ea, eb, ra, rb = (
                    z[:, :, i].to(device) for z, i in ((ea_x, x), (eb_x, x), (ea_r, r), (eb_r, r))
                )  # fmt: skip
                return _linear_preferences(ea, rb, ra, eb)
        else:

            def pref_fn(s, e, t, u):
                ax, bx, ar, br = (z.to(device) for z in (a_x[s:e], b_x[s:e], a_r[t:u], b_r[t:u]))
                return _hidden_preferences(head, ax, br, ar, bx)

        totals = []
        for start in range(0, n, chunk_a):
            stop = min(start + chunk_a, n)
            total = None
            for ref_start in range(0, n_ref, chunk_b):
                ref_stop = min(ref_start + chunk_b, n_ref)
                pref = pref_fn(start, stop, ref_start, ref_stop)  # (T, rows, ref rows)
                if exclude_self:  # zero the pairs (i, i) that fall in this block
                    lo, hi = max(start, ref_start), min(stop, ref_stop)
                    if lo < hi:
                        diag = torch.arange(lo, hi, device=pref.device)
                        pref[:, diag - start, diag - ref_start] = 0
                part = pref.sum(dim=2, dtype=torch.float64)
                total = part if total is None else total.add_(part)
            totals.append(total)
        count = n_ref - 1 if exclude_self else n_ref
        total = torch.cat(totals, dim=1).T.cpu().numpy()
        return total / max(count, 1)


def _exp_planes(z, n_targets):
    """``exp`` of first-layer halves ``(n, n_targets * 3)`` as ``(T, 3, n)`` float32 planes.

    Each sample's 3 logits are shifted by their maximum (a per-sample factor that cancels in
    every probability), so all pair products lie in (0, 1].
    """
    z = z.float().reshape(z.shape[0], n_targets, 3)
    return torch.exp(z - z.amax(dim=2, keepdim=True)).permute(1, 2, 0).contiguous()


def _linear_preferences(ea_x, eb_r, ea_r, eb_x):
    """Symmetrized ``P(higher) - P(lower)`` of chunk rows vs reference: ``(T, c, m)``."""
    total = None
    for left, right, sign in ((ea_x, eb_r, 1), (eb_x, ea_r, -1)):
        # forward pairs (x_i, r_j) use a_x + b_r; reversed pairs (r_j, x_i) use a_r + b_x,
        # laid out (i, j) as well, and count P(lower) - P(higher) for x_i.
        low, sim, high = (left[:, k, :, None] * right[:, k, None, :] for k in range(3))
        den = sim.add_(low).add_(high)
        pref = (high.sub_(low) if sign > 0 else low.sub_(high)).div_(den)
        total = pref if total is None else total.add_(pref)
    return total.mul_(0.5)


def _hidden_preferences(head, a_x, b_r, a_r, b_x):
    """Same as :func:`_linear_preferences` for a head with a hidden layer."""
    fwd = torch.softmax(head.pair_logits(a_x, b_r).double(), dim=-1)
    rev = torch.softmax(head.pair_logits(a_r, b_x).double(), dim=-1).transpose(0, 1)
    pref = (fwd[..., 2] - fwd[..., 0]) + (rev[..., 0] - rev[..., 2])
    return pref.mul_(0.5).permute(2, 0, 1)


def _bt_from_borda(borda, ref_borda):
    """Bradley-Terry log-strengths from symmetrized Borda scores (total wins).

    A symmetrized comparison's win probability is ``(1 + preference) / 2``, so a sample's
    total wins over ``k`` opponents are ``k (1 + borda) / 2``.
    """
    if ref_borda is None:
        n = borda.shape[0]
        theta = bradley_terry_strengths((n - 1) * (1 + borda) / 2)
        return theta - theta.mean(axis=0)
    m = ref_borda.shape[0]
    theta_ref = bradley_terry_strengths((m - 1) * (1 + ref_borda) / 2)
    theta = bradley_terry_strengths(m * (1 + borda) / 2, reference_strengths=theta_ref)
    return (theta - theta_ref.mean(axis=0)).reshape(borda.shape)
