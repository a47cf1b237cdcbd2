"""Small checks shared by the estimators: devices, hyperparameter values, hidden methods."""

import numbers

import numpy as np
import torch
from skorch.callbacks import Callback

__all__ = ["resolve_device", "loadable_device", "forked_devices", "seed_forked"]


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
