"""Validation of the PRNet estimators' inputs and settings, in scikit-learn's manner.

``X``, ``y`` and the fit metadata (:class:`InputValidationMixin`), hyperparameter values
(``_check_real``), devices (``resolve_device`` and the RNG forking of a fit's device), and
the small descriptors and predicates the estimators share.
"""

import numbers

import numpy as np
import torch
from sklearn.utils.validation import _check_sample_weight, check_array
from skorch.callbacks import Callback

from ._batches import TrainingBatches

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - the package requires scikit-learn >= 1.6
    validate_data = None

__all__ = [
    "InputValidationMixin", "resolve_device", "loadable_device", "forked_devices", "seed_forked",
]  # fmt: skip


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


def resolve_device(device, *, cuda_available=None, device_count=None):
    """Turn ``"auto"``/a string/a ``torch.device`` into an available ``torch.device``.

    Parameters
    ----------
    device : "auto", None, str or torch.device
    cuda_available, device_count : bool and int, default=None
        What this machine has (``None``: ask torch); passed explicitly by tests.

    Raises
    ------
    ValueError
        For an unknown device string, CUDA requested where it is not available, or a CUDA
        ordinal (``"cuda:1"``) this machine does not have.
    """
    if cuda_available is None:
        cuda_available = torch.cuda.is_available()
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if cuda_available else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if dev.type == "cuda" and not cuda_available:
        raise ValueError(
            f"device={device!r} asks for CUDA, which is not available here; use "
            "device='auto' to take CUDA when present and the CPU otherwise."
        )
    if dev.type == "cuda" and dev.index is not None:
        count = torch.cuda.device_count() if device_count is None else device_count
        if dev.index >= count:
            raise ValueError(
                f"device={device!r} asks for CUDA device {dev.index}, but this machine has "
                f"{count} (cuda:0 to cuda:{count - 1}); use 'cuda' for the current device."
            )
    return dev


def loadable_device(device, *, cuda_available=None, device_count=None):
    """The device an unpickled estimator saved on ``device`` can use on this machine.

    Returns ``(device, reason)``: the device itself and ``None`` when it exists here, else
    the CPU and why (no CUDA, or fewer CUDA devices than the saved ordinal).
    """
    try:
        return resolve_device(
            device, cuda_available=cuda_available, device_count=device_count
        ), None
    except ValueError as exc:
        return torch.device("cpu"), str(exc)


def forked_devices(device, current_index=None):
    """The CUDA device indices whose RNG a fit on ``device`` uses (to fork and seed).

    ``"cuda"`` without an index means the current CUDA device (``current_index``, or
    ``torch.cuda.current_device()`` when None); the CPU and other devices need none.
    """
    if device.type != "cuda":
        return []
    if device.index is not None:
        return [device.index]
    return [torch.cuda.current_device() if current_index is None else int(current_index)]


def seed_forked(seed, devices):
    """Seed the CPU generator and only the given CUDA devices' generators.

    ``torch.manual_seed`` would seed every CUDA device, including those a ``fork_rng`` over
    ``devices`` does not restore.
    """
    torch.default_generator.manual_seed(seed)
    for index in devices:
        with torch.cuda.device(index):
            torch.cuda.manual_seed(seed)


def _check_real(name, value, low, *, strict=False, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value > low if strict else value >= low)
    if not ok:
        bound = f"> {low}" if strict else f">= {low}"
        what = "an integer" if integer else "a finite number"
        raise ValueError(f"{name} must be {what} {bound}, got {value!r}.")
    return value


def _overrides(cb, name):
    """True when callback ``cb`` implements hook ``name`` (not skorch's no-op default)."""
    return getattr(type(cb), name, None) is not getattr(Callback, name)


class _Unavailable:
    """A descriptor hiding an inherited skorch method (``hasattr`` is then False)."""

    def __init__(self, name, reason):
        self.name, self.reason = name, reason

    def __get__(self, obj, owner=None):
        raise AttributeError(f"{owner.__name__} has no {self.name}: {self.reason}.")
