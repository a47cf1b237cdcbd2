"""The private base shared by PRNetClassifier and PRNetRegressor.

It keeps skorch's machinery (callbacks, history, ``initialize_*``, ``set_params``,
``save_params``/``load_params``, pickling) and replaces the parts that do not fit PRNet:

* inputs are validated like scikit-learn (``validate_data``, ``n_features_in_``);
* per-sample metadata the loss needs (``ranking_target``, ``rank_groups``,
  ``sample_weight``) travels with the batches, never to ``module.forward``, and is
  requested through metadata routing (``set_fit_request`` accepts only these names);
* training runs through skorch's own hooks (``fit -> partial_fit -> fit_loop ->
  run_single_epoch -> train_step -> train_step_single -> infer/get_loss``, see
  ``_training``), on batches sliced from device tensors instead of a ``DataLoader``
  (see ``_batches``);
* ``random_state`` seeds init, shuffling and pairing inside a forked torch RNG state;
* ``device="auto"`` is resolved at fit into ``device_`` without rewriting the parameter.

It has neither ``alpha`` nor pairwise inference: the estimators combine it with a target
piece (``_targets``) and, for PRNet's trainable pair head, ``PairHeadMixin`` (``alpha``,
``compare``/``rank_scores``); RankNet is this base with a score module and
``rank_criterion=RankNetLoss``.
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
from torch.utils.data import DataLoader

from ..modules import PAIRINGS
from ..modules.augment import make_augment
from ..ordinal import check_epsilon
from ._batches import TrainingBatches, free_device_memory
from ._callbacks import LossBest, QuietPrintLog
from ._convergence import auto_stopping, check_max_epochs
from ._determinism import deterministic_algorithms
from ._optim import FusedSGDMixin
from ._pair_loss import PairLossMixin
from ._predict import PredictMixin
from ._training import TrainingLoopMixin
from ._validation import (
    InputValidationMixin,
    _check_real,
    forked_devices,
    loadable_device,
    resolve_device,
    seed_forked,
)
from ._weights import LossWeightsMixin

__all__ = ["PRNetBase"]


class PRNetBase(
    InputValidationMixin,
    LossWeightsMixin,
    FusedSGDMixin,
    PredictMixin,
    PairLossMixin,
    TrainingLoopMixin,
    NeuralNet,
):
    """Shared implementation of the PRNet estimators (private; use the subclasses).

    The estimators combine it with a target piece (``_targets``: ``_encode_targets``,
    ``_n_task_outputs``, ``_decode``) and implement ``get_task_loss`` and ``_build_module``
    (the module for the fitted input shape). The pair loss is the ``rank_criterion``
    (``sk_prnet.modules.losses``). Optional hooks: ``_ranking_weight`` (validated weight of
    the pair loss, 1 here; ``alpha`` with a pair head), ``_rank_term`` and
    ``_batch_rank_weight`` (the pair loss and its weight in a batch),
    ``_rank_output_scale`` (its reduction over outputs), ``_loss_weights`` (per-sample
    weights from ``sample_weight``) and ``_check_label_ranking``.
    """

    # skorch attributes that are not constructor parameters here.
    compile = False
    use_caching = "auto"
    torch_load_kwargs = None
    predict_nonlinearity = None
    history_ = None
    initialized_ = False
    virtual_params_ = MappingProxyType({})  # read-only until ``initialize`` makes its own
    # get_dataset/get_iterator make a TrainingBatches and its device batches (``_training``)
    dataset = Dataset
    iterator_train = iterator_valid = DataLoader

    def __init__(
        self,
        module="mlp",
        *,
        criterion,
        rank_criterion,
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
        # through vars(): skorch's __setattr__ refuses nn.Module instances outside initialize_*
        vars(self).update(module=module, criterion=criterion, rank_criterion=rank_criterion)
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
        if not self.initialized_ or "device" in params:
            return super().set_params(**params)
        # skorch moves re-initialized components (e.g. on criterion__*) to ``self.device``:
        # give it the resolved device for the call only, as ``initialize`` does
        requested = self.device
        vars(self)["device"] = getattr(self, "device_", None) or resolve_device(requested)
        try:
            return super().set_params(**params)
        finally:
            vars(self)["device"] = requested

    def get_default_callbacks(self):
        """skorch's defaults: epoch timer, ``train_loss``/``valid_loss`` (their ``_best``
        columns; the losses themselves are recorded by the fit loop) and print log; with
        ``max_epochs="auto"`` (unless ``max_steps`` is set) the training budget rule."""
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", LossBest("train_loss")),
            ("valid_loss", LossBest("valid_loss")),
            ("print_log", QuietPrintLog()),
        ]
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

    def _check_hyperparameters(self):
        self._rank_weight = self._ranking_weight()
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
        warm = bool(self.warm_start and self._is_fitted())
        meta = dict(
            ranking_target=ranking_target, rank_groups=rank_groups, sample_weight=sample_weight
        )
        data = self._fit_data(X, y, meta, reset=not warm)
        with self._seeded_rng(self.device_), deterministic_algorithms(self.deterministic):
            if not warm:
                self.initialize()
                self.steps_ = 0  # optimizer steps taken in all (continued by warm starts)
            self.partial_fit(data, None)
        self._after_fit(data.X, data.y)
        return self

    def _is_fitted(self):
        return bool(self.initialized_ and hasattr(self, "n_features_in_"))

    def _fit_data(self, X, y, meta, reset):
        """Check the parameters, validate ``X``, ``y`` and the metadata (``reset``: set the
        fitted input and target attributes) and return them as a ``TrainingBatches``."""
        device = self._check_hyperparameters()
        X, y = self._validate_fit_y(X, y, reset=reset)
        n = X.shape[0]
        task, rank, rank_eps = self._encode_targets(y, reset=reset)
        ranking_target, rank_groups = meta.get("ranking_target"), meta.get("rank_groups")
        if ranking_target is not None:
            check_consistent_length(X, ranking_target)
            rank = self._validate_ranking_target(ranking_target, n, task.shape[1])
            rank_eps = float(self.epsilon)
        elif self._rank_weight > 0:
            self._check_label_ranking()
        groups = None if rank_groups is None else self._encode_groups(rank_groups, n)
        sample_weight = self._validate_sample_weight(meta.get("sample_weight"), X)
        weight = self._loss_weights(sample_weight, task)
        self.rank_epsilon_ = rank_eps
        self.n_targets_ = int(task.shape[1])
        self.device_ = device
        # set directly: skorch refuses nn.Module attributes outside initialize_*, and the
        # augmentation holds no trainable state for it to manage
        vars(self)["augment_"] = make_augment(self.augment)
        return TrainingBatches(
            X, task, torch.tensor(rank, dtype=torch.float64), groups, device, weight=weight,
            free_bytes=free_device_memory(device), prefetch=self.prefetch, y=y,
        )  # fmt: skip

    def _after_fit(self, X, y):
        """Hook run at the end of ``fit`` with the validated ``X`` and ``y``."""

    def partial_fit(
        self, X, y=None, classes=None, ranking_target=None, rank_groups=None, sample_weight=None
    ):
        """Train for ``max_epochs`` more epochs, keeping the current weights when fitted.

        Parameters are those of :meth:`fit`; ``classes`` is for classifiers only (skorch's
        signature, whose metadata routing marks it as not metadata) and must be ``None``.
        ``fit`` calls it with its validated data (a skorch ``Dataset``, ``y=None``), after
        initializing the network, as skorch's ``fit`` does. Returns ``self``.
        """
        if isinstance(X, TrainingBatches):  # from fit: validated, initialized, RNG seeded
            self._train(X)
            return self
        if classes is not None:
            raise ValueError(
                f"classes is a parameter of classifiers' partial_fit; {type(self).__name__} "
                "predicts values and takes no classes."
            )
        fitted = self._is_fitted()
        meta = dict(
            ranking_target=ranking_target, rank_groups=rank_groups, sample_weight=sample_weight
        )
        data = self._fit_data(X, y, meta, reset=not fitted)
        with self._seeded_rng(self.device_), deterministic_algorithms(self.deterministic):
            if not fitted:
                self.initialize()
                self.steps_ = 0
            self._train(data)
        self._after_fit(data.X, data.y)
        return self

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
        """Build the module for the fitted input shape and targets (``_build_module``)."""
        self.module_ = self._build_module(self.get_params_for("module"))
        return self

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
