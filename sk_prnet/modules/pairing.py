"""Forming sample pairs inside a batch: relation labels of the pairs and the ranking loss.

Labels and logits are produced in the same ``(N_a, N_b)`` pair layout:

* ``"split"`` (the paper): the first ``N // 2`` samples against the next ``N // 2``
  (``N_sub**2`` pairs; an odd last sample is left out of ranking);
* ``"all"``: every sample against every other one (``N (N - 1)`` ordered pairs; the diagonal
  is ignored).
"""

import torch
import torch.nn.functional as F

__all__ = [
    "PAIRINGS", "IGNORE", "relation_codes", "pair_codes", "pair_logits", "pair_weights",
    "ranking_loss", "class_first_nll", "soft_relation_targets", "soft_ranking_loss",
]  # fmt: skip

#: The pairing schemes: ``"split"`` (the paper's batch halves) and ``"all"``.
PAIRINGS = ("split", "all")

#: Code of pairs that do not count (the diagonal, pairs across groups): cross_entropy skips it.
IGNORE = -100


def relation_codes(r1, r2, epsilon):
    """Torch twin of :func:`sk_prnet.ordinal.ordinal_relation` (0 lower, 1 similar, 2 higher).

    Kept in torch so that the labels of a whole epoch are built on its device in a few ops.

    Parameters
    ----------
    r1, r2 : Tensor
        Targets of the first and second members of the pairs (broadcast together).
    epsilon : float
        Rank tolerance.

    Returns
    -------
    codes : LongTensor
        The broadcast shape of ``r1`` and ``r2``.
    """
    diff = r1 - r2
    return (diff > epsilon).long() + (diff >= -epsilon).long()


def _sides(x, pairing):
    """First and second members of the pairs along axis -2 (``x`` is ``(..., N, k)``)."""
    if pairing == "split":
        half = x.shape[-2] // 2
        return x[..., :half, :], x[..., half : 2 * half, :]
    if pairing == "all":
        return x, x
    raise ValueError(f"pairing must be one of {PAIRINGS}, got {pairing!r}.")


def pair_codes(rank, epsilon, pairing="split", groups=None):
    """Relation labels of every pair of a batch (or of a stack of batches).

    Parameters
    ----------
    rank : Tensor of shape (..., N, n_targets)
        Values whose order defines the relations (ratings, or class ranks with epsilon 0).
    epsilon : float
        Rank tolerance.
    pairing : {"split", "all"}, default="split"
    groups : Tensor of shape (..., N) or None
        Only pairs inside one group count (e.g. one subject or annotator).

    Returns
    -------
    codes : LongTensor of shape (..., N_a, N_b, n_targets)
        0/1/2 relation codes; :data:`IGNORE` for pairs that do not count.
    """
    r1, r2 = _sides(rank, pairing)
    codes = relation_codes(r1[..., :, None, :], r2[..., None, :, :], epsilon)
    mask = None
    if pairing == "all":
        n = rank.shape[-2]
        mask = ~torch.eye(n, dtype=torch.bool, device=rank.device)
    if groups is not None:
        g1, g2 = _sides(groups[..., None], pairing)
        same = g1 == g2.transpose(-1, -2)
        mask = same if mask is None else mask & same
    if mask is not None:
        codes = codes.masked_fill(~mask[..., None], IGNORE)
    return codes


def pair_logits(pair_head, embedding, pairing="split", projection=None):
    """Relation logits of the batch's pairs, in :func:`pair_codes`' layout.

    Parameters
    ----------
    pair_head : sk_prnet.modules.PairHead
    embedding : Tensor of shape (N, d)
    pairing : {"split", "all"}, default="split"
    projection : Tensor of shape (N, 2 m) or None
        ``pair_head.sides(embedding)`` when already computed (see
        :meth:`sk_prnet.modules.PRNetModule.forward_with_projection`).

    Returns
    -------
    logits : Tensor of shape (N_a, N_b, n_targets, 3)
    """
    a, b = pair_head.project(embedding, projection)
    a, _ = _sides(a, pairing)
    _, b = _sides(b, pairing)
    return pair_head.pair_logits(a, b)


def _class_first_logits(projection, pairing, n_targets):
    """Relation logits of a single-layer pair head, laid out ``(3, N_a, N_b, n_targets)``.

    Same numbers as :func:`pair_logits` with the classes moved first: ``logits[:, a, b, t]``
    are those of ``codes[a, b, t]``. Built from two strided views of the projection and one
    add. For the paper's EEG model a step is mostly per-op overhead, and
    this layout avoids most of it: the row/column slicing of the projection (each slice a
    node with its own backward allocation) becomes one ``as_strided`` view per side, and
    with the classes off the last axis ``log_softmax`` takes torch's fast path (~15 us
    instead of ~75 us forward and backward at 400 pairs x 2 targets).
    """
    n = projection.shape[0]
    m = 3 * n_targets  # side a's columns, then side b's
    rows_a = rows_b = n
    first_b = 0
    if pairing == "split":
        rows_a = rows_b = first_b = n // 2
    elif pairing != "all":
        raise ValueError(f"pairing must be one of {PAIRINGS}, got {pairing!r}.")
    row, col = projection.stride()
    start = projection.storage_offset()
    shape = (3, rows_a, rows_b, n_targets)
    side_a = projection.as_strided(shape, (col, row, 0, 3 * col), start)
    side_b = projection.as_strided(
        shape, (col, 0, row, 3 * col), start + first_b * row + m * col
    )
    return side_a + side_b


def class_first_nll(logits, target, ignore_index=IGNORE, reduction="mean"):
    """Cross-entropy of class-first logits ``(C, ...)``, reduced by a 2-D ``nll_loss``.

    ``log_softmax`` runs over axis 0 (torch's fast CPU path for few classes); the negative
    log-likelihood reads its flattened, transposed ``(M, C)`` view: a plain 2-D
    ``nll_loss``. A 3-D/4-D cross-entropy would run ``nll_loss2d``, whose CUDA kernel is
    nondeterministic (atomic adds) and raises under ``torch.use_deterministic_algorithms``.

    Parameters
    ----------
    logits : Tensor of shape (C, ...)
        Classes on axis 0; the other axes flatten (C order) to the ``M`` elements.
    target : LongTensor of shape (M,)
    ignore_index : int, default=IGNORE
    reduction : {"mean", "none"}, default="mean"

    Returns
    -------
    loss : Tensor
        The mean over the counted elements, or the ``(M,)`` per-element losses (0 where
        ignored).
    """
    log_p = F.log_softmax(logits, 0).reshape(logits.shape[0], -1).t()
    return F.nll_loss(log_p, target, ignore_index=ignore_index, reduction=reduction)


def pair_weights(weight, codes, pairing="split"):
    """Weights of a batch's pairs: the product of the two samples' weights (0 if ignored).

    Parameters
    ----------
    weight : Tensor of shape (N,), (N, 1) or (N, n_targets)
        Per-sample weights of the batch (one column for all targets, or one per target).
    codes : LongTensor of shape (N_a, N_b, n_targets)
        From :func:`pair_codes` (same ``pairing``).
    pairing : {"split", "all"}, default="split"

    Returns
    -------
    weights : Tensor of shape (N_a, N_b, n_targets)
    """
    w_a, w_b = _sides(weight.reshape(weight.shape[0], -1), pairing)
    return w_a[:, None, :] * w_b[None, :, :] * (codes != IGNORE)


def ranking_loss(pair_head, embedding, codes, pairing="split", projection=None, weight=None):
    """Mean cross-entropy of the relation logits over the counted pairs and targets.

    Every target sees the same pairs, so this is also the mean over targets of each
    target's mean pair loss. The estimators take the mean over targets for regression (as
    the task loss, paper eq. 2) and the sum (``n_targets`` times this) for classification.

    Parameters
    ----------
    pair_head : sk_prnet.modules.PairHead
    embedding : Tensor of shape (N, d)
    codes : LongTensor of shape (N_a, N_b, n_targets)
        From :func:`pair_codes`; the caller skips batches with fewer than 2 counted pairs.
    pairing : {"split", "all"}, default="split"
    projection : Tensor of shape (N, 2 m) or None
        See :func:`pair_logits`.
    weight : Tensor of shape (N,), (N, 1) or (N, n_targets), or None, default=None
        Per-sample weights (the estimators scale them to mean 1 over the training set): the
        loss is then the mean over the counted pairs and targets of ``w_a * w_b`` times the
        pair's cross-entropy (:func:`pair_weights`), an unbiased batch estimate of the
        weighted mean over all pairs.

    Returns
    -------
    loss : Tensor (scalar)
    """
    target = codes.reshape(-1)
    reduction = "mean" if weight is None else "none"
    if pair_head.hidden is None:  # the paper's EEG head: the fast class-first layout
        if projection is None:
            projection = pair_head.sides(embedding)
        logits = _class_first_logits(projection, pairing, pair_head.n_targets)
        loss = class_first_nll(logits, target, reduction=reduction)
    else:
        logits = pair_logits(pair_head, embedding, pairing, projection).reshape(-1, 3)
        loss = F.cross_entropy(logits, target, ignore_index=IGNORE, reduction=reduction)
    if weight is None:
        return loss
    pair_w = pair_weights(weight.to(loss.dtype), codes, pairing)
    return (loss * pair_w.reshape(-1)).sum() / (codes != IGNORE).sum()


def soft_relation_targets(r1, r2, epsilon, tau):
    """Soft (lower, similar, higher) probabilities of pairs near the tolerance boundary.

    With ``d = r1 - r2``: ``P(higher) = sigmoid((d - epsilon) / tau)``, ``P(lower) =
    sigmoid((-d - epsilon) / tau)`` and ``P(similar)`` the rest (clipped at 0, then the
    three renormalized). Pairs far from ``|d| = epsilon`` keep near-hard labels; as ``tau``
    goes to 0 they become :func:`relation_codes`' one-hot labels (except exactly on the
    boundary, where they are split evenly).

    Parameters
    ----------
    r1, r2 : Tensor
        Values of the first and second members of the pairs (broadcast together).
    epsilon : float
        Rank tolerance.
    tau : float
        Softness (``> 0``), in the values' units.

    Returns
    -------
    p : Tensor of shape (*broadcast shape, 3)
        Probabilities in :func:`relation_codes`' order (0 lower, 1 similar, 2 higher).
    """
    diff = r1 - r2
    hi = torch.sigmoid((diff - epsilon) / tau)
    lo = torch.sigmoid((-diff - epsilon) / tau)
    p = torch.stack([lo, (1 - hi - lo).clamp_min(0), hi], dim=-1)
    return p / p.sum(dim=-1, keepdim=True)


def soft_ranking_loss(pair_head, embedding, rank, codes, epsilon, tau, pairing="split",
                      projection=None, weight=None):  # fmt: skip
    """Mean cross-entropy of the relation logits against soft labels (see
    :func:`soft_relation_targets`), over the pairs that ``codes`` counts.

    The same reduction as :func:`ranking_loss` (its value when ``tau`` goes to 0, for
    values off the boundary); ``codes`` only says which pairs count (pairing, groups).

    Parameters
    ----------
    pair_head : sk_prnet.modules.PairHead
    embedding : Tensor of shape (N, d)
    rank : Tensor of shape (N, n_targets)
        The batch's ranking values (those ``codes`` were built from).
    codes : LongTensor of shape (N_a, N_b, n_targets)
        From :func:`pair_codes` with the same ``rank``, ``epsilon`` and ``pairing``.
    epsilon : float
        Rank tolerance.
    tau : float
        Softness (``> 0``), in the values' units.
    pairing : {"split", "all"}, default="split"
    projection : Tensor of shape (N, 2 m) or None
        See :func:`pair_logits`.
    weight : Tensor of shape (N,), (N, 1) or (N, n_targets), or None, default=None
        Per-sample weights, as in :func:`ranking_loss`.

    Returns
    -------
    loss : Tensor (scalar)
    """
    logits = pair_logits(pair_head, embedding, pairing, projection)
    r1, r2 = _sides(rank, pairing)
    target = soft_relation_targets(r1[:, None, :], r2[None, :, :], epsilon, tau)
    losses = -(target.to(logits.dtype) * F.log_softmax(logits, dim=-1)).sum(-1)
    counted = codes != IGNORE
    if weight is None:
        pair_w = counted.to(losses.dtype)
    else:
        pair_w = pair_weights(weight.to(losses.dtype), codes, pairing)
    return (losses * pair_w).sum() / counted.sum()
