"""The training loop of the PRNet estimators, as skorch's own chain of hooks.

``fit -> partial_fit -> fit_loop -> run_single_epoch -> train_step -> train_step_single ->
infer/get_loss``, with ``get_dataset``/``get_split_datasets``/``get_iterator`` giving the
data: every step is skorch's public hook of that name, so a subclass overriding one of them
(as skorch documents) changes training, and skorch's callbacks see what skorch gives them.

What differs from skorch, for speed and for PRNet:

* the dataset is a :class:`~sk_prnet.estimators._batches.TrainingBatches` (a skorch
  ``Dataset`` of the validated inputs and the user's targets) and its iterator yields batches
  sliced from device tensors, ``(X_batch, targets)`` with ``targets`` the dict of loss
  targets (``task``, ``codes``, ``weight``, ...) that ``get_loss`` reads;
* callbacks receive ``batch = (X_batch, y_batch)``, ``y_batch`` the user's targets of the
  batch (labels, not class indices), which is what skorch's scorers compare with;
* the per-batch history (``train_loss``/``train_batch_size`` per batch) and the per-batch
  notifications are only made when some callback implements a batch hook; the epoch loss is
  one reduction per epoch, not a device synchronization per step;
* the module's train/eval mode is set once per epoch, not per step;
* ``fit``/``partial_fit`` add step checkpoints, a seeded RNG, ``max_steps`` and the
  interrupt/divergence handling (see ``_outcome``).
"""

import warnings
from dataclasses import dataclass
from itertools import islice

import numpy as np
import torch
from skorch.callbacks import Checkpoint
from skorch.utils import TeeGenerator
from torch.utils.data import Subset

from ..exceptions import TrainingDivergedError, TrainingInterruptedWarning
from ..modules import pair_codes
from ._batches import EpochBatches, TrainingBatches
from ._checkpoint import StepCheckpointer
from ._convergence import epoch_cap
from ._optim import prime_momentum_buffers, step_optimizer
from ._outcome import check_finite_loss, early_stopped, interrupt_message
from ._validation import _overrides

__all__ = ["TrainingLoopMixin", "FitRun"]

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end")


@dataclass
class FitRun:
    """Bookkeeping of one ``fit``/``partial_fit`` call (never pickled with the estimator).

    ``ckpt`` is the step checkpointer (``None``: no ``checkpoint_dir``), ``resume`` the
    checkpoint being resumed until its epoch starts, ``fit_steps`` the optimizer steps of this
    call (which ``max_steps`` bounds), ``epoch`` the current epoch and ``epoch_rng`` the RNG
    states its permutation was drawn from. ``batch_hooks``: some callback implements
    ``on_batch_begin``/``on_batch_end`` or reads the per-batch history (skorch's
    ``Checkpoint``); ``grad_hooks``: some callback implements ``on_grad_computed``.
    """

    ckpt: StepCheckpointer | None = None
    resume: dict | None = None
    batch_hooks: bool = False
    grad_hooks: bool = False
    fit_steps: int = 0
    epoch: int = 0
    epoch_rng: dict | None = None


def _callback_batch(batch):
    """The batch as callbacks see it: ``(X_batch, y_batch)`` with the user's targets."""
    xb, targets = batch
    if isinstance(targets, dict) and "y" in targets:
        return xb, targets["y"]
    return batch


class TrainingLoopMixin:
    """skorch's training hooks implemented on device batches (private; see module doc).

    Needs from the estimator: ``callbacks_``, ``history``, ``module_``, ``optimizer_``,
    ``device_``, ``augment_``, ``_rank_weight``, ``rank_epsilon_``, ``pairing``,
    ``_soft_labels``, ``_autocast``, ``infer``, ``get_loss``, ``get_task_loss`` and
    ``_fit_data`` (validation of raw ``X``/``y`` into a ``TrainingBatches``).
    """

    # ------------------------------------------------------------------ one fit call
    def _new_run(self, data, checkpoints):
        cbs = [cb for _, cb in self.callbacks_]
        run = FitRun(
            # skorch's Checkpoint reads the epoch's last batch record (its file names)
            batch_hooks=any(
                isinstance(cb, Checkpoint) or any(_overrides(cb, h) for h in _BATCH_HOOKS)
                for cb in cbs
            ),
            grad_hooks=any(_overrides(cb, "on_grad_computed") for cb in cbs),
        )
        if checkpoints:
            run.ckpt = StepCheckpointer.for_estimator(self, data.host_X)
        vars(self)["_run"] = run
        return run

    def _train(self, data):
        """skorch's ``partial_fit`` after initialization: train on ``data`` (a validated
        ``TrainingBatches``), resuming a step checkpoint and handling interrupts."""
        run = self._new_run(data, checkpoints=True)
        self._prime_momentum = True  # e.g. a warm start from alpha=0 brings new gradients
        try:
            run.resume = run.ckpt.load(self) if run.ckpt is not None else None
            self.notify("on_train_begin", X=data.X, y=data.y)
            self.interrupted_ = False
            try:
                self.fit_loop(data)
            except KeyboardInterrupt:
                # skorch's convention: stop training, keep the model. EarlyStopping raises it
                # to end a complete fit; anything else (Ctrl-C) leaves the fit unfinished.
                self.interrupted_ = not early_stopped(self.callbacks_)
            except TrainingDivergedError:
                if run.ckpt is not None:  # resuming would diverge again, identically
                    run.ckpt.remove()
                raise
            if self.interrupted_:
                warnings.warn(interrupt_message(self), TrainingInterruptedWarning, stacklevel=4)
            elif run.ckpt is not None:
                run.ckpt.remove()  # the fit is complete: nothing left to resume
            self.notify("on_train_end", X=data.X, y=data.y)
        finally:
            # per-fit bookkeeping (RNG states as CPU tensors) is not fitted state
            vars(self).pop("_run", None)

    # ------------------------------------------------------------------ skorch's data hooks
    def get_dataset(self, X, y=None):
        """The training data as a skorch ``Dataset`` (a ``TrainingBatches``).

        Parameters
        ----------
        X : TrainingBatches or array-like
            ``fit`` passes its validated data; arrays are validated as in ``partial_fit``
            (the estimator must be fitted).
        y : array-like or None, default=None

        Returns
        -------
        dataset : TrainingBatches
        """
        if isinstance(X, TrainingBatches):
            return X
        return self._fit_data(X, y, {}, reset=False)

    def get_split_datasets(self, X, y=None, **fit_params):
        """The training and validation datasets: ``train_split`` applied to
        :meth:`get_dataset` (``(dataset, None)`` without ``train_split``).

        ``train_split`` (e.g. skorch's ``ValidSplit``) receives the dataset and, for a 1-D
        ``y``, the user's targets (stratification); it must return subsets of that dataset.

        Returns
        -------
        dataset_train, dataset_valid : TrainingBatches, TrainingBatches or None
        """
        dataset = self.get_dataset(X, y)
        if not self.train_split:
            return dataset, None
        y_split = dataset.y if np.ndim(dataset.y) == 1 else None
        ds_train, ds_valid = self.train_split(dataset, y_split, **fit_params)
        return self._subset_of(dataset, ds_train), self._subset_of(dataset, ds_valid)

    def _subset_of(self, dataset, ds):
        if ds is None or isinstance(ds, TrainingBatches):
            return ds
        if isinstance(ds, Subset) and ds.dataset is dataset:
            return dataset.subset(np.asarray(ds.indices, dtype=np.int64))
        raise ValueError(
            f"train_split returned a {type(ds).__name__}; {type(self).__name__} needs "
            "torch Subsets of the dataset it is given (as skorch's ValidSplit returns). To "
            "validate on other data, score it after fit or with a callback."
        )

    def get_iterator(self, dataset, training=False):
        """The batches of ``dataset``: an iterable whose every pass is one epoch.

        Batches are ``(X_batch, targets)`` on the training device (shuffled when
        ``training``), ``targets`` the loss targets of :meth:`get_loss`; with callbacks that
        read batches, ``targets["y"]`` also holds the user's targets of the batch.

        Returns
        -------
        iterator : EpochBatches
        """
        codes_fn = None
        if self._rank_weight > 0:
            eps, pairing = self.rank_epsilon_, self.pairing
            codes_fn = lambda r, g: pair_codes(r, eps, pairing, g)  # noqa: E731
        run = vars(self).get("_run")
        hooks = (run.batch_hooks or run.grad_hooks) if run is not None else True
        return EpochBatches(
            dataset, self.batch_size, training, codes_fn=codes_fn, pairing=self.pairing,
            with_rank=self._soft_labels(), with_y=hooks and dataset.host_y is not None,
        )  # fmt: skip

    # ------------------------------------------------------------------ skorch's loop hooks
    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Train for ``epochs`` epochs (default ``max_epochs``; with ``max_steps``, until
        that many optimizer steps) on ``X``, ``y``, keeping the current weights.

        Called by ``partial_fit`` with its validated data. Called directly (skorch's API) on
        a fitted estimator, it validates ``X``, ``y`` (``fit_params``: ``ranking_target``,
        ``rank_groups``, ``sample_weight``) and trains without callbacks' ``on_train_*``,
        step checkpoints or seeding, as skorch's ``fit_loop`` does.

        Returns
        -------
        self : object
        """
        run = vars(self).get("_run")
        if run is None:  # a direct call
            if not isinstance(X, TrainingBatches):
                self._check_fitted()
                X = self._fit_data(X, y, fit_params, reset=False)
            try:
                self._new_run(X, checkpoints=False)
                return self.fit_loop(X, epochs=epochs)
            finally:
                vars(self).pop("_run", None)
        dataset_train, dataset_valid = self.get_split_datasets(X, None)
        epoch_kwargs = {"dataset_train": dataset_train, "dataset_valid": dataset_valid}
        iterator_train = self.get_iterator(dataset_train, training=True)
        iterator_valid = None
        if dataset_valid is not None:
            iterator_valid = self.get_iterator(dataset_valid, training=False)
        # max_steps (the paper counts steps on AffectNet) replaces max_epochs when set
        if self.max_steps is not None:
            epochs = np.iinfo(np.int64).max
        elif epochs is None:  # max_epochs="auto": a cap; the budget callback stops the fit
            epochs = epoch_cap(self.max_epochs)
        resume = run.resume
        for epoch in range(resume["epoch"] if resume else 0, epochs):
            if self.max_steps is not None and run.fit_steps >= self.max_steps:
                break
            run.epoch = epoch
            if run.resume is None:
                self.notify("on_epoch_begin", **epoch_kwargs)
                run.epoch_rng = StepCheckpointer.rng_states(self.device_)
            else:  # the restored history already holds this epoch's row: callbacks only
                for _, cb in self.callbacks_:
                    cb.on_epoch_begin(self, **epoch_kwargs)
                run.epoch_rng = run.resume["epoch_rng"]
                run.ckpt.restore_rng(run.epoch_rng, self.device_)
            self.run_single_epoch(
                iterator_train, training=True, prefix="train", step_fn=self.train_step
            )
            run.resume = None
            self.run_single_epoch(
                iterator_valid, training=False, prefix="valid", step_fn=self.validation_step
            )
            self.notify("on_epoch_end", **epoch_kwargs)
        return self

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One pass over ``iterator``: ``step_fn`` per batch, the epoch's losses recorded.

        Records ``{prefix}_loss`` (mean over samples), ``{prefix}_task_loss`` (validation
        with a task head) and ``{prefix}_batch_count``; per batch (``{prefix}_loss``,
        ``{prefix}_batch_size``) and ``on_batch_*`` notifications only when a callback
        implements a batch hook. Raises :class:`~sk_prnet.exceptions.TrainingDivergedError`
        when a training epoch's loss is not finite.
        """
        if iterator is None:
            return
        run = self._run
        resume = run.resume if training else None
        # batches trained on before the checkpoint are skipped unread (same permutation)
        skip = resume["batch"] if resume else 0
        if isinstance(iterator, EpochBatches):
            batches = iterator.epoch(skip)
        else:
            batches = islice(iter(iterator), skip, None)
        self._set_training(training)
        hooks = run.batch_hooks
        losses, sizes, task_losses = [], [], []
        for i, batch in enumerate(batches, start=skip):
            if i == skip and resume:
                run.ckpt.restore_rng(resume["rng"], self.device_)
                resume = None
            if hooks:
                seen = _callback_batch(batch)
                self.notify("on_batch_begin", batch=seen, training=training)
            if training and self.max_steps is not None and run.fit_steps >= self.max_steps:
                break
            step = step_fn(batch, **fit_params)
            self.steps_ += training
            run.fit_steps += training
            if training and run.ckpt is not None and self.steps_ % run.ckpt.every == 0:
                run.ckpt.save(self, run.epoch, i + 1, run.epoch_rng)
            losses.append(step["loss"].detach())
            if "task_loss" in step:
                task_losses.append(step["task_loss"])
            sizes.append(batch[0].shape[0])
            if hooks:
                self.history.record_batch(prefix + "_loss", step["loss"].item())
                self.history.record_batch(prefix + "_batch_size", batch[0].shape[0])
                self.notify("on_batch_end", batch=seen, training=training, **step)
                self._set_training(training)  # a callback may have predicted (eval mode)
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # stops a prefetching reader at once when max_steps cut the epoch
        if resume:  # the checkpoint closed this epoch: continue from its RNG state
            run.ckpt.restore_rng(resume["rng"], self.device_)
        if losses:  # one reduction per epoch instead of a sync per batch
            weights = torch.as_tensor(sizes, dtype=losses[0].dtype, device=losses[0].device)
            epoch_loss = float(torch.stack(losses) @ weights) / sum(sizes)
            if training:
                check_finite_loss(self, epoch_loss, losses)
            self.history.record(prefix + "_loss", epoch_loss)
            if task_losses:  # validation: the task loss alone, comparable across alphas
                task = float(torch.stack(task_losses) @ weights) / sum(sizes)
                self.history.record(prefix + "_task_loss", task)
            self.history.record(prefix + "_batch_count", len(losses))

    def train_step(self, batch, **fit_params):
        """One optimizer step on ``batch``: the closure calls :meth:`train_step_single`;
        returns its ``{"loss", "y_pred"}``."""
        step = {}
        run = vars(self).get("_run")
        grad_hooks = run.grad_hooks if run is not None else True

        def closure():
            # Optimizer.zero_grad(set_to_none=True) does this, plus profiler bookkeeping
            # that costs ~30 us: ~3 % of the paper's EEG step.
            for group in self.optimizer_.param_groups:
                for p in group["params"]:
                    p.grad = None
            step.update(self.train_step_single(batch, **fit_params))
            if self._prime_momentum:
                self._prime_momentum = prime_momentum_buffers(self.optimizer_)
            if grad_hooks:
                self.notify(
                    "on_grad_computed",
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=_callback_batch(batch),
                    training=True,
                )
            return step["loss"]

        step_optimizer(self.optimizer_, closure)
        return step

    def train_step_single(self, batch, **fit_params):
        """Loss of ``batch = (X_batch, targets)`` and its gradients (``backward``); returns
        ``{"loss", "y_pred"}``. Training batches are augmented here (never at predict)."""
        Xb, yb = batch
        if self.augment_ is not None:
            Xb = self.augment_(Xb)
        with self._autocast():
            y_pred = self._training_forward(Xb, yb)
            loss = self.get_loss(y_pred, yb, X=Xb, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        """Loss on ``batch`` without gradients (used with ``train_split``); with a task
        head, also ``task_loss``, the task loss alone (recorded as ``valid_task_loss``)."""
        Xb, yb = batch
        with torch.no_grad(), self._autocast():
            y_pred = self.infer(Xb)
            loss = self.get_loss(y_pred, yb, X=Xb, training=False)
            task = self.get_task_loss(y_pred[0], yb["task"], yb.get("weight"))
        step = {"loss": loss, "y_pred": y_pred}
        if task is not None:
            step["task_loss"] = task.detach().float()
        return step

    def _training_forward(self, x, targets):
        """Module outputs of a training batch; when the batch has ranked pairs, PRNet modules
        also return the ranking head's projection, computed jointly with the task head
        (unless a subclass overrides ``infer``, which is then what runs)."""
        ranked = self._rank_weight > 0 and targets.get("codes") is not None
        stock_infer = type(self).infer is TrainingLoopMixin.infer
        if ranked and stock_infer and hasattr(self.module_, "forward_with_projection"):
            return self.module_.forward_with_projection(x)
        return self.infer(x)

    def infer(self, x, **fit_params):
        """Run the module on a batch already on the device: ``(task_output, embedding)``."""
        return self.module_(x)
