"""Pair losses: the ``rank_criterion`` of the estimators, as small ``nn.Module``.

Every pair loss has the same call (the *pair-loss contract*)::

    loss = rank_criterion(y_pred, codes, weight=None, *, module, pairing="split")

* ``y_pred`` is the module's output for the batch, a tuple: ``y_pred[0]`` the task head's
  output ``(N, n_task_outputs)`` (RankNet: the scores ``(N, n_targets)``), ``y_pred[1]``
  the embeddings ``(N, d)`` and, when the module has
  :meth:`~sk_prnet.modules.PRNetModule.forward_with_projection`, ``y_pred[2]`` the pair
  head's per-sample first layer ``(N, 2 m)`` (``pair_head.sides(embedding)``, optional).
* ``codes`` are the batch's relation labels ``(N_a, N_b, n_targets)`` from
  :func:`~sk_prnet.modules.pair_codes`: 0 lower, 1 similar, 2 higher,
  :data:`~sk_prnet.modules.IGNORE` for pairs that do not count (the diagonal, pairs across
  ``rank_groups``). With ``pairing="split"`` row ``i`` is sample ``i`` and column ``j`` is
  sample ``N // 2 + j``; with ``"all"`` both are sample indices. A batch reaches the loss
  only with at least one counted pair.
* ``weight`` is ``None`` or the batch's per-sample weights ``(N, 1)`` or
  ``(N, n_targets)``, scaled to mean 1 over the training set; a pair weighs ``w_a * w_b``
  (:func:`~sk_prnet.modules.pairing.pair_weights`).
* ``module`` is the estimator's ``module_`` (e.g. ``module.pair_head``), ``pairing`` the
  estimator's ``pairing``.
* The result is a scalar: the **mean over the counted pairs and the targets** (weighted:
  the sum of ``w_a * w_b * loss`` over counted pairs and targets divided by the number of
  counted ones). The estimator multiplies it by its per-output factor (1 for the
  regressors, which average their losses over outputs; ``n_targets`` for the classifier,
  which sums them) and by the ranking weight ``alpha``.

A new pair loss is a new ``nn.Module`` with this ``forward``, passed as
``rank_criterion=`` (class, with ``rank_criterion__*`` constructor arguments, or instance).
No scikit-learn here: the estimators build and call these modules.
"""

import torch.nn.functional as F
from torch import nn

from .pairing import pair_weights, ranking_loss
from .ranknet import ranknet_pair_grid, ranknet_pairs

__all__ = ["PairwiseRankingLoss", "RankNetLoss", "unreduced"]


class PairwiseRankingLoss(nn.Module):
    """PRNet's pair loss: cross-entropy of the pair head's (lower, similar, higher) logits.

    The paper's ranking loss (:func:`sk_prnet.modules.ranking_loss`) on the trainable pair
    head ``module.pair_head``; the default ``rank_criterion`` of :class:`PRNetClassifier
    <sk_prnet.PRNetClassifier>` and :class:`PRNetRegressor <sk_prnet.PRNetRegressor>`. It
    follows the pair-loss contract of :mod:`sk_prnet.modules.losses`.

    Examples
    --------
    >>> import torch
    >>> from sk_prnet.modules import PairwiseRankingLoss, build_prnet, pair_codes
    >>> net = build_prnet("mlp", (4,), n_task_outputs=1, n_targets=1, hidden_sizes=(8,))
    >>> x, r = torch.randn(6, 4), torch.arange(6.0)[:, None]
    >>> loss = PairwiseRankingLoss()(net(x), pair_codes(r, 0.5), module=net)
    >>> loss.shape
    torch.Size([])
    """

    def __init__(self):
        super().__init__()

    def forward(self, y_pred, codes, weight=None, *, module, pairing="split"):
        """Mean cross-entropy of the relation logits over the counted pairs and targets.

        Parameters
        ----------
        y_pred : tuple of Tensor
            ``(task_output (N, k), embedding (N, d)[, projection (N, 2 m)])``.
        codes : LongTensor of shape (N_a, N_b, n_targets)
            Relation codes of the batch's pairs.
        weight : Tensor of shape (N, 1) or (N, n_targets), default=None
            Per-sample weights scaled to mean 1 (``None``: unweighted).
        module : nn.Module
            The estimator's module, with a ``pair_head``.
        pairing : {"split", "all"}, default="split"

        Returns
        -------
        loss : Tensor of shape ()
        """
        projection = y_pred[2] if len(y_pred) > 2 else None
        return ranking_loss(module.pair_head, y_pred[1], codes, pairing, projection, weight)


class RankNetLoss(nn.Module):
    """RankNet's pair loss (Burges et al., 2005): ``criterion(s_a - s_b, target)``.

    ``P(x_a ≻ x_b) = sigmoid(s_a - s_b)`` with the scores ``s = y_pred[0]`` ``(N, n_targets)``,
    against the target 1 (higher), 0 (lower) or 1/2 (similar), under binary cross-entropy
    (:class:`torch.nn.BCEWithLogitsLoss`) or ``criterion``. It follows the pair-loss contract
    of :mod:`sk_prnet.modules.losses`; the default ``rank_criterion`` of
    :class:`RankNetRegressor <sk_prnet.RankNetRegressor>`, which passes its own
    ``criterion_`` as ``criterion``.

    Parameters
    ----------
    criterion : nn.Module or None, default=None
        Applied to the counted pairs' logits and soft targets, both ``(n_counted,)``;
        ``None``: binary cross-entropy on logits. Plain binary cross-entropy and weighted
        losses are evaluated on all pairs with a mask (the same mean, without a
        device-to-host synchronization per step).

    Examples
    --------
    >>> import torch
    >>> from sk_prnet.modules import RankNetLoss, pair_codes
    >>> scores = torch.tensor([[2.0], [0.0], [1.0], [1.0]])
    >>> codes = pair_codes(scores, 0.5)  # pairs (0, 2) and (1, 3), "split" pairing
    >>> RankNetLoss()((scores, None), codes, module=None).shape
    torch.Size([])
    """

    def __init__(self, criterion=None):
        super().__init__()
        self.criterion = criterion

    def forward(self, y_pred, codes, weight=None, *, module=None, pairing="split"):
        """Mean criterion of the counted pairs' score differences.

        Parameters
        ----------
        y_pred : tuple of Tensor
            ``y_pred[0]`` holds the scores ``(N, n_targets)``.
        codes : LongTensor of shape (N_a, N_b, n_targets)
            Relation codes of the batch's pairs.
        weight : Tensor of shape (N, 1) or (N, n_targets), default=None
            Per-sample weights scaled to mean 1 (``None``: unweighted): the mean over the
            counted pairs of ``w_a * w_b`` times each pair's loss.
        module : nn.Module, default=None
            Unused (the preference is a fixed function of the scores).
        pairing : {"split", "all"}, default="split"

        Returns
        -------
        loss : Tensor of shape ()
        """
        crit = self.criterion
        if weight is not None:
            logits, targets, mask = ranknet_pair_grid(y_pred[0], codes, pairing)
            if crit is None:
                losses = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
            else:
                losses = unreduced(crit, logits, targets)
            pair_w = pair_weights(weight.to(losses.dtype), codes, pairing)
            return (losses * pair_w).sum() / mask.sum()
        if crit is None or _plain_bce(crit):
            logits, targets, mask = ranknet_pair_grid(y_pred[0], codes, pairing)
            total = F.binary_cross_entropy_with_logits(logits, targets, mask, reduction="sum")
            return total / mask.sum()
        logits, targets = ranknet_pairs(y_pred[0], codes, pairing)
        return crit(logits, targets)


def _plain_bce(crit):
    return (
        type(crit) is nn.BCEWithLogitsLoss
        and crit.reduction == "mean"
        and crit.weight is None
        and crit.pos_weight is None
    )


def unreduced(criterion, *args):
    """Per-element losses of a torch loss: ``criterion(*args)`` with ``reduction="none"``.

    Parameters
    ----------
    criterion : nn.Module
        A loss with a ``reduction`` attribute, as torch's losses have; it is restored after
        the call.
    *args
        The loss's inputs.

    Returns
    -------
    losses : Tensor

    Raises
    ------
    ValueError
        If ``criterion`` has no ``reduction`` attribute (weighted means need per-sample
        losses).
    """
    if not isinstance(getattr(criterion, "reduction", None), str):
        raise ValueError(
            f"Sample or class weights need a criterion with a `reduction` attribute (as "
            f"torch's losses have), to get per-sample losses; {type(criterion).__name__} has "
            "none. Use a torch loss, or fit without weights."
        )
    reduction, criterion.reduction = criterion.reduction, "none"
    try:
        return criterion(*args)
    finally:
        criterion.reduction = reduction
