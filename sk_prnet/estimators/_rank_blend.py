"""The trained ranking head at inference (issue 16): ``PRNetRegressor(rank_blend=...)``.

The paper uses the ranking head only to shape the embedding. With ``rank_blend > 0`` the
regressor keeps a reference subsample of its training set; a sample's Borda score against
that reference (:meth:`rank_scores`) is mapped to a target by an isotonic regression fitted
on the reference's own round-robin scores and targets, and ``predict`` blends it with the
task head. On seven real data sets the ranking estimate alone was worse than the task head
and a 25 % blend about neutral (docs/when_ranking_helps.md), hence the default 0.
"""

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.utils import check_random_state

from ._validation import _check_real

__all__ = ["RankBlendMixin"]

_FITTED = ("rank_reference_X_", "rank_maps_")


class RankBlendMixin:
    """``rank_blend`` / ``rank_reference`` of :class:`PRNetRegressor`."""

    def _check_rank_blend(self):
        blend = _check_real("rank_blend", self.rank_blend, 0)
        if blend > 1:
            raise ValueError(f"rank_blend must be a number in [0, 1], got {blend!r}.")
        return float(blend)

    def _check_hyperparameters(self):
        device = super()._check_hyperparameters()
        if self._check_rank_blend() > 0 and self._rank_weight == 0:
            raise ValueError(
                "rank_blend > 0 predicts with the ranking head, which alpha=0 never trains; "
                "set alpha > 0 or rank_blend=0."
            )
        _check_real("rank_reference", self.rank_reference, 2, integer=True)
        return device

    def _after_fit(self, X, y):
        """Keep the reference and fit its score-to-target maps (only with rank_blend > 0:
        a reference of images can be large)."""
        for name in _FITTED:
            vars(self).pop(name, None)
        if self._check_rank_blend() == 0:
            return
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        n_ref = min(int(self.rank_reference), len(y2))
        idx = np.sort(check_random_state(self.random_state).permutation(len(y2))[:n_ref])
        self.rank_reference_X_ = X[idx]
        scores = self.rank_scores(self.rank_reference_X_).reshape(n_ref, -1)
        self.rank_maps_ = [
            IsotonicRegression(out_of_bounds="clip").fit(scores[:, k], y2[idx, k])
            for k in range(y2.shape[1])
        ]

    def predict(self, X):
        """Predict targets for ``X``: the task head, blended with the ranking head's
        estimate when ``rank_blend > 0``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            ``(1 - rank_blend) * task_head + rank_blend * ranking_estimate``, 1-D when the
            estimator was fitted on a 1-D ``y``.

        Raises
        ------
        ValueError
            If ``rank_blend > 0`` but the estimator was fitted with ``rank_blend=0`` (no
            reference was kept).
        """
        blend = self._check_rank_blend()
        task = super().predict(X)
        if blend == 0:
            return task
        if not hasattr(self, "rank_maps_"):
            raise ValueError(
                "rank_blend > 0 needs the ranking reference that fit keeps only when "
                "rank_blend > 0; fit again with rank_blend set (any value in (0, 1] keeps it)."
            )
        scores = self.rank_scores(X, reference=self.rank_reference_X_).reshape(len(task), -1)
        rank = np.column_stack([m.predict(scores[:, k]) for k, m in enumerate(self.rank_maps_)])
        return (1 - blend) * task + blend * rank.reshape(task.shape)
