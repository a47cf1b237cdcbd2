"""Step checkpoints of a training run, and resuming them with an identical continuation.

Every ``checkpoint_every`` optimizer steps the estimator writes (atomically) one file with the
module and optimizer states, the history, the step counters, the position in the current
epoch and the torch RNG states: the one the epoch's shuffling was drawn from and the current
one. ``fit`` with the same parameters and data finds the file, restores all of it, draws the
same epoch permutation, skips the batches already trained on and continues exactly where the
killed run stopped; with a ``random_state`` the result equals an uninterrupted fit. A
successful fit removes its checkpoint.
"""

import os
from pathlib import Path

import torch

__all__ = ["StepCheckpointer"]

_FILE = "sk_prnet_checkpoint.pt"
# parameters that do not change the training trajectory
_IGNORED = {"callbacks", "verbose", "checkpoint_dir", "checkpoint_every", "warm_start", "device"}


def _rng_states(device):
    states = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _set_rng_states(states, device):
    torch.set_rng_state(states["cpu"])
    if device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state(states["cuda"], device)


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
        state = {
            "fingerprint": self.fingerprint,
            "module": est.module_.state_dict(),
            "optimizer": est.optimizer_.state_dict(),
            "history": list(est.history),
            "steps": est.steps_,
            "fit_steps": est._fit_steps,
            "epoch": epoch,
            "batch": batch,
            "epoch_rng": epoch_rng,
            "rng": _rng_states(est.device_),
        }
        tmp = self.path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)  # a kill mid-write never leaves a half checkpoint

    def load(self, est):
        """Restore a saved state into the initialized ``est``; returns it, or None."""
        if not self.path.exists():
            return None
        try:  # our own file, holding the history's plain Python objects
            state = torch.load(self.path, map_location=est.device_, weights_only=False)
        except Exception as exc:
            raise ValueError(
                f"The checkpoint {str(self.path)!r} cannot be read ({exc}); delete it to "
                "start the fit from scratch."
            ) from exc
        if state.get("fingerprint") != self.fingerprint:
            raise ValueError(
                f"The checkpoint {str(self.path)!r} belongs to a run with other parameters or "
                "data; delete it, or use another checkpoint_dir."
            )
        est.module_.load_state_dict(state["module"])
        est.optimizer_.load_state_dict(state["optimizer"])
        est.history.clear()
        est.history.extend(state["history"])
        est.steps_, est._fit_steps = state["steps"], state["fit_steps"]
        return state

    def restore_rng(self, states, device):
        """Set torch's RNG states saved by :meth:`save`."""
        _set_rng_states(states, device)

    def remove(self):
        """Delete the checkpoint (after a completed fit)."""
        self.path.unlink(missing_ok=True)

    @staticmethod
    def rng_states(device):
        """The current torch RNG states (CPU, and the CUDA device's when on CUDA)."""
        return _rng_states(device)
