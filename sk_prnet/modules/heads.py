"""Task heads and the factorized pairwise ranking head."""

import torch
from torch import nn

__all__ = ["TaskHead", "PairHead"]


class TaskHead(nn.Module):
    """Per-sample outputs for all targets at once.

    ``Linear(d, n_outputs)`` (paper EEG: one FC layer per target, fused into one matmul), or
    ``Linear(d, hidden) -> ReLU -> Linear(hidden, n_outputs)`` (paper images: FC 256 -> k).

    Parameters
    ----------
    in_features : int
        Embedding width ``d``.
    n_outputs : int
        Total outputs: the sum of the class counts of all targets, or the number of
        regression targets.
    hidden : int or None, default=None
        Width of the optional hidden layer.
    """

    def __init__(self, in_features, n_outputs, hidden=None):
        super().__init__()
        if hidden:
            self.net = nn.Sequential(
                nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, n_outputs)
            )
        else:
            self.net = nn.Linear(in_features, n_outputs)

    def forward(self, embedding):
        """Task outputs of embeddings: ``(N, d)`` -> ``(N, n_outputs)``."""
        return self.net(embedding)


class PairHead(nn.Module):
    """Ranking head on the concatenated pair embedding ``[e1; e2]``, one per target.

    The first layer acting on the concatenation is ``W [e1; e2] + b = W1 e1 + W2 e2 + b``, so
    it is computed *factorized*: ``W1 E_a`` and ``W2 E_b`` once per sample, then broadcast-added
    over pairs. Pair logits never materialize an ``N_a x N_b x 2d`` tensor; the largest
    pairwise tensor is ``N_a x N_b x n_targets x width`` (``width`` = 3, or ``hidden``).

    Parameters
    ----------
    in_features : int
        Embedding width ``d``.
    n_targets : int
        Number of targets, each with its own head.
    hidden : int or None, default=None
        ``None``: one linear layer ``2d -> 3`` per target (paper EEG). An int: ``2d -> hidden
        -> ReLU -> 3`` per target (paper images, ``hidden=256``).

    Attributes
    ----------
    sides : nn.Linear
        ``[W1; W2]`` and ``[b1; b2]`` for all targets: ``d -> 2 * n_targets * width``; the
        first layer's bias is ``b1 + b2`` (see :meth:`first_layer`).
    out_weight, out_bias : nn.Parameter or None
        Per-target second layer ``(n_targets, hidden, 3)`` and ``(n_targets, 3)``.
    """

    def __init__(self, in_features, n_targets, hidden=None):
        super().__init__()
        self.n_targets = int(n_targets)
        self.hidden = int(hidden) if hidden else None
        self.width = self.hidden or 3
        m = self.n_targets * self.width
        # One matmul gives both halves [W1 e + b1; W2 e + b2]. Their sum is exactly
        # Linear(2d, m) on [e1; e2] with W = [W1, W2] and b = b1 + b2 (b2 starts at 0, so the
        # initial layer is distributed like nn.Linear(2d, m)'s); keeping a bias on both
        # halves saves a separate bias op in every training step.
        bound = (2 * in_features) ** -0.5
        self.sides = nn.Linear(in_features, 2 * m)
        with torch.no_grad():
            self.sides.weight.uniform_(-bound, bound)
            self.sides.bias[:m].uniform_(-bound, bound)
            self.sides.bias[m:].zero_()
        if self.hidden:
            b2 = self.hidden**-0.5
            self.out_weight = nn.Parameter(
                torch.empty(self.n_targets, self.hidden, 3).uniform_(-b2, b2)
            )
            self.out_bias = nn.Parameter(torch.empty(self.n_targets, 3).uniform_(-b2, b2))
        else:
            self.register_parameter("out_weight", None)
            self.register_parameter("out_bias", None)

    def first_layer(self):
        """The equivalent unfactorized first layer: ``W = [W1, W2]`` (m, 2d) and ``b`` (m,)."""
        w1, w2 = self.sides.weight.chunk(2, dim=0)
        b1, b2 = self.sides.bias.chunk(2)
        return torch.cat([w1, w2], dim=1), b1 + b2

    def project(self, embedding, projection=None):
        """Per-sample halves of the first layer: ``(W1 e + b1, W2 e + b2)``, each ``(N, m)``.

        Parameters
        ----------
        embedding : Tensor of shape (N, d)
            The samples' embeddings.
        projection : Tensor of shape (N, 2 * m), default=None
            ``self.sides(embedding)`` when it was already computed (e.g. jointly with the
            task head), so only the split is left; ``m = n_targets * width``.

        Returns
        -------
        first, second : Tensor of shape (N, m)
        """
        if projection is None:
            projection = self.sides(embedding)
        return projection.chunk(2, dim=1)

    def _finish(self, pre):
        """Optional second layer; ``pre`` is ``(..., n_targets * width)``."""
        pre = pre.unflatten(-1, (self.n_targets, self.width))
        if self.hidden is None:
            return pre
        return torch.einsum("...th,thc->...tc", torch.relu(pre), self.out_weight) + self.out_bias

    def pair_logits(self, a, b):
        """Relation logits of every pair ``(i, j)``: ``(N_a, N_b, n_targets, 3)``.

        Parameters
        ----------
        a : Tensor of shape (N_a, m)
            First-position halves (:meth:`project`'s ``first``) of the pairs' first samples.
        b : Tensor of shape (N_b, m)
            Second-position halves of the pairs' second samples.

        Returns
        -------
        logits : Tensor of shape (N_a, N_b, n_targets, 3)
        """
        return self._finish(a.unsqueeze(1) + b)

    def rowwise_logits(self, a, b):
        """Relation logits of the aligned pairs ``(a[i], b[i])``: ``(N, n_targets, 3)``.

        Parameters
        ----------
        a, b : Tensor of shape (N, m)
            First- and second-position halves of each pair's two samples.

        Returns
        -------
        logits : Tensor of shape (N, n_targets, 3)
        """
        return self._finish(a + b)

    def forward(self, e1, e2):
        """Relation logits of aligned pairs of embeddings ``(N, d)`` -> ``(N, n_targets, 3)``."""
        return self.rowwise_logits(self.project(e1)[0], self.project(e2)[1])
