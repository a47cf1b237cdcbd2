"""The two kinds of targets, as pieces the estimators combine with ``PRNetBase``.

Each piece validates and encodes ``y`` (``_encode_targets``: encoded task targets, the
values whose pairwise order the ranking loss learns, and their tolerance), sizes the task
head (``_n_task_outputs``) and turns task outputs back into predictions (``_decode``):

* :class:`ClassificationTargetsMixin`: labels to class codes per output (``classes_``,
  ``class_order_``), ranked by their position in ``class_order``;
* :class:`RegressionTargetsMixin`: real values (optionally standardized), ranked with
  ``epsilon`` in the targets' own units.
"""

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets

from ..ordinal import class_ranks
from ._validation import _Unavailable

__all__ = ["ClassificationTargetsMixin", "RegressionTargetsMixin"]


class ClassificationTargetsMixin:
    """Class labels per output: codes for the cross-entropy, class ranks for the pairs.

    Needs ``class_order`` (``None``: sorted labels) from the estimator; ``partial_fit`` may
    set ``_partial_fit_classes`` for the duration of the call.
    """

    _y_numeric = False

    def _per_output_order(self, n_outputs):
        order = self.class_order
        if order is None:
            return [None] * n_outputs
        is_nested = len(order) > 0 and all(isinstance(o, list | tuple | np.ndarray) for o in order)
        if not is_nested:
            return [np.asarray(order)] * n_outputs
        if len(order) != n_outputs:
            raise ValueError(
                f"class_order gives {len(order)} orders but y has {n_outputs} outputs; "
                "give one order per output, or one order for all."
            )
        return [np.asarray(o) for o in order]

    def _encode_targets(self, y, reset=True):
        check_classification_targets(y)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if not reset:
            return self._encode_known(y2)
        self._y_ndim_ = np.ndim(y)
        orders = self._per_output_order(y2.shape[1])
        classes, codes, ranks, used_orders = [], [], [], []
        given = getattr(self, "_partial_fit_classes", None)
        for t in range(y2.shape[1]):
            cls, code = np.unique(y2[:, t], return_inverse=True)
            if given is not None:  # partial_fit(classes=...): every class known up front
                cls = np.unique(given if y.ndim == 1 else given[t])
                code = np.searchsorted(cls, y2[:, t]).clip(0, cls.size - 1)
                if (cls[code] != y2[:, t]).any():
                    raise ValueError("y contains labels missing from `classes`.")
            if cls.size < 2:
                hint = (
                    " In partial_fit, pass every class with classes=... on the first call."
                    if hasattr(self, "_partial_fit_classes")
                    else ""
                )
                raise ValueError(
                    f"The target{'' if y.ndim == 1 else f' in column {t}'} has only one "
                    f"class ({cls[0]!r}); a classifier needs samples of at least 2 "
                    f"classes.{hint}"
                )
            order = cls if orders[t] is None else orders[t]
            ranks.append(class_ranks(y2[:, t], order))
            classes.append(cls)
            codes.append(code.reshape(-1))
            used_orders.append(order)
        self.classes_ = classes[0] if y.ndim == 1 else classes
        self.class_order_ = used_orders[0] if y.ndim == 1 else used_orders
        self._n_classes = [c.size for c in classes]
        task = torch.as_tensor(np.stack(codes, axis=1), dtype=torch.long)
        # Class ranks are integers, so tolerance 0 gives Table III's strict order.
        return task, np.stack(ranks, axis=1).astype(np.float64), 0.0

    def _encode_known(self, y2):
        """Encode ``y2`` with the fitted classes (continued training)."""
        classes = self.classes_ if self._y_ndim_ > 1 else [self.classes_]
        orders = self.class_order_ if self._y_ndim_ > 1 else [self.class_order_]
        if y2.shape[1] != len(classes):
            raise ValueError(
                f"y has {y2.shape[1]} outputs but the estimator was fitted on {len(classes)}."
            )
        codes = []
        for t, cls in enumerate(classes):
            code = np.searchsorted(cls, y2[:, t]).clip(0, cls.size - 1)
            unseen = cls[code] != y2[:, t]
            if unseen.any():
                hint = (
                    "pass every class with classes=... on the first partial_fit call"
                    if hasattr(self, "_partial_fit_classes")
                    else "refit from scratch to add classes"
                )
                raise ValueError(
                    f"y contains labels {np.unique(y2[unseen, t]).tolist()} not seen in the "
                    f"first fit (classes {cls.tolist()}); {hint}."
                )
            codes.append(code)
        ranks = [class_ranks(y2[:, t], o) for t, o in enumerate(orders)]
        task = torch.as_tensor(np.stack(codes, axis=1), dtype=torch.long)
        return task, np.stack(ranks, axis=1).astype(np.float64), 0.0

    def _n_task_outputs(self):
        return int(sum(self._n_classes))

    def _probabilities(self, task_out):
        return [torch.softmax(lg, dim=1).numpy() for lg in task_out.split(self._n_classes, 1)]

    def _decode(self, task_out):
        classes = self.classes_ if self._y_ndim_ > 1 else [self.classes_]
        labels = [
            c[lg.argmax(dim=1).numpy()]
            for c, lg in zip(classes, task_out.split(self._n_classes, 1))
        ]
        return labels[0] if self._y_ndim_ == 1 else np.stack(labels, axis=1)


class RegressionTargetsMixin:
    """Real-valued targets per output, ranked with ``epsilon`` in their own units.

    ``standardize_target`` (a parameter of :class:`~sk_prnet.PRNetRegressor`) trains on
    standardized targets; estimators without that parameter (RankNet, whose scores have no
    unit) keep this class default.
    """

    _y_numeric = True
    standardize_target = False

    predict_proba = _Unavailable("predict_proba", "a regressor has no class probabilities")

    def _encode_targets(self, y, reset=True):
        if reset:
            self._y_ndim_ = np.ndim(y)
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if not reset and y2.shape[1] != self.n_targets_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs but the estimator was fitted on {self.n_targets_}."
            )
        task = y2
        if reset:  # a warm start keeps the first fit's scale
            _fit_target_scale(self, y2, self.standardize_target)
        if hasattr(self, "target_mean_"):
            task = (y2 - self.target_mean_) / self.target_scale_
        # the ranking values stay y2: epsilon is in the targets' own units either way.
        # astype copies: a read-only y (e.g. a memmap) never reaches torch.as_tensor
        return torch.from_numpy(task.astype(np.float32)), y2, float(self.epsilon)

    def _n_task_outputs(self):
        return self.n_targets_

    def _decode(self, task_out):
        out = task_out.numpy().astype(np.float64)
        if hasattr(self, "target_mean_"):  # fitted with standardize_target=True
            out = out * self.target_scale_ + self.target_mean_
        return out[:, 0] if self._y_ndim_ == 1 else out


def _fit_target_scale(est, y2, standardize):
    """Set (or clear) ``est.target_mean_`` / ``target_scale_`` for 2-D targets ``y2``."""
    if not isinstance(standardize, bool | np.bool_):
        raise ValueError(f"standardize_target must be True or False, got {standardize!r}.")
    for name in ("target_mean_", "target_scale_"):
        vars(est).pop(name, None)
    if standardize:
        est.target_mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        est.target_scale_ = np.where(scale > np.finfo(np.float64).eps, scale, 1.0)
