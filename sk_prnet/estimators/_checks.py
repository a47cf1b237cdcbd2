"""Small checks shared by the estimators: devices, hyperparameter values, hidden methods."""

import numbers

import numpy as np
import torch
from skorch.callbacks import Callback

__all__ = ["resolve_device"]


def resolve_device(device):
    """Turn ``"auto"``/a string/a ``torch.device`` into an available ``torch.device``.

    Raises
    ------
    ValueError
        For an unknown device string, or CUDA requested where it is not available.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} asks for CUDA, which is not available here; use "
            "device='auto' to take CUDA when present and the CPU otherwise."
        )
    return dev


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
