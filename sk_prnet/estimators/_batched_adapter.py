"""The one place where batched training (:mod:`._batched`) reads an estimator's internals.

Batched training must give every network exactly what the estimator's own ``fit`` gives:
the same validation and target encoding, the same seeded initial weights, the same batches
and pair labels drawn from the same RNG stream, the same losses, the same epoch count and
the same fitted state. It gets them from the estimator itself, never from a copy of its
logic; this module names every internal it touches, so that a change of the estimators'
training loop (``_training.TrainingLoopMixin``) is re-wired here (the equivalence tests in
``tests/estimators/test_fit_batched.py`` are the contract):

* :func:`prepare` runs the estimator's ``fit`` up to its training loop: ``fit`` validates,
  seeds, initializes, and ``partial_fit`` notifies ``on_train_begin`` and calls
  ``fit_loop(dataset)``. That call is intercepted on the instance: the capture takes the
  training dataset and its iterator from the estimator's own ``get_split_datasets`` and
  ``get_iterator`` hooks, and the CPU RNG state the first epoch's permutation will be
  drawn from, then leaves ``fit`` (a private exception) before anything is trained;
* :func:`samples`, :func:`epoch_order`, :func:`epoch_codes` give what one epoch's pass over
  that iterator (``TrainingBatches.batches``) is made of: the dataset's device tensors, the
  permutation drawn from the estimator's RNG stream, and the pair labels of each batch
  built by the iterator's own ``codes_fn`` (the engine gathers the batches of all networks
  at once instead of slicing them one by one);
* :func:`linear_layers`, :func:`write_back` read and set the module's weights and the
  optimizer's momentum buffers;
* :func:`fused_sgd` whether its SGD runs torch's fused kernel;
* :func:`loss_spec` the loss's shape (classes per output, the ranking term's scale);
* :func:`begin_training`, :func:`begin_epoch`, :func:`end_epoch`, :func:`end_training`
  keep the per-fit ``_run`` record, the history, the step counters, the callbacks (the
  ``max_epochs="auto"`` budget is the estimator's own ``ConvergenceStopping``, which ends a
  network's training from ``on_epoch_end``) and the end-of-fit state like ``fit_loop`` and
  ``partial_fit`` do; :func:`epoch_cap` the most epochs ``fit_loop`` runs.
"""

import inspect
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from ..exceptions import TrainingInterruptedWarning
from ._batches import _epoch_codes
from ._convergence import ConvergenceStopping
from ._convergence import epoch_cap as _epoch_cap
from ._determinism import deterministic_algorithms  # noqa: F401
from ._loader import as_device_tensor
from ._outcome import check_finite_loss, early_stopped, interrupt_message
from ._validation import resolve_device  # noqa: F401  (re-exported for grouping)
from .classifier import PRNetClassifier
from .regressor import PRNetRegressor

__all__ = ["unsupported_reason", "prepare", "Prepared"]

_SUPPORTED = (PRNetClassifier, PRNetRegressor)
_CRITERIA = {PRNetClassifier: torch.nn.CrossEntropyLoss, PRNetRegressor: torch.nn.MSELoss}
# prefixed parameters that do not change what is trained
_HARMLESS = {"module__hidden_sizes", "optimizer__fused", "optimizer__foreach"}


def _default(est, name):
    return inspect.signature(type(est).__init__).parameters[name].default


def _plateau_reason(est):
    """Why ``est``'s stopping rule cannot be batched (``None``: it can). A training budget
    (``ConvergenceStopping(n_iter_no_change=0)``, what ``max_epochs="auto"`` adds) stops
    each network after a number of epochs known from its batch count; a loss-plateau rule
    compares each epoch's loss with a tolerance, and the batched losses round differently
    (within 1e-5), which can move that stop by an epoch."""
    plateau = [
        f"{k}={v!r}" for k, v in vars(est).items()
        if k.startswith("callbacks__") and k.endswith("__n_iter_no_change") and v != 0
    ]  # fmt: skip
    callbacks = est.callbacks if isinstance(est.callbacks, list | tuple) else ()
    for cb in callbacks:
        cb = cb[1] if isinstance(cb, tuple) and len(cb) == 2 else cb
        if isinstance(cb, ConvergenceStopping) and cb.n_iter_no_change != 0:
            plateau.append(f"ConvergenceStopping(n_iter_no_change={cb.n_iter_no_change!r})")
    if not plateau:
        return None
    return (
        f"it stops on a loss plateau ({', '.join(plateau)}): batched losses differ from its "
        "own fit's by float rounding, which can move that stop; batched training supports "
        "the training budget only (max_epochs='auto', or ConvergenceStopping with "
        "n_iter_no_change=0)"
    )


def _only_budget_callbacks(value):
    """Whether ``callbacks`` holds nothing but training budgets (ConvergenceStopping)."""
    items = [cb[1] if isinstance(cb, tuple) and len(cb) == 2 else cb for cb in value]
    return all(isinstance(cb, ConvergenceStopping) for cb in items)


def unsupported_reason(est):
    """Why ``est`` cannot be trained by the batched engine (``None``: it can).

    Checked on the parameters only, before anything is fitted.
    """
    name = type(est).__name__
    if type(est) not in _SUPPORTED:
        return f"{name} is not a PRNetClassifier or PRNetRegressor"
    if not (isinstance(est.module, str) and est.module == "mlp"):
        return f"module={est.module!r} (only the 'mlp' backbone is batched)"
    plateau = _plateau_reason(est)
    if plateau is not None:
        return plateau
    prefixed = sorted(
        k for k in vars(est)
        if "__" in k and not k.startswith("_") and not k.endswith("_") and k not in _HARMLESS
    )  # fmt: skip
    if prefixed:
        return f"it sets {prefixed} (only module__hidden_sizes is supported)"
    if est.criterion is not _CRITERIA[type(est)]:
        return f"criterion={est.criterion!r} (only the default is supported)"
    if est.optimizer is not torch.optim.SGD:
        return f"optimizer={est.optimizer!r} (only torch.optim.SGD is supported)"
    unsupported = {
        "callbacks": None, "train_split": None, "augment": None, "checkpoint_dir": None,
        "max_steps": None, "precision": "fp32", "rank_labels": "hard", "alpha_schedule": None,
    }  # fmt: skip
    for param, ok in unsupported.items():
        value = getattr(est, param)
        budgets = isinstance(value, list | tuple) and _only_budget_callbacks(value)
        if param == "callbacks" and budgets:
            continue
        if not (value is ok or (isinstance(ok, str) and value == ok)):
            return f"{param}={value!r} (batched training needs {param}={ok!r})"
    if est.warm_start and est.initialized_ and hasattr(est, "n_features_in_"):
        return "warm_start=True on a fitted estimator (batched training starts from scratch)"
    return None


def epoch_cap(est):
    """The most epochs ``est``'s ``fit_loop`` runs (``max_epochs``, or the cap of
    ``"auto"``, whose budget callback stops it earlier)."""
    return _epoch_cap(est.max_epochs)


@dataclass
class Prepared:
    """What ``fit`` had prepared when its training loop would have started."""

    data: object  # the training dataset (TrainingBatches) of get_split_datasets
    iterator: object  # its training iterator (EpochBatches) of get_iterator
    X: object  # validated inputs (for callbacks and _after_fit)
    y: object
    rng: torch.Tensor  # CPU RNG state the next epoch's permutation is drawn from


class _Paused(Exception):
    """Leaves ``fit`` where its training loop would start (see :func:`prepare`)."""


def prepare(est, X, y, fit_params):
    """Run ``est.fit(X, y, **fit_params)`` up to its training loop (see the module doc).

    Returns
    -------
    prepared : Prepared
        With ``est`` validated, its targets encoded, its module and optimizer initialized
        from its seed and ``on_train_begin`` notified, exactly as its own ``fit`` leaves
        them when the first epoch starts.
    """
    captured = {}

    def capture(dataset, y=None, epochs=None, **fit_params):
        # what partial_fit hands to fit_loop: the validated dataset, in the seeded RNG state
        train, _ = est.get_split_datasets(dataset, None)
        iterator = est.get_iterator(train, training=True)
        captured["prep"] = Prepared(train, iterator, dataset.X, dataset.y, torch.get_rng_state())
        raise _Paused

    # an instance attribute shadows the method for this one call
    vars(est)["fit_loop"] = capture
    try:
        est.fit(X, y, **fit_params)
    except _Paused:
        pass
    finally:
        vars(est).pop("fit_loop", None)
    return captured["prep"]


def samples(prep):
    """``(inputs, task, weight)`` device tensors of the training samples, in order:
    what every batch of ``TrainingBatches.batches`` is sliced or gathered from (``weight``
    ``None`` without sample or class weights)."""
    data = prep.data
    if data.rows is not None:  # never: train_split is refused
        raise ValueError("batched training needs the whole training set")
    inputs = data.inputs
    if data.source == "stream":  # host inputs (e.g. memory-mapped features): read them
        inputs = as_device_tensor(data.host_X, data.device)
    return inputs, data.task, data.weight


def epoch_order(prep):
    """The permutation of the samples the next epoch trains in, as ``run_single_epoch``'s
    pass over the training iterator draws it (``TrainingBatches.batches``:
    ``torch.randperm(len(data))`` from the CPU generator), in the estimator's RNG stream
    (``prep.rng``, advanced here; a fork keeps the global state untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.set_rng_state(prep.rng)
        order = torch.randperm(len(prep.data))
        prep.rng = torch.get_rng_state()
    return order


def epoch_codes(est, prep, order):
    """The pair labels of the epoch's batches in ``order`` (a list, ``None`` for a batch
    with fewer than two counted pairs), built as the training iterator builds them (its
    ``codes_fn`` and ``_batches._epoch_codes``); ``None`` when the fit ranks no pairs."""
    options = prep.iterator.options
    if options.get("codes_fn") is None:
        return None
    data = prep.data
    p = order.to(data.device)
    groups = None if data.groups is None else data.groups[p]
    groups_host = None if data.groups is None else data.groups_host[order.numpy()]
    codes = _epoch_codes(data.rank[p], groups, groups_host, est.batch_size,
                         options["codes_fn"], options["pairing"], 0)  # fmt: skip
    return [c() for c in codes]


def linear_layers(est):
    """The module's ``nn.Linear`` layers: the backbone's, then the task head and the pair
    head's per-sample projection (the two heads share the embedding, see
    ``PRNetModule.forward_with_projection``)."""
    module = est.module_
    layers = [m for m in module.backbone.layers if isinstance(m, nn.Linear)]
    task = module.task_head.net
    if not isinstance(task, nn.Linear) or module.pair_head.hidden is not None:
        raise ValueError("batched training needs single-layer task and ranking heads")
    return layers, task, module.pair_head.sides


def fused_sgd(est):
    """Whether ``est``'s own ``fit`` updates with torch's fused SGD kernel (its optimizer's
    ``fused`` flag, set by :func:`._optim.optimizer_arguments` or by the user)."""
    return bool(est.optimizer_.param_groups[0].get("fused"))


def loss_spec(est):
    """``(class_counts or None, ranking scale, ranking weight, n_targets)`` of ``est``."""
    n_targets = est.n_targets_
    counts = list(est._n_classes) if isinstance(est, PRNetClassifier) else None
    return counts, float(est._rank_output_scale(n_targets)), est._rank_weight, n_targets


def write_back(est, tensors, buffers):
    """Set ``est``'s weights to ``tensors`` and its SGD momentum buffers to ``buffers``.

    ``tensors`` and ``buffers`` follow :func:`linear_layers`' order (weight, bias per layer);
    a ``None`` buffer is a parameter that never had a gradient (torch keeps no buffer).
    """
    layers, task, sides = linear_layers(est)
    params = [p for layer in (*layers, task, sides) for p in (layer.weight, layer.bias)]
    state = est.optimizer_.state
    with torch.no_grad():
        for p, value, buf in zip(params, tensors, buffers):
            p.copy_(value)
            if buf is not None and est.momentum:
                state[p]["momentum_buffer"] = buf.clone(memory_format=torch.contiguous_format)


def begin_training(est, prep):
    """The per-fit record ``fit_loop`` keeps (``on_train_begin`` was notified by ``fit``)."""
    est._new_run(prep.data, checkpoints=False)


def begin_epoch(est, prep, epoch):
    est._run.epoch = epoch
    est.notify("on_epoch_begin", dataset_train=prep.data, dataset_valid=None)


def end_epoch(est, prep, loss, step_losses):
    """Record an epoch (``step_losses``: its steps' loss tensors, in order) as
    ``run_single_epoch`` and ``fit_loop`` do.

    Returns
    -------
    stopped : bool
        The estimator's stopping rule (the ``max_epochs="auto"`` budget) ended its training
        after this epoch: a complete fit.

    Raises
    ------
    TrainingDivergedError
        As ``fit`` does, when ``loss`` is not finite.
    """
    n = len(step_losses)
    est.steps_ += n
    est._run.fit_steps += n
    check_finite_loss(est, loss, step_losses)
    est.history.record("train_loss", loss)
    est.history.record("train_batch_count", n)
    try:
        est.notify("on_epoch_end", dataset_train=prep.data, dataset_valid=None)
    except KeyboardInterrupt:
        if not early_stopped(est.callbacks_):
            raise  # a user's Ctrl-C
        return True
    return False


def end_training(est, prep, interrupted):
    """End a fit as ``partial_fit`` and ``fit`` do (the weights are written back)."""
    est.interrupted_ = bool(interrupted)
    try:
        if interrupted:
            warnings.warn(interrupt_message(est), TrainingInterruptedWarning, stacklevel=4)
        est.notify("on_train_end", X=prep.X, y=prep.y)
    finally:
        vars(est).pop("_run", None)
    est._after_fit(prep.X, prep.y)


def abandon(est):
    """Drop the per-fit record of a network whose training failed (it is not fitted)."""
    vars(est).pop("_run", None)
