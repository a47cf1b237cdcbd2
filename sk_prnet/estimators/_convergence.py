"""How long to train: ``max_epochs="auto"`` and the :class:`ConvergenceStopping` rule.

The paper trains a fixed 20 epochs at lr 1e-3 with batches of 40. On a few hundred samples
that is only ~100-200 optimizer steps, and the network under-trains (it then does no better
than a linear model; docs/when_ranking_helps.md, "Small real data"). scikit-learn's MLP
trains up to ``max_iter=200`` epochs and stops once the training loss has not improved by
``tol`` for ``n_iter_no_change`` epochs. :class:`ConvergenceStopping` is that rule as a skorch
callback, with two floors: a minimum number of optimizer steps and of epochs. The estimators
add it, with the settings in :func:`auto_stopping`, when ``max_epochs="auto"``; training then
runs for at most :data:`AUTO_MAX_EPOCHS` epochs.

The callback watches ``train_loss`` (no validation split) and ends the fit by raising
``KeyboardInterrupt`` as skorch's ``EarlyStopping`` does; its ``stopped_epoch_`` tells that
stop from a user's Ctrl-C, so the estimators count it as a complete fit (``interrupted_``
stays ``False``; see ``_outcome.early_stopped``).
"""

import math

from skorch.callbacks import Callback

from ._validation import _check_real

__all__ = [
    "ConvergenceStopping",
    "AUTO_MAX_EPOCHS",
    "AUTO_MIN_EPOCHS",
    "AUTO_MIN_STEPS",
    "auto_stopping",
    "check_max_epochs",
    "epoch_cap",
]

#: Epoch cap of ``max_epochs="auto"`` (scikit-learn MLP's ``max_iter`` default).
AUTO_MAX_EPOCHS = 200
#: ``max_epochs="auto"`` never trains fewer epochs than the paper's 20.
AUTO_MIN_EPOCHS = 20
#: ... nor fewer optimizer steps than this (docs/when_ranking_helps.md, "Small real data").
AUTO_MIN_STEPS = 500

# History key of the ``steps_`` count at which the current fit began: it tells the rows of
# this fit from a warm start's earlier ones when a checkpoint is resumed.
_FIT_START = "fit_start_step"


class ConvergenceStopping(Callback):
    """Stop training when the training loss has converged, after a minimum of training.

    At the end of an epoch the fit stops when both hold:

    * the training loss has not fallen below ``(1 - tol)`` times its best value for
      ``n_iter_no_change`` consecutive epochs (scikit-learn MLP's ``tol`` /
      ``n_iter_no_change``, relative so that it does not depend on the targets' scale;
      ``n_iter_no_change=0`` skips this condition);
    * the fit has taken at least ``min_steps`` optimizer steps and ``min_epochs`` epochs.

    The loss watched is the training loss the estimator records (``L_task + alpha *
    L_rank``). The estimator's ``max_epochs`` stays the cap. The stop is a complete fit
    (``interrupted_ = False``; a Ctrl-C is still recorded as an interrupt). Counts start
    afresh with every ``fit`` (a warm start counts its own steps); a fit resumed from a
    checkpoint (``checkpoint_dir``) continues them.

    Parameters
    ----------
    tol : float, default=1e-2
        Relative improvement of the training loss that counts as progress, in ``[0, 1)``.
    n_iter_no_change : int, default=10
        Epochs without progress before stopping (``>= 0``; ``0``: stop as soon as
        ``min_steps`` and ``min_epochs`` are reached, a pure training budget).
    min_steps : int, default=0
        Never stop before this many optimizer steps of the current fit (``>= 0``).
    min_epochs : int, default=1
        Never stop before this many epochs of the current fit (``>= 1``).
    monitor : str, default="train_loss"
        The history key watched.
    sink : callable, default=print
        Receives the stopping message (with ``print``, only when the net is verbose).

    Attributes
    ----------
    misses_ : int
        Consecutive epochs without progress.
    best_ : float
        The loss of the last epoch that counted as progress.
    stopped_epoch_ : int or None
        The epoch (``history[-1, "epoch"]``) at which the rule stopped the last fit;
        ``None`` when it did not stop it.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_prnet import PRNetRegressor
    >>> from sk_prnet.estimators import ConvergenceStopping
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 3)).astype("float32")
    >>> y = X[:, 0] + 0.1 * rng.normal(size=60)
    >>> stop = ConvergenceStopping(tol=0.05, n_iter_no_change=3)
    >>> reg = PRNetRegressor(max_epochs=300, callbacks=[stop], random_state=0).fit(X, y)
    >>> len(reg.history_) < 300, reg.interrupted_
    (True, False)
    """

    def __init__(self, tol=1e-2, n_iter_no_change=10, min_steps=0, min_epochs=1,
                 monitor="train_loss", sink=print):  # fmt: skip
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.min_steps = min_steps
        self.min_epochs = min_epochs
        self.monitor = monitor
        self.sink = sink

    def _check_params(self):
        _check_real("tol", self.tol, 0)
        if self.tol >= 1:
            raise ValueError(
                f"tol must be >= 0 and < 1 (a fraction of the loss), got {self.tol!r}."
            )
        _check_real("n_iter_no_change", self.n_iter_no_change, 0, integer=True)
        _check_real("min_steps", self.min_steps, 0, integer=True)
        _check_real("min_epochs", self.min_epochs, 1, integer=True)

    def on_train_begin(self, net, **kwargs):
        """Check the parameters and start counting (or, on a resumed fit, continue).

        Parameters
        ----------
        net : PRNetClassifier or PRNetRegressor
            The estimator being fitted.
        **kwargs
            The other arguments skorch passes to callbacks (unused).
        """
        self._check_params()
        self.misses_, self.best_, self.stopped_epoch_ = 0, math.inf, None
        self.fit_epochs_ = 0
        self.fit_start_step_ = net.steps_
        history = net.history
        # a checkpoint resumes inside an epoch: its history ends with that unfinished row
        if len(history) and _FIT_START in history[-1] and "train_loss" not in history[-1]:
            self.fit_start_step_ = history[-1][_FIT_START]
            for row in history[:-1]:
                if row.get(_FIT_START) == self.fit_start_step_:
                    self._update(row.get(self.monitor))

    def on_epoch_begin(self, net, **kwargs):
        """Mark the epoch's history row as one of this fit's.

        Parameters
        ----------
        net : PRNetClassifier or PRNetRegressor
            The estimator being fitted.
        **kwargs
            The other arguments skorch passes to callbacks (unused).
        """
        net.history.record(_FIT_START, self.fit_start_step_)

    def _update(self, loss):
        self.fit_epochs_ += 1
        if loss is None:  # a resumed epoch whose checkpoint followed its last batch
            return
        if loss < self.best_ * (1 - self.tol):
            self.misses_, self.best_ = 0, loss
        else:
            self.misses_ += 1

    def on_epoch_end(self, net, **kwargs):
        """Count the epoch's progress; stop (``KeyboardInterrupt``) once converged.

        Parameters
        ----------
        net : PRNetClassifier or PRNetRegressor
            The estimator being fitted.
        **kwargs
            The other arguments skorch passes to callbacks (unused).
        """
        self._update(net.history[-1].get(self.monitor))
        steps = net.steps_ - self.fit_start_step_
        if (
            self.misses_ >= self.n_iter_no_change
            and steps >= self.min_steps
            and self.fit_epochs_ >= self.min_epochs
        ):
            self.stopped_epoch_ = net.history[-1, "epoch"]
            why = (
                f"{self.monitor} has not improved by a fraction {self.tol} in the last "
                f"{self.n_iter_no_change} epochs, "
                if self.n_iter_no_change
                else ""
            )
            if self.sink is not print or net.verbose:
                self.sink(
                    f"Stopping: {why}{self.fit_epochs_} epochs and {steps} optimizer steps "
                    f"done (minimum {self.min_epochs} and {self.min_steps})."
                )
            raise KeyboardInterrupt


def auto_stopping():
    """The rule of ``max_epochs="auto"``: at least :data:`AUTO_MIN_STEPS` optimizer steps
    and :data:`AUTO_MIN_EPOCHS` epochs (see docs/when_ranking_helps.md for the choice)."""
    return ConvergenceStopping(
        n_iter_no_change=0, min_steps=AUTO_MIN_STEPS, min_epochs=AUTO_MIN_EPOCHS
    )


def check_max_epochs(max_epochs):
    """Validate ``max_epochs``: an integer ``>= 1`` or ``"auto"``."""
    if isinstance(max_epochs, str) and max_epochs == "auto":
        return
    try:
        _check_real("max_epochs", max_epochs, 1, integer=True)
    except ValueError as exc:
        raise ValueError(
            f"{exc} Use an integer >= 1, or 'auto' to train at least {AUTO_MIN_STEPS} "
            f"optimizer steps and {AUTO_MIN_EPOCHS} epochs (at most {AUTO_MAX_EPOCHS})."
        ) from None


def epoch_cap(max_epochs):
    """The number of epochs the fit loop runs at most for a validated ``max_epochs``."""
    return AUTO_MAX_EPOCHS if isinstance(max_epochs, str) else int(max_epochs)
