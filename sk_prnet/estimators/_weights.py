"""Sample and class weights of the PRNet losses (scikit-learn semantics, SGD batches)."""

import torch

from ..modules.losses import unreduced

__all__ = ["LossWeightsMixin"]


class LossWeightsMixin:
    """Per-sample loss weights for the batches, and the criterion's per-sample losses.

    The weights are scaled to mean 1 over the training set and a batch's loss is
    ``mean(w_i * loss_i)`` (pairs: ``w_a * w_b``); see :meth:`_mean_one`.
    """

    def _loss_weights(self, sample_weight, task):
        """Per-sample loss weights carried by the batches: ``(n, 1)`` (all outputs) or
        ``(n, n_outputs)`` float32 tensor, or ``None`` for unweighted losses."""
        if sample_weight is None:
            return None
        return self._mean_one(sample_weight[:, None])

    @staticmethod
    def _mean_one(weights):
        """``weights`` (n, k) scaled to mean 1 per column, as a float32 tensor.

        A batch's loss is then ``mean(w_i * loss_i)``: its expectation over the batches is
        the weighted mean over the training set (``sum w_i loss_i / sum w_i``), on the scale
        of the unweighted loss (so ``lr`` keeps its meaning). A ratio per batch
        (``sum / sum of the batch's weights``) would give a batch of light samples the full
        weight of a batch.
        """
        mean = weights.mean(axis=0)
        if not (mean > 0).all():
            raise ValueError(
                "The sample weights (times the class weights) are all zero for an output; "
                "give some samples a positive weight."
            )
        return torch.as_tensor(weights / mean, dtype=torch.float32)

    def _unreduced_criterion(self, *args):
        """The criterion's per-element losses (``reduction="none"``), for weighted means."""
        return unreduced(self.criterion_, *args)
