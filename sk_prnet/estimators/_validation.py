"""Input validation of the PRNet estimators, in scikit-learn's manner."""

import numpy as np
import torch
from sklearn.utils.validation import _check_sample_weight, check_array

from ._batches import TrainingBatches

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - the package requires scikit-learn >= 1.6
    validate_data = None

__all__ = ["InputValidationMixin"]


class InputValidationMixin:
    """Checks of ``X``, ``y``, ``ranking_target``, ``rank_groups`` and ``sample_weight``
    (``validate_data``, ``n_features_in_``, the shape of one sample), shared by the PRNet
    estimators."""

    def _validate_X(self, X, *, reset):
        if isinstance(X, TrainingBatches):  # a fit's own dataset, as skorch's scorers pass it
            return X
        if isinstance(X, torch.Tensor):  # e.g. a training batch, from skorch's BatchScoring
            X = X.detach().cpu().numpy()
        kwargs = dict(allow_nd=True, dtype=self._input_dtype(X), ensure_all_finite=True)
        if validate_data is not None:
            X = validate_data(self, X, reset=reset, **kwargs)
        else:  # pragma: no cover
            X = check_array(X, **kwargs)
        self._check_sample_shape(X, reset=reset)
        return X

    @staticmethod
    def _input_dtype(X):
        """uint8 images are kept as they are (scaled by 1/255 batch by batch on the device);
        everything else is validated as float32/float64."""
        return None if getattr(X, "dtype", None) == np.uint8 else (np.float32, np.float64)

    def _check_sample_shape(self, X, *, reset):
        """Record (``reset``) or check the shape of one sample (images: all axes, not just 1)."""
        if reset:
            self.input_shape_ = tuple(X.shape[1:])
        elif tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but {type(self).__name__} "
                f"was fitted on samples of shape {self.input_shape_}."
            )

    def _validate_fit_y(self, X, y, *, reset):
        """Validate X and y together (``reset`` sets ``n_features_in_``); y checked finite."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X, y = validate_data(
            self, X, y, reset=reset, multi_output=True, allow_nd=True,
            dtype=self._input_dtype(X), ensure_all_finite=True, y_numeric=self._y_numeric,
        )  # fmt: skip
        self._check_sample_shape(X, reset=reset)
        if not reset and np.ndim(y) != self._y_ndim_:
            raise ValueError(
                f"y has {np.ndim(y)} dimension(s) but the estimator was fitted on a "
                f"{self._y_ndim_}-D y; continue training with targets of the same shape."
            )
        return X, y

    def _validate_ranking_target(self, ranking_target, n_samples, n_targets):
        r = check_array(
            ranking_target, ensure_2d=False, dtype=np.float64, ensure_all_finite=True,
            input_name="ranking_target",
        )  # fmt: skip
        if r.ndim == 1:
            r = r[:, None]
        if r.ndim != 2 or r.shape[0] != n_samples or r.shape[1] != n_targets:
            raise ValueError(
                f"ranking_target must have shape ({n_samples},) or ({n_samples}, {n_targets}) "
                f"to match y (one column per output); got {np.shape(ranking_target)}."
            )
        return r

    @staticmethod
    def _validate_sample_weight(sample_weight, X):
        """``None``, or non-negative float64 weights, one per sample, not all zero."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)

    @staticmethod
    def _encode_groups(rank_groups, n_samples):
        groups = np.asarray(rank_groups)
        if groups.ndim != 1 or groups.shape[0] != n_samples:
            raise ValueError(
                f"rank_groups must be a 1-D array with one group id per sample ({n_samples}); "
                f"got shape {groups.shape}."
            )
        _, codes = np.unique(groups, return_inverse=True)
        return torch.as_tensor(codes.reshape(-1), dtype=torch.long)
