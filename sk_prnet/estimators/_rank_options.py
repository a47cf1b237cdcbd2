"""Opt-in variants of PRNet's ranking term (issue 16): soft relation labels near the
tolerance boundary, and a ranking weight that warms up or follows the losses' ratio.

The defaults are the paper's (hard labels, a fixed ``alpha``): on seven real data sets none
of the variants beat them (docs/when_ranking_helps.md). The class attributes below are the
defaults of estimators that do not take these parameters (``RankNetRegressor``, whose
pairwise loss is the whole loss).
"""

import numbers

import torch

from ..modules.pairing import soft_ranking_loss
from ._checks import _check_real

__all__ = ["RankLossOptionsMixin", "RANK_LABELS", "ALPHA_SCHEDULES"]

#: Accepted values of ``rank_labels``.
RANK_LABELS = ("hard", "soft")

#: Accepted values of ``alpha_schedule``.
ALPHA_SCHEDULES = (None, "warmup", "ratio")


class RankLossOptionsMixin:
    """``rank_labels``/``rank_softness`` and ``alpha_schedule``/``alpha_warmup_epochs``."""

    rank_labels = "hard"
    rank_softness = 0.1
    alpha_schedule = None
    alpha_warmup_epochs = 10

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

    def _soft_labels(self):
        """True when the batches must carry their ranking values (soft labels)."""
        return self._rank_weight > 0 and self.rank_labels == "soft"

    def _add_rank_loss(self, loss, y_pred, y_true, codes, sample_w):
        """``loss + w * scale * L_rank`` of a batch with counted pairs (``loss`` may be
        ``None``: no task loss), ``w`` the (scheduled) ranking weight."""
        scale = self._rank_output_scale(codes.shape[-1])
        if self.rank_labels == "soft":
            projection = y_pred[2] if len(y_pred) > 2 else None
            rank = soft_ranking_loss(
                self.module_.pair_head, y_pred[1], y_true["rank"], codes, self.rank_epsilon_,
                float(self.rank_softness), self.pairing, projection, sample_w,
            )  # fmt: skip
        else:
            rank = self.get_rank_loss(y_pred, codes, sample_w)
        weight = self._rank_weight
        if self.alpha_schedule == "warmup":
            # epochs of the history: a warm start continues the schedule, never restarts it
            # (the current epoch's row exists already during fit)
            epoch = max(len(self.history) - 1, 0)
            weight *= min(1.0, (epoch + 1) / self.alpha_warmup_epochs)
        elif self.alpha_schedule == "ratio" and loss is not None:
            # detached: the ratio sets the size of the ranking term, not its gradient's path
            weight = weight * loss.detach() / (scale * rank.detach()).clamp_min(1e-8)
        if not isinstance(weight, numbers.Real):
            return weight * scale * rank if loss is None else loss + weight * scale * rank
        scale = weight * scale
        # add's alpha scales in the same op (one autograd node fewer than mul + add)
        return scale * rank if loss is None else torch.add(loss, rank, alpha=scale)
