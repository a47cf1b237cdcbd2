"""How a fit ended: complete, early-stopped, interrupted by the user, or diverged.

skorch lets ``KeyboardInterrupt`` end a fit and keeps the model, both for Ctrl-C and for its
``EarlyStopping`` callback. The estimators tell the two apart (an early stop is a complete fit,
a user interrupt is recorded in ``interrupted_`` with a warning), and stop a fit whose loss
stopped being finite instead of returning a network of NaNs.
"""

import math

import torch
from skorch.callbacks import EarlyStopping

from ..exceptions import TrainingDivergedError

__all__ = ["early_stopped", "interrupt_message", "check_finite_loss"]


def early_stopped(callbacks):
    """True when a stopping rule raised the KeyboardInterrupt: skorch's ``EarlyStopping``,
    or a callback that records its stop in ``stopped_epoch_`` (``ConvergenceStopping``).

    ``EarlyStopping`` raises exactly when its ``misses_`` reaches ``patience`` (reset by
    ``on_train_begin``), so that state identifies its stop; ``stopped_epoch_`` is set (and
    reset by ``on_train_begin``) only by the rule's own stop. Any other KeyboardInterrupt --
    Ctrl-C, SIGINT, or a callback raising it -- is a user interrupt.
    """
    return any(
        getattr(cb, "stopped_epoch_", None) is not None
        or (isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience)
        for _, cb in callbacks
    )


def interrupt_message(est):
    """The warning of an interrupted fit: where it stopped and how to go on."""
    run = est._run
    done = f"after {run.fit_steps} optimizer steps, in epoch {run.epoch + 1}"
    if run.ckpt is None:
        again = "fit again to train from the start."
    elif run.ckpt.path.exists():
        again = f"fit again with the same parameters to resume from {str(run.ckpt.path)!r}."
    else:
        again = "no checkpoint was written yet; fit again to train from the start."
    return (
        f"{type(est).__name__}.fit was interrupted {done}: the estimator holds a partly "
        f"trained network (interrupted_=True), not a finished fit; {again}"
    )


def check_finite_loss(est, epoch_loss, losses):
    """Raise :class:`TrainingDivergedError` when an epoch's training loss is not finite.

    One check per epoch: the step losses were reduced for the history anyway, so this adds
    no device sync per step. Only on failure are the steps searched for the first bad one.
    """
    if math.isfinite(epoch_loss):
        return
    stacked = torch.stack(losses)
    first = int((~torch.isfinite(stacked)).nonzero()[0, 0])
    step = est.steps_ - len(losses) + first + 1
    # only PRNetRegressor's loss sees the targets' scale (RankNet's sees pair relations only)
    scale = (
        "targets on a large scale (set standardize_target=True, which keeps epsilon in the "
        "targets' units, or standardize y yourself, e.g. TransformedTargetRegressor(regressor,"
        " transformer=StandardScaler()), where epsilon then applies to the standardized "
        "targets), "
        if getattr(est, "standardize_target", None) is False
        else ""
    )
    raise TrainingDivergedError(
        f"{type(est).__name__}.fit diverged: the training loss became {float(stacked[first])}"
        f" at optimizer step {step} (epoch {est._run.epoch + 1}), so the weights are no longer "
        f"usable. Likely causes: {scale}a learning rate too high (lr={est.lr}; try a smaller "
        "one), or unscaled inputs (use StandardScaler)."
    )
