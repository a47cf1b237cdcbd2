"""The private base shared by PRNetClassifier and PRNetRegressor.

It keeps skorch's machinery (callbacks, history, ``initialize_*``, ``set_params``,
``save_params``/``load_params``, pickling) and replaces the parts that do not fit PRNet:

* inputs are validated like scikit-learn (``validate_data``, ``n_features_in_``);
* per-sample metadata the loss needs (``ranking_target``, ``rank_groups``,
  ``sample_weight``) travels with the batches, never to ``module.forward``, and is
  requested through metadata routing (``set_fit_request`` accepts only these names);
* batches are sliced from device tensors instead of a ``DataLoader`` (see ``_batches``);
* ``random_state`` seeds init, shuffling and pairing inside a forked torch RNG state;
* ``device="auto"`` is resolved at fit into ``device_`` without rewriting the parameter.
"""

import warnings
from contextlib import contextmanager
from types import MappingProxyType

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._metadata_requests import RequestMethod
from sklearn.utils.validation import check_consistent_length
from skorch import NeuralNet
from skorch.callbacks import EpochTimer
from skorch.dataset import Dataset
from skorch.exceptions import DeviceWarning
from skorch.utils import TeeGenerator
from torch.utils.data import DataLoader

from ..exceptions import TrainingDivergedError, TrainingInterruptedWarning
from ..modules import PAIRINGS, build_prnet, pair_codes, ranking_loss
from ..modules.augment import make_augment
from ..ordinal import check_epsilon
from ._batches import TrainingBatches, free_device_memory
from ._callbacks import QuietPrintLog
from ._checkpoint import StepCheckpointer
from ._checks import (
    _check_real,
    _overrides,
    forked_devices,
    loadable_device,
    resolve_device,
    seed_forked,
)
from ._convergence import auto_stopping, check_max_epochs, epoch_cap
from ._determinism import deterministic_algorithms
from ._inference import PairwiseInferenceMixin
from ._optim import FusedSGDMixin, prime_momentum_buffers
from ._outcome import check_finite_loss, early_stopped, interrupt_message
from ._predict import PredictMixin
from ._rank_options import RankLossOptionsMixin
from ._validation import InputValidationMixin
from ._weights import LossWeightsMixin

__all__ = ["PRNetBase", "NO_ALPHA"]

#: Passed as ``alpha`` by estimators without that parameter.
NO_ALPHA = object()

# module__* keys consumed by the PRNet module itself; every other one goes to the backbone.
_HEAD_PARAMS = ("task_hidden", "ranking_hidden")


class PRNetBase(
    InputValidationMixin,
    LossWeightsMixin,
    FusedSGDMixin,
    PredictMixin,
    PairwiseInferenceMixin,
    RankLossOptionsMixin,
    NeuralNet,
):
    """Shared implementation of the PRNet estimators (private; use the subclasses).

    Subclasses implement four hooks: ``_encode_targets`` (validate ``y``, set fitted label
    attributes, return encoded task targets, default ranking values and their tolerance),
    ``_n_task_outputs``, ``get_task_loss`` and ``_decode`` (task outputs to predictions).
    Optional hooks: ``_ranking_weight`` (validated weight of the ranking loss, ``alpha``),
    ``get_rank_loss`` (the pairwise loss of a batch), ``_rank_output_scale`` (its reduction
    over outputs), ``_loss_weights`` (per-sample weights from ``sample_weight``),
    ``_check_label_ranking`` and ``initialize_module``.
    """

    # skorch attributes that are not constructor parameters here.
    compile = False
    use_caching = "auto"
    torch_load_kwargs = None
    predict_nonlinearity = None
    history_ = None
    initialized_ = False
    virtual_params_ = MappingProxyType({})  # read-only until ``initialize`` makes its own
    dataset = Dataset  # skorch's data path (get_dataset/get_iterator) is not used for training
    iterator_train = iterator_valid = DataLoader

    def __init__(
        self,
        module="mlp",
        *,
        criterion,
        alpha=1.0,
        epsilon=0.25,
        pairing="split",
        optimizer=torch.optim.SGD,
        lr=1e-3,
        momentum=0.9,
        weight_decay=5e-4,
        max_epochs=20,
        max_steps=None,
        batch_size=40,
        train_split=None,
        callbacks=None,
        warm_start=False,
        verbose=0,
        device="auto",
        random_state=None,
        augment=None,
        checkpoint_dir=None,
        checkpoint_every=1000,
        batch_size_predict=None,
        precision="fp32",
        prefetch=2,
        **kwargs,
    ):
        self.module = module
        self.criterion = criterion
        if alpha is not NO_ALPHA:  # RankNetRegressor has no alpha: it only ranks
            self.alpha = alpha
        self.epsilon = epsilon
        self.pairing = pairing
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.train_split = train_split
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.verbose = verbose
        self.device = device
        self.random_state = random_state
        self.max_steps = max_steps
        self.augment = augment
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.batch_size_predict = batch_size_predict
        self.precision = precision
        self.prefetch = prefetch
        # skorch-style prefixed parameters (module__*, optimizer__*, callbacks__*, ...).
        self._params_to_validate = set(kwargs)
        vars(self).update(kwargs)

    # ------------------------------------------------------------------ parameters
    def _get_param_names(self):
        return [k for k in self.__dict__ if not k.endswith("_") and not k.startswith("_")]

    def set_params(self, **params):
        """Set parameters (skorch semantics: ``module__*`` etc. re-initialize when fitted).

        Replacing ``callbacks`` on an unfitted estimator only stores the new list; it is
        validated when ``fit`` initializes the callbacks.

        Returns
        -------
        self : object
        """
        if "callbacks" in params and not self.initialized_:
            vars(self)["callbacks"] = params.pop("callbacks")
        return super().set_params(**params)

    def get_default_callbacks(self):
        """skorch's epoch timer and print log (losses are recorded by the fit loop itself),
        and with ``max_epochs="auto"`` (unless ``max_steps`` is set) the convergence rule."""
        callbacks = [("epoch_timer", EpochTimer()), ("print_log", QuietPrintLog())]
        if isinstance(self.max_epochs, str) and self.max_steps is None:
            callbacks.append(("convergence", auto_stopping()))
        return callbacks

    # skorch's set_*_request accept any name (its fit forwards **fit_params to the module);
    # a RequestMethod here makes scikit-learn generate them from the signatures of ``fit``
    # and ``partial_fit``, so that an unknown name (a typo) is a TypeError at once.
    # (RequestMethod is private in scikit-learn, unchanged since 1.3.)
    set_fit_request = RequestMethod("fit", [])
    set_partial_fit_request = RequestMethod("partial_fit", [])

    def get_metadata_routing(self):
        """Metadata this estimator consumes in ``fit``: ``ranking_target``, ``rank_groups``,
        ``sample_weight``.

        Request them with e.g. ``set_fit_request(ranking_target=True, sample_weight=True)``
        when scikit-learn's metadata routing is enabled; any other name raises a TypeError.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRequest
        """
        return self._get_metadata_request()

    def _ranking_weight(self):
        """The validated weight of the ranking loss (``alpha``); 0 skips pairing entirely."""
        return float(_check_real("alpha", self.alpha, 0))

    def _check_hyperparameters(self):
        self._rank_weight = self._ranking_weight()
        self._check_rank_options()
        check_epsilon(self.epsilon)
        if self.pairing not in PAIRINGS:
            raise ValueError(f"pairing must be one of {PAIRINGS}, got {self.pairing!r}.")
        _check_real("lr", self.lr, 0, strict=True)
        _check_real("batch_size", self.batch_size, 1, integer=True)
        # 0 epochs would "fit" nothing and predict from the random initial network
        check_max_epochs(self.max_epochs)
        if self.max_steps is not None:
            _check_real("max_steps", self.max_steps, 1, integer=True)
        _check_real("checkpoint_every", self.checkpoint_every, 1, integer=True)
        if not isinstance(self.deterministic, bool | np.bool_):
            raise ValueError(f"deterministic must be True or False, got {self.deterministic!r}.")
        self._check_gpu_options()
        if self.callbacks is not None and not isinstance(self.callbacks, list | tuple):
            raise ValueError(
                f"callbacks must be None or a list of skorch callbacks, got {self.callbacks!r}."
            )
        return resolve_device(self.device)

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, ranking_target=None, rank_groups=None, sample_weight=None):
        """Train the network on the task and, with weight ``alpha``, on pairwise ranking.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Inputs; 2-D features for ``module="mlp"``, ``(n, channels, height, width)``
            images for ``module="vgg"``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; a 2-D ``y`` trains one task head and one ranking head per column.
        ranking_target : array-like of shape (n_samples,) or (n_samples, n_outputs), \
default=None
            Continuous values whose pairwise order (with tolerance ``epsilon``) defines the
            ranking labels, e.g. DEAP's 1-9 ratings while ``y`` holds low/high classes.
            Routed (and split with the CV folds) through metadata routing.
        rank_groups : array-like of shape (n_samples,), default=None
            Group ids (subject, annotator, ...); only pairs within one group are ranked.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights (scikit-learn semantics: an integer weight acts
            like repeating the sample, 0 drops it). Scaled to mean 1 over ``X``, they
            multiply each sample's task loss in the batch mean, and each pair of the ranking
            loss weighs the product of its two samples' weights: every batch loss is an
            unbiased estimate of the weighted mean over the training set (exactly it when a
            batch holds the whole set). Routed with ``set_fit_request(sample_weight=True)``.

        Returns
        -------
        self : object
            The fitted estimator. ``interrupted_`` tells whether training ran to its end:
            on Ctrl-C (KeyboardInterrupt) ``fit`` stops, keeps the partly trained network,
            sets ``interrupted_ = True`` and warns with
            :class:`~sk_prnet.exceptions.TrainingInterruptedWarning`. An early stop by
            skorch's ``EarlyStopping`` is a complete fit (``interrupted_ = False``).

        Raises
        ------
        ValueError
            For invalid hyperparameters, NaN/inf or mis-shaped inputs, negative or all-zero
            sample weights, or too few classes.
        TrainingDivergedError
            When the training loss of an epoch is NaN or infinite (a ``ValueError``).
        CheckpointError
            When ``checkpoint_dir`` holds a file that is not a usable checkpoint of this run.
        """
        device = self._check_hyperparameters()
        warm = bool(self.warm_start and self.initialized_ and hasattr(self, "n_features_in_"))
        X, y = self._validate_fit_y(X, y, reset=not warm)
        n = X.shape[0]
        task, rank, rank_eps = self._encode_targets(y, reset=not warm)
        if ranking_target is not None:
            check_consistent_length(X, ranking_target)
            rank = self._validate_ranking_target(ranking_target, n, task.shape[1])
            rank_eps = float(self.epsilon)
        elif self._rank_weight > 0:
            self._check_label_ranking()
        groups = None if rank_groups is None else self._encode_groups(rank_groups, n)
        sample_weight = self._validate_sample_weight(sample_weight, X)
        weight = self._loss_weights(sample_weight, task)
        self.rank_epsilon_ = rank_eps
        self.n_targets_ = int(task.shape[1])
        self.device_ = device
        # set directly: skorch refuses nn.Module attributes outside initialize_*, and the
        # augmentation holds no trainable state for it to manage
        vars(self)["augment_"] = make_augment(self.augment)
        data = TrainingBatches(
            X, task, torch.tensor(rank, dtype=torch.float64), groups, device, weight=weight,
            free_bytes=free_device_memory(device), prefetch=self.prefetch,
        )  # fmt: skip
        with self._seeded_rng(device), deterministic_algorithms(self.deterministic):
            if not warm:
                self.initialize()
            self._fit_loop(data, X, y)
        self._after_fit(X, y)
        return self

    def _after_fit(self, X, y):
        """Hook run at the end of ``fit`` with the validated ``X`` and ``y``."""

    def partial_fit(
        self, X, y, classes=None, ranking_target=None, rank_groups=None, sample_weight=None
    ):
        """Train for ``max_epochs`` more epochs, keeping the current weights when fitted.

        Parameters are those of :meth:`fit`; ``classes`` is for classifiers only (skorch's
        signature, whose metadata routing marks it as not metadata) and must be ``None``.
        Returns ``self``.
        """
        if classes is not None:
            raise ValueError(
                f"classes is a parameter of classifiers' partial_fit; {type(self).__name__} "
                "predicts values and takes no classes."
            )
        meta = dict(
            ranking_target=ranking_target, rank_groups=rank_groups, sample_weight=sample_weight
        )
        if not self.initialized_ or not hasattr(self, "n_features_in_"):
            return self.fit(X, y, **meta)
        warm = self.warm_start
        vars(self)["warm_start"] = True  # restored below: the user's parameter is unchanged
        try:
            return self.fit(X, y, **meta)
        finally:
            vars(self)["warm_start"] = warm

    def _check_label_ranking(self):
        """Hook called when pairs are ranked by ``y`` itself (no ``ranking_target``)."""

    @contextmanager
    def _seeded_rng(self, device):
        """Seed torch inside a forked RNG state so fits are reproducible, global state kept.

        Only the generators that are forked are seeded: the CPU's and, on CUDA, the fit's
        device (``"cuda"`` meaning the current one), so no device's global state changes.
        """
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        devices = forked_devices(device)
        kind = "cuda" if devices else None
        with torch.random.fork_rng(devices=devices, device_type=kind):
            seed_forked(seed, devices)
            yield

    def initialize(self):
        """Initialize callbacks, module, criterion and optimizer (called by ``fit``)."""
        if not hasattr(self, "input_shape_"):
            raise ValueError(
                f"{type(self).__name__}.initialize() needs the input shape: call fit(X, y)."
            )
        self.device_ = resolve_device(self.device)
        # skorch moves modules to ``self.device``; give it the resolved device for the call
        # only, so that the user's parameter (e.g. "auto") is never rewritten.
        requested = self.device
        vars(self)["device"] = self.device_
        try:
            return super().initialize()
        finally:
            vars(self)["device"] = requested

    def initialize_module(self):
        """Build the PRNet module for the fitted input shape and targets."""
        kwargs = self.get_params_for("module")
        heads = {k: kwargs.pop(k) for k in _HEAD_PARAMS if k in kwargs}
        self.module_ = build_prnet(
            self.module, self.input_shape_, self._n_task_outputs(), self.n_targets_,
            **heads, **kwargs,
        )  # fmt: skip
        return self

    def _fit_loop(self, data, X, y):
        train, valid = data, None
        if self.train_split is not None:
            train, valid = self._split_train_valid(data, y)
        cbs = [cb for _, cb in self.callbacks_]
        self._batch_hooks = any(
            _overrides(cb, h) for cb in cbs for h in ("on_batch_begin", "on_batch_end")
        )
        self._grad_hooks = any(_overrides(cb, "on_grad_computed") for cb in cbs)
        epoch_kwargs = {"dataset_train": train, "dataset_valid": valid}
        if not getattr(self, "steps_", None) or not self.warm_start:
            self.steps_ = 0  # optimizer steps taken in all (continued by warm starts)
        self._fit_steps = 0  # steps of this call, which max_steps bounds
        self._prime_momentum = True  # e.g. a warm start from alpha=0 brings new gradients
        self._ckpt = StepCheckpointer.for_estimator(self, X)
        resume = self._ckpt.load(self) if self._ckpt is not None else None
        self.notify("on_train_begin", X=X, y=y)
        self.interrupted_ = False
        try:
            # max_steps (the paper counts steps on AffectNet) replaces max_epochs when set
            epochs = np.iinfo(np.int64).max
            if self.max_steps is None:  # max_epochs="auto": a cap; ConvergenceStopping stops
                epochs = epoch_cap(self.max_epochs)
            for epoch in range(resume["epoch"] if resume else 0, epochs):
                if self.max_steps is not None and self._fit_steps >= self.max_steps:
                    break
                self._epoch = epoch
                if resume is None:
                    self.notify("on_epoch_begin", **epoch_kwargs)
                    self._epoch_rng = StepCheckpointer.rng_states(self.device_)
                else:  # the restored history already holds this epoch's row: callbacks only
                    for _, cb in self.callbacks_:
                        cb.on_epoch_begin(self, **epoch_kwargs)
                    self._epoch_rng = resume["epoch_rng"]
                    self._ckpt.restore_rng(self._epoch_rng, self.device_)
                self._run_epoch(train, training=True, resume=resume)
                resume = None
                if valid is not None:
                    self._run_epoch(valid, training=False)
                self.notify("on_epoch_end", **epoch_kwargs)
        except KeyboardInterrupt:
            # skorch's convention: stop training, keep the model. EarlyStopping raises it to
            # end a complete fit; anything else (Ctrl-C) leaves the fit unfinished.
            self.interrupted_ = not early_stopped(self.callbacks_)
        except TrainingDivergedError:
            if self._ckpt is not None:  # resuming would diverge again, identically
                self._ckpt.remove()
            raise
        # per-fit RNG bookkeeping (CPU tensors) is not fitted state: never pickled with it
        vars(self).pop("_epoch_rng", None)
        if self.interrupted_:
            warnings.warn(interrupt_message(self), TrainingInterruptedWarning, stacklevel=3)
        elif self._ckpt is not None:
            self._ckpt.remove()  # the fit is complete: nothing left to resume
        self.notify("on_train_end", X=X, y=y)

    def _split_train_valid(self, data, y):
        index = np.arange(len(data))
        y_split = y if np.ndim(y) == 1 else None
        ds_train, ds_valid = self.train_split(Dataset(index, y_split), y_split)
        pick = lambda ds: torch.as_tensor(np.asarray(ds.indices), device=data.device)  # noqa: E731
        return data.subset(pick(ds_train)), data.subset(pick(ds_valid))

    def _run_epoch(self, data, training, resume=None):
        prefix = "train" if training else "valid"
        self._set_training(training)
        losses, sizes, task_losses = [], [], []
        codes_fn = None
        if self._rank_weight > 0:
            eps, pairing = self.rank_epsilon_, self.pairing
            codes_fn = lambda r, g: pair_codes(r, eps, pairing, g)  # noqa: E731
        # batches trained on before the checkpoint are skipped unread (same permutation)
        skip = resume["batch"] if resume else 0
        batches = data.batches(
            self.batch_size, training, codes_fn, skip, self.pairing, self._soft_labels()
        )
        for i, batch in enumerate(batches, start=skip):
            if i == skip and resume:
                self._ckpt.restore_rng(resume["rng"], self.device_)
                resume = None
            if self._batch_hooks:
                self.notify("on_batch_begin", batch=batch, training=training)
            if training and self.max_steps is not None and self._fit_steps >= self.max_steps:
                break
            step = self.train_step(batch) if training else self.validation_step(batch)
            self.steps_ += training
            self._fit_steps += training
            if training and self._ckpt is not None and self.steps_ % self._ckpt.every == 0:
                self._ckpt.save(self, self._epoch, i + 1, self._epoch_rng)
            losses.append(step["loss"].detach())
            if "task_loss" in step:
                task_losses.append(step["task_loss"])
            sizes.append(batch[0].shape[0])
            if self._batch_hooks:
                self.history.record_batch(prefix + "_loss", step["loss"].item())
                self.history.record_batch(prefix + "_batch_size", batch[0].shape[0])
                self.notify("on_batch_end", batch=batch, training=training, **step)
        batches.close()  # stops a prefetching reader at once when max_steps cut the epoch
        if resume:  # the checkpoint closed this epoch: continue from its RNG state
            self._ckpt.restore_rng(resume["rng"], self.device_)
        if losses:  # one reduction per epoch instead of a sync per batch
            weights = torch.as_tensor(sizes, dtype=losses[0].dtype, device=data.device)
            epoch_loss = float(torch.stack(losses) @ weights) / sum(sizes)
            if training:
                check_finite_loss(self, epoch_loss, losses)
            self.history.record(prefix + "_loss", epoch_loss)
            if task_losses:  # validation: the task loss alone, comparable across alphas
                task = float(torch.stack(task_losses) @ weights) / sum(sizes)
                self.history.record(prefix + "_task_loss", task)
            self.history.record(prefix + "_batch_count", len(losses))

    def train_step(self, batch, **fit_params):
        """One optimizer step on ``batch = (X, targets)``; returns ``{"loss", "y_pred"}``."""
        Xb, yb = batch
        if self.augment_ is not None:  # training batches only; never at predict time
            Xb = self.augment_(Xb)
        step = {}

        def closure():
            # Optimizer.zero_grad(set_to_none=True) does this, plus profiler bookkeeping
            # that costs ~30 us: ~3 % of the paper's EEG step.
            for group in self.optimizer_.param_groups:
                for p in group["params"]:
                    p.grad = None
            with self._autocast():
                y_pred = self._training_forward(Xb, yb)
                loss = self.get_loss(y_pred, yb, X=Xb, training=True)
            loss.backward()
            if self._prime_momentum:
                self._prime_momentum = prime_momentum_buffers(self.optimizer_)
            if self._grad_hooks:
                self.notify(
                    "on_grad_computed",
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch,
                    training=True,
                )
            step.update(loss=loss, y_pred=y_pred)
            return loss

        self.optimizer_.step(closure)
        return step

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
        also return the ranking head's projection, computed jointly with the task head."""
        ranked = self._rank_weight > 0 and targets.get("codes") is not None
        if ranked and hasattr(self.module_, "forward_with_projection"):
            return self.module_.forward_with_projection(x)
        return self.infer(x)

    def infer(self, x, **fit_params):
        """Run the module on a batch already on the device: ``(task_output, embedding)``."""
        return self.module_(x)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """``L_task + alpha * L_rank`` of a batch.

        ``y_pred`` is the module's ``(task_output, embedding)``; ``y_true`` the batch's
        targets: ``task``, ``codes`` (the pair relation labels, ``None`` for a batch with
        fewer than two counted pairs) and, with sample or class weights, ``weight``. With
        ``alpha == 0`` the ranking head is not evaluated at all, so it stays untrained (the
        paper's baseline). Both losses are reduced over the outputs the same way: the mean
        for regression (paper eq. 2), the sum for classification
        (:meth:`_rank_output_scale`). ``rank_labels="soft"`` (the batch then carries its
        ranking values as ``rank``) and ``alpha_schedule`` change the ranking term.
        """
        sample_w = y_true.get("weight")
        loss = self.get_task_loss(y_pred[0], y_true["task"], sample_w)
        codes = y_true.get("codes")
        if self._rank_weight > 0 and codes is not None:
            loss = self._add_rank_loss(loss, y_pred, y_true, codes, sample_w)
        elif loss is None:  # no task loss and no counted pair in this batch
            loss = y_pred[0].sum() * 0.0
        return loss

    def _rank_output_scale(self, n_targets):
        """Factor turning the ranking loss's mean over outputs into the task loss's
        reduction over outputs: 1 (mean, the regressors); classifiers sum (``n_targets``)."""
        return 1

    def get_rank_loss(self, y_pred, codes, weight=None):
        """Mean pairwise loss of a batch (PRNet: cross-entropy of the pair head's relations).

        ``y_pred`` is the module's output (with the pair head's projection as a third item
        in training), ``codes`` the batch's pair relation codes, ``weight`` the batch's
        sample weights or ``None`` (see :func:`sk_prnet.modules.ranking_loss`). The mean is
        over pairs and outputs.
        """
        projection = y_pred[2] if len(y_pred) > 2 else None
        return ranking_loss(
            self.module_.pair_head, y_pred[1], codes, self.pairing, projection, weight
        )

    # ------------------------------------------------------------------ persistence
    def __setstate__(self, state):
        # skorch maps the stored tensors to ``state["device"]``; "auto" means the best
        # device of *this* machine. The parameter itself is restored unchanged.
        requested = state["device"]
        is_auto = isinstance(requested, str) and requested == "auto"
        if is_auto:
            state["device"] = str(resolve_device("auto"))
        else:  # e.g. saved on cuda:1, loaded where there is one GPU or none: the CPU
            target, reason = loadable_device(requested)
            if reason is not None:
                warnings.warn(
                    f"{type(self).__name__} was saved on device={requested!r}, which is not "
                    f"available here ({reason}); it is loaded on the CPU with device='cpu'.",
                    DeviceWarning,
                    stacklevel=2,
                )
                state["device"] = str(target)
        super().__setstate__(state)
        actual = self.device
        vars(self)["device"] = requested if is_auto else actual
        if "device_" in vars(self):
            self.device_ = torch.device(actual)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        return tags
