"""Step checkpoints of a training run, and resuming them with an identical continuation.

Every ``checkpoint_every`` optimizer steps the estimator writes (atomically) one file with the
module and optimizer states, the history, the step counters, the position in the current
epoch and the torch RNG states: the one the epoch's shuffling was drawn from and the current
one. ``fit`` with the same parameters and data finds the file, restores all of it, draws the
same epoch permutation, skips the batches already trained on and continues exactly where the
killed run stopped; with a ``random_state`` the result equals an uninterrupted fit. A
completed fit removes its checkpoint; an interrupted one (Ctrl-C) keeps it.

A checkpoint cannot run code: the file holds only tensors, containers of tensors and numbers
(module and optimizer states, RNG states as uint8 tensors) and one JSON string (history,
counters, position, the run's fingerprint). It is read with ``torch.load(weights_only=True)``
onto the CPU -- ``load_state_dict`` then places the weights on the estimator's device, and
``torch.set_rng_state`` needs CPU tensors anyway. A file that is not one of ours, is
truncated, or belongs to another run raises :class:`~sk_prnet.exceptions.CheckpointError`
and is never used.
"""

import json
import os
from pathlib import Path

import numpy as np
import torch

from ..exceptions import CheckpointError

__all__ = ["StepCheckpointer", "read_checkpoint", "rng_states", "set_rng_states"]

_FILE = "sk_prnet_checkpoint.pt"
_FORMAT, _VERSION = "sk_prnet.checkpoint", 2
_META_KEYS = {"fingerprint": str, "history": list, "steps": int, "fit_steps": int,
              "epoch": int, "batch": int}  # fmt: skip
# Parameters that do not change what is trained (results never depend on them).
_IGNORED = {
    "callbacks", "verbose", "checkpoint_dir", "checkpoint_every", "warm_start", "device",
    "prefetch", "batch_size_predict",
}  # fmt: skip


def rng_states(device):
    """The current torch RNG states: CPU, and the CUDA device's when ``device`` is CUDA."""
    states = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def set_rng_states(states, device):
    """Set the RNG states saved by :func:`rng_states`, wherever their tensors live.

    ``torch.set_rng_state`` and ``torch.cuda.set_rng_state`` take a CPU byte tensor only, so
    states that were moved to a device (e.g. by loading with that ``map_location``) are
    brought back to the CPU first.
    """
    torch.set_rng_state(states["cpu"].cpu())
    if device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state(states["cuda"].cpu(), device)


def _jsonable(value):
    # history values recorded by callbacks: numpy scalars/arrays become numbers/lists; any
    # other object is stored as its string (a checkpoint stores no code)
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return str(value)


def _refuse(path, why):
    return CheckpointError(
        f"The checkpoint {str(path)!r} {why}; it was not used. Delete it to start the fit "
        "from scratch, or use another checkpoint_dir."
    )


def _check_rng(path, states, name):
    cpu_size = torch.get_rng_state().numel()
    ok = isinstance(states, dict) and isinstance(states.get("cpu"), torch.Tensor)
    ok = ok and all(
        isinstance(t, torch.Tensor) and t.dtype == torch.uint8 and t.dim() == 1
        for t in states.values()
    )
    if not ok or states["cpu"].numel() != cpu_size or set(states) - {"cpu", "cuda"}:
        raise _refuse(path, f"holds no valid RNG state {name!r}")


def read_checkpoint(path):
    """Read and check a checkpoint file; all tensors on the CPU.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    state : dict
        ``module``, ``optimizer`` (state dicts), ``rng``, ``epoch_rng`` (RNG states) and the
        JSON part's ``fingerprint``, ``history``, ``steps``, ``fit_steps``, ``epoch``,
        ``batch``.

    Raises
    ------
    CheckpointError
        When the file cannot be read safely (not a torch file, truncated, or holding objects
        other than tensors, numbers and strings -- a pickle that would run code) or is not
        an sk_prnet checkpoint of this format.
    """
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 -- any failure means: do not use it
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _refuse(
            path, f"cannot be read safely (truncated, or not written by sk_prnet: {reason})"
        ) from exc
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
        raise _refuse(path, "is not an sk_prnet checkpoint")
    if raw.get("version") != _VERSION:
        raise _refuse(path, f"has format version {raw.get('version')!r}, not {_VERSION}")
    try:
        meta = json.loads(raw["meta"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _refuse(path, "has no readable run description") from exc
    bad = [k for k, kind in _META_KEYS.items() if not isinstance(meta.get(k), kind)]
    if bad or not all(isinstance(raw.get(k), dict) for k in ("module", "optimizer")):
        raise _refuse(path, f"is incomplete (missing or invalid: {bad or 'states'})")
    for name in ("rng", "epoch_rng"):
        _check_rng(path, raw.get(name), name)
    return {**meta, **{k: raw[k] for k in ("module", "optimizer", "rng", "epoch_rng")}}


class StepCheckpointer:
    """Save and restore the training state of one estimator (private helper of the base).

    Parameters
    ----------
    directory : str or Path
        Where the checkpoint file lives (created if needed).
    every : int
        Save after every ``every`` optimizer steps.
    fingerprint : str
        Identifies the run (parameters and data shape); a checkpoint of another run is
        refused with a clear error instead of being resumed.
    """

    def __init__(self, directory, every, fingerprint):
        self.path = Path(directory) / _FILE
        self.every = int(every)
        self.fingerprint = fingerprint

    @classmethod
    def for_estimator(cls, est, X):
        """The checkpointer of ``est`` (None when ``checkpoint_dir`` is None)."""
        if est.checkpoint_dir is None:
            return None
        params = est.get_params(deep=False)
        kept = {k: repr(v) for k, v in sorted(params.items()) if k not in _IGNORED}
        fingerprint = f"{type(est).__name__}|{X.shape}|{kept}"
        return cls(est.checkpoint_dir, est.checkpoint_every, fingerprint)

    def save(self, est, epoch, batch, epoch_rng):
        """Write the state after ``batch`` batches of epoch ``epoch`` (atomic replace)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "fingerprint": self.fingerprint,
            "history": list(est.history),
            "steps": int(est.steps_),
            "fit_steps": int(est._run.fit_steps),
            "epoch": int(epoch),
            "batch": int(batch),
        }
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "meta": json.dumps(meta, default=_jsonable),
            "module": est.module_.state_dict(),
            "optimizer": est.optimizer_.state_dict(),
            "epoch_rng": epoch_rng,
            "rng": rng_states(est.device_),
        }
        tmp = self.path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)  # a kill mid-write never leaves a half checkpoint

    def load(self, est):
        """Restore a saved state into the initialized ``est``; returns it, or None.

        Raises
        ------
        CheckpointError
            For a file that is not a usable checkpoint of this run (see
            :func:`read_checkpoint`).
        """
        if not self.path.exists():
            return None
        state = read_checkpoint(self.path)
        if state["fingerprint"] != self.fingerprint:
            raise _refuse(self.path, "belongs to a run with other parameters or data")
        try:  # load_state_dict places the CPU tensors on the module's device
            est.module_.load_state_dict(state["module"])
            est.optimizer_.load_state_dict(state["optimizer"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise _refuse(self.path, f"does not fit this network ({exc})") from exc
        est.history.clear()
        est.history.extend(state["history"])
        est.steps_, est._run.fit_steps = state["steps"], state["fit_steps"]
        return state

    def restore_rng(self, states, device):
        """Set torch's RNG states saved by :meth:`save`."""
        set_rng_states(states, device)

    def remove(self):
        """Delete the checkpoint (after a completed fit)."""
        self.path.unlink(missing_ok=True)

    @staticmethod
    def rng_states(device):
        """The current torch RNG states (CPU, and the CUDA device's when on CUDA)."""
        return rng_states(device)
