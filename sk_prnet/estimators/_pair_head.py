"""PRNet's trainable pair head in an estimator: its module, ``alpha`` and pairwise inference.

The estimators that have a pair head (:class:`~sk_prnet.PRNetClassifier`,
:class:`~sk_prnet.PRNetRegressor`) add this piece to ``PRNetBase``; RankNet, whose
preference is a fixed function of its scores, does not, so it has neither ``alpha`` nor
``compare``/``rank_scores``.
"""

from ..modules import build_prnet
from ._inference import PairwiseInferenceMixin
from ._rank_options import RankLossOptionsMixin

__all__ = ["PairHeadMixin"]

# module__* keys consumed by the PRNet module itself; every other one goes to the backbone.
_HEAD_PARAMS = ("task_hidden", "ranking_hidden")


class PairHeadMixin(PairwiseInferenceMixin, RankLossOptionsMixin):
    """The PRNet module (backbone, task head, pair head), ``alpha`` and its options, and
    ``compare``/``rank_scores`` (private)."""

    def _build_module(self, kwargs):
        """The PRNet module for the fitted input shape and targets."""
        heads = {k: kwargs.pop(k) for k in _HEAD_PARAMS if k in kwargs}
        return build_prnet(
            self.module, self.input_shape_, self._n_task_outputs(), self.n_targets_,
            **heads, **kwargs,
        )  # fmt: skip
