"""``alpha`` and the opt-in variants of PRNet's ranking term (issue 16): soft relation
labels near the tolerance boundary, and a ranking weight that warms up or follows the
losses' ratio.

Only estimators with a trainable pair head have these parameters (through
:class:`~sk_prnet.estimators._pair_head.PairHeadMixin`). The defaults are the paper's (hard
labels, a fixed ``alpha``): on seven real data sets none of the variants beat them
(docs/when_ranking_helps.md).
"""

from ..modules.losses import PairwiseRankingLoss
from ..modules.pairing import soft_ranking_loss
from ._validation import _check_real

__all__ = ["RankLossOptionsMixin", "RANK_LABELS", "ALPHA_SCHEDULES"]

#: Accepted values of ``rank_labels``.
RANK_LABELS = ("hard", "soft")

#: Accepted values of ``alpha_schedule``.
ALPHA_SCHEDULES = (None, "warmup", "ratio")


class RankLossOptionsMixin:
    """``alpha``, ``rank_labels``/``rank_softness`` and ``alpha_schedule``/
    ``alpha_warmup_epochs``."""

    def _ranking_weight(self):
        """The validated weight of the ranking loss (``alpha``; 0 skips pairing entirely),
        after checking the ranking term's options."""
        weight = float(_check_real("alpha", self.alpha, 0))
        self._check_rank_options()
        return weight

    def _check_rank_options(self):
        if not isinstance(self.rank_labels, str) or self.rank_labels not in RANK_LABELS:
            raise ValueError(
                f"rank_labels must be one of {RANK_LABELS}, got {self.rank_labels!r}."
            )
        _check_real("rank_softness", self.rank_softness, 0, strict=True)
        if self.alpha_schedule is not None and (
            not isinstance(self.alpha_schedule, str) or self.alpha_schedule not in ALPHA_SCHEDULES
        ):
            raise ValueError(
                f"alpha_schedule must be one of {ALPHA_SCHEDULES}, got {self.alpha_schedule!r}."
            )
        _check_real("alpha_warmup_epochs", self.alpha_warmup_epochs, 1, integer=True)
        spec = self.rank_criterion
        default = spec is PairwiseRankingLoss or type(spec) is PairwiseRankingLoss
        if self.rank_labels == "soft" and not default:
            raise ValueError(
                "rank_labels='soft' replaces the pair loss by PRNet's cross-entropy against "
                f"soft labels, so it cannot be combined with rank_criterion={spec!r}; use "
                "rank_labels='hard' with your pair loss, or the default rank_criterion."
            )

    def _soft_labels(self):
        """True when the batches must carry their ranking values (soft labels)."""
        return self._rank_weight > 0 and self.rank_labels == "soft"

    def _rank_term(self, y_pred, y_true, codes, sample_w):
        """The pair loss of a batch: against soft labels with ``rank_labels="soft"``."""
        if self.rank_labels != "soft":
            return self.get_rank_loss(y_pred, codes, sample_w)
        projection = y_pred[2] if len(y_pred) > 2 else None
        return soft_ranking_loss(
            self.module_.pair_head, y_pred[1], y_true["rank"], codes, self.rank_epsilon_,
            float(self.rank_softness), self.pairing, projection, sample_w,
        )  # fmt: skip

    def _batch_rank_weight(self, loss, rank, scale):
        """``alpha``, scheduled: warmed up over the history's epochs, or set from the
        batch's loss ratio (detached)."""
        weight = self._rank_weight
        if self.alpha_schedule == "warmup":
            # epochs of the history: a warm start continues the schedule, never restarts it
            # (the current epoch's row exists already during fit)
            epoch = max(len(self.history) - 1, 0)
            weight *= min(1.0, (epoch + 1) / self.alpha_warmup_epochs)
        elif self.alpha_schedule == "ratio" and loss is not None:
            # detached: the ratio sets the size of the ranking term, not its gradient's path
            weight = weight * loss.detach() / (scale * rank.detach()).clamp_min(1e-8)
        return weight
