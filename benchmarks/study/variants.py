"""Prototypes of the issue-16 hypotheses as subclasses of :class:`sk_prnet.PRNetRegressor`.

None of them edits the package: each overrides one public hook, so the lead can port the ones
that help. All assume a regressor whose ranking values are its (standardized) task targets,
which is the case when ``fit`` gets no ``ranking_target``: then ``y_true["task"]`` in
``get_loss`` holds the values the pair relations are built from.

* :class:`SoftLabelPRNet` (``get_loss``): soft relation labels near the tolerance boundary.
* :class:`BalancedPRNet` (``get_loss``): α warm-up, or α scaled by the ratio of the losses.
* :class:`RankBlendPRNet` (``fit``, ``predict``): the trained ranking head at inference,
  blended with the task head.
* :class:`TaskValidationPRNet` (``get_loss``): with ``train_split``, the validation loss
  (what ``EarlyStopping`` monitors) is the task loss alone, so α > 0 does not change when
  training stops.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.isotonic import IsotonicRegression

from sk_prnet import PRNetRegressor
from sk_prnet.modules import pair_logits
from sk_prnet.modules.pairing import _sides

__all__ = [
    "SoftLabelPRNet", "BalancedPRNet", "RankBlendPRNet", "TaskValidationPRNet",
    "soft_relation_targets",
]


def soft_relation_targets(diff, epsilon, tau):
    """Soft (lower, similar, higher) probabilities of pairs whose target difference is ``diff``.

    ``P(higher) = sigmoid((diff - epsilon) / tau)``, ``P(lower) = sigmoid((-diff - epsilon) /
    tau)``, ``P(similar)`` the rest (clipped at 0, then renormalized). ``tau -> 0`` gives the
    paper's hard labels; pairs far from the boundary ``|diff| = epsilon`` keep near-hard
    labels, pairs near it get split labels.
    """
    hi = torch.sigmoid((diff - epsilon) / tau)
    lo = torch.sigmoid((-diff - epsilon) / tau)
    sim = (1 - hi - lo).clamp_min(0)
    p = torch.stack([lo, sim, hi], dim=-1)
    return p / p.sum(dim=-1, keepdim=True)


class SoftLabelPRNet(PRNetRegressor):
    """PRNet with soft relation labels (cross-entropy against :func:`soft_relation_targets`).

    Overrides ``get_loss``: the ranking term is recomputed from the batch's task targets with
    the pair layout of ``pairing="split"`` (``"all"`` is not supported by the prototype).

    Parameters
    ----------
    soft_tau : float, default=0.1
        Temperature of the boundary, in target units (SD units for standardized targets).
    """

    def __init__(self, module="mlp", *, soft_tau=0.1, **kwargs):
        super().__init__(module, **kwargs)
        self.soft_tau = soft_tau

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = self.get_task_loss(y_pred[0], y_true["task"])
        if self._rank_weight <= 0 or y_true.get("codes") is None:
            return loss
        if self.pairing != "split":
            raise ValueError("SoftLabelPRNet supports pairing='split' only.")
        r1, r2 = _sides(y_true["task"], "split")
        diff = r1[:, None, :] - r2[None, :, :]  # (N_a, N_b, T), the codes' layout
        target = soft_relation_targets(diff, self.rank_epsilon_, self.soft_tau)
        projection = y_pred[2] if len(y_pred) > 2 else None
        logits = pair_logits(self.module_.pair_head, y_pred[1], "split", projection)
        rank = -(target * F.log_softmax(logits, dim=-1)).sum(-1).mean()
        return loss + self._rank_weight * diff.shape[-1] * rank


class BalancedPRNet(PRNetRegressor):
    """PRNet with a scheduled or balanced ranking weight (overrides ``get_loss``).

    Parameters
    ----------
    balance : {"warmup", "ratio"}, default="ratio"
        ``"warmup"``: the weight grows linearly from ``alpha / warmup_epochs`` to ``alpha``
        over the first ``warmup_epochs`` epochs. ``"ratio"``: the weight is
        ``alpha * L_task / L_rank`` of the batch (both detached), so the ranking term always
        has ``alpha`` times the task loss's magnitude.
    warmup_epochs : int, default=10
    """

    def __init__(self, module="mlp", *, balance="ratio", warmup_epochs=10, **kwargs):
        super().__init__(module, **kwargs)
        self.balance = balance
        self.warmup_epochs = warmup_epochs

    def get_loss(self, y_pred, y_true, X=None, training=False):
        task = self.get_task_loss(y_pred[0], y_true["task"])
        codes = y_true.get("codes")
        if self._rank_weight <= 0 or codes is None:
            return task
        rank = self.get_rank_loss(y_pred, codes) * codes.shape[-1]
        weight = self._rank_weight
        if self.balance == "warmup":
            epoch = max(len(self.history) - 1, 0)  # the current epoch's row exists already
            weight = weight * min(1.0, (epoch + 1) / self.warmup_epochs)
        elif self.balance == "ratio":
            weight = weight * (task.detach() / rank.detach().clamp_min(1e-8))
        else:
            raise ValueError(f"balance must be 'warmup' or 'ratio', got {self.balance!r}.")
        return task + weight * rank


class RankBlendPRNet(PRNetRegressor):
    """PRNet whose ``predict`` can use the trained ranking head (overrides ``fit``/``predict``).

    After fitting, up to ``n_reference`` training samples are kept as a reference; their
    round-robin Borda scores (``rank_scores(X_ref)``) are mapped to their targets by isotonic
    regression. A new sample's score against the reference (``rank_scores(X,
    reference=X_ref)``) goes through that map, and ``predict`` returns
    ``(1 - blend) * task_head + blend * ranking_estimate``. ``blend`` is read at predict
    time, so one fit can be evaluated at several blends.

    Parameters
    ----------
    blend : float in [0, 1], default=0.0
        0 is the plain task head (PRNet's paper behaviour), 1 the ranking head alone.
    n_reference : int, default=1000
    """

    def __init__(self, module="mlp", *, blend=0.0, n_reference=1000, **kwargs):
        super().__init__(module, **kwargs)
        self.blend = blend
        self.n_reference = n_reference

    def fit(self, X, y, **fit_params):
        super().fit(X, y, **fit_params)
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.float64).ravel()
        if self._rank_weight > 0:
            rng = np.random.default_rng(0 if self.random_state is None else self.random_state)
            idx = np.sort(rng.permutation(len(y))[: self.n_reference])
            self.reference_X_ = X[idx]
            scores = self.rank_scores(self.reference_X_)
            self.rank_map_ = IsotonicRegression(out_of_bounds="clip").fit(scores, y[idx])
        return self

    def ranking_predict(self, X):
        """Targets estimated by the ranking head alone (comparisons with the reference)."""
        scores = self.rank_scores(X, reference=self.reference_X_)
        return self.rank_map_.predict(scores)

    def predict(self, X):
        task = super().predict(X)
        if self.blend == 0 or not hasattr(self, "rank_map_"):
            return task
        return (1 - self.blend) * task + self.blend * self.ranking_predict(X)


class TaskValidationPRNet(RankBlendPRNet):
    """:class:`RankBlendPRNet` whose validation loss is the task loss alone.

    With ``train_split`` and ``EarlyStopping(monitor="valid_loss")``, PRNet's validation loss
    is ``L_task + alpha * L_rank``; the ranking term keeps falling after the task term has
    stopped, so α > 0 trains longer than α = 0 under the same rule. Monitoring the task loss
    alone gives both the same stopping criterion (overrides ``get_loss`` when
    ``training=False``).
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if not training:
            return self.get_task_loss(y_pred[0], y_true["task"])
        return super().get_loss(y_pred, y_true, X=X, training=training)
