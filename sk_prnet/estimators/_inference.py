"""Inference with the trained pairwise head: ``compare`` pairs, ``rank_scores`` samples.

Both use the factorized head: each embedding is projected once (``a = W1 e + b1``,
``b = W2 e + b2``) and pair logits are broadcast sums ``a_i + b_j``, so no pair embedding
``[e_i; e_j]`` is ever built. ``rank_scores`` compares query rows chunk by chunk with the
whole reference; its largest tensors are ``chunk x n_ref x n_targets x width`` (``width`` 3,
or the head's hidden size), and the aggregation keeps only per-sample statistics
(see :mod:`sk_prnet.ordinal`).
"""

import numbers

import numpy as np
import torch

from ..ordinal import bradley_terry_strengths

__all__ = ["PairwiseInferenceMixin", "RANK_METHODS"]

#: Aggregations accepted by ``rank_scores``.
RANK_METHODS = ("borda", "bradley-terry")

# Automatic chunks hold about this many pair logits (float32 temporaries: ~4 MiB each).
_AUTO_CHUNK_ELEMENTS = 2**20


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
        with torch.inference_mode():
            a = head.project(self._embed(X1))[0]
            b = head.project(self._embed(X2))[1]
            proba = torch.softmax(head.rowwise_logits(a, b), dim=-1).float().cpu().numpy()
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
        ``O(chunk_size * n_ref * n_targets * width)`` for the chunk and ``O(n + n_ref)``
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
            Query rows compared at once; ``None`` picks it so that a chunk holds about
            4 million pair logits. Results do not depend on it (up to float rounding).

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
        parts = [head.sides(out[1]) for out in self._module_outputs(X)]
        return torch.cat(parts).chunk(2, dim=1)

    def _chunked_borda(self, sides_x, sides_r, exclude_self, chunk_size):
        """Symmetrized Borda scores of ``x`` against ``r``: ``(n, n_targets)`` float64.

        Equal to :func:`sk_prnet.ordinal.borda_scores` of the forward and reversed pair
        probabilities, computed chunk by chunk without storing them.
        """
        head = self.module_.pair_head
        (a_x, b_x), (a_r, b_r) = sides_x, sides_r
        n, n_ref, n_targets = a_x.shape[0], a_r.shape[0], head.n_targets
        if n == 0 or n_ref == 0:
            return np.zeros((n, n_targets))
        if chunk_size is None:
            chunk_size = max(1, _AUTO_CHUNK_ELEMENTS // (n_ref * n_targets * head.width))
        if head.hidden is None:
            # exp(a_i + b_j) = exp(a_i) exp(b_j): probabilities of all pairs from
            # per-sample exponentials by multiply-adds on (n_targets, chunk, n_ref) planes.
            ea_x, eb_x, ea_r, eb_r = (_exp_planes(z, n_targets) for z in (a_x, b_x, a_r, b_r))

            def pref_fn(s, e):
                return _linear_preferences(ea_x[:, :, s:e], eb_r, ea_r, eb_x[:, :, s:e])
        else:

            def pref_fn(s, e):
                return _hidden_preferences(head, a_x[s:e], b_r, a_r, b_x[s:e])

        totals = []
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            pref = pref_fn(start, stop)  # (n_targets, chunk, n_ref), symmetrized
            if exclude_self:
                rows = torch.arange(stop - start, device=pref.device)
                pref[:, rows, rows + start] = 0
            totals.append(pref.sum(dim=2, dtype=torch.float64))
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
