"""The one place where batched training (:mod:`._batched`) reads an estimator's internals.

Batched training must give every network exactly what the estimator's own ``fit`` gives:
the same validation and target encoding, the same seeded initial weights, the same batches
and pair labels drawn from the same RNG stream, the same losses and the same fitted state.
It gets them from the estimator itself, never from a copy of its logic; this module names
every internal it touches, so that a change of the estimators' training loop is re-wired
here (the equivalence tests in ``tests/estimators/test_fit_batched.py`` are the contract):

* :func:`prepare` runs the estimator's ``fit`` up to its training loop: ``fit`` calls
  ``_fit_loop(data, X, y)`` inside its seeded RNG context after ``initialize()``; that call
  (and ``_after_fit``) is intercepted on the instance, and the ``TrainingBatches`` and the
  CPU RNG state the first epoch's permutation will be drawn from are kept;
* :func:`epoch_batches` draws one epoch's batches as ``_run_epoch`` does;
* :func:`linear_layers`, :func:`write_back` read and set the module's weights and the
  optimizer's momentum buffers;
* :func:`loss_spec` the loss's shape (classes per output, the ranking term's scale);
* :func:`begin_training`, :func:`begin_epoch`, :func:`end_epoch`, :func:`end_training`
  keep the history, the step counters, callbacks and the end-of-fit state like
  ``_fit_loop`` does.
"""

import inspect
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from ..exceptions import TrainingInterruptedWarning
from ..modules import pair_codes
from ._checks import resolve_device  # noqa: F401  (re-exported for grouping)
from ._determinism import deterministic_algorithms  # noqa: F401
from ._outcome import check_finite_loss, interrupt_message
from .classifier import PRNetClassifier
from .regressor import PRNetRegressor

__all__ = ["unsupported_reason", "prepare", "epoch_batches", "Prepared"]

_SUPPORTED = (PRNetClassifier, PRNetRegressor)
_CRITERIA = {PRNetClassifier: torch.nn.CrossEntropyLoss, PRNetRegressor: torch.nn.MSELoss}
# prefixed parameters that do not change what is trained
_HARMLESS = {"module__hidden_sizes", "optimizer__fused", "optimizer__foreach"}


def _default(est, name):
    return inspect.signature(type(est).__init__).parameters[name].default


def unsupported_reason(est):
    """Why ``est`` cannot be trained by the batched engine (``None``: it can).

    Checked on the parameters only, before anything is fitted.
    """
    name = type(est).__name__
    if type(est) not in _SUPPORTED:
        return f"{name} is not a PRNetClassifier or PRNetRegressor"
    if not (isinstance(est.module, str) and est.module == "mlp"):
        return f"module={est.module!r} (only the 'mlp' backbone is batched)"
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
        if param == "callbacks" and isinstance(value, list | tuple) and not value:
            continue
        if not (value is ok or (isinstance(ok, str) and value == ok)):
            return f"{param}={value!r} (batched training needs {param}={ok!r})"
    if est.warm_start and est.initialized_ and hasattr(est, "n_features_in_"):
        return "warm_start=True on a fitted estimator (batched training starts from scratch)"
    return None


@dataclass
class Prepared:
    """What ``fit`` had prepared when its training loop would have started."""

    data: object  # the estimator's TrainingBatches
    X: object  # validated inputs (for callbacks and _after_fit)
    y: object
    rng: torch.Tensor  # CPU RNG state the next epoch's permutation is drawn from


def prepare(est, X, y, fit_params):
    """Run ``est.fit(X, y, **fit_params)`` up to its training loop (see the module doc).

    Returns
    -------
    prepared : Prepared
        With ``est`` validated, its targets encoded and its module and optimizer initialized
        from its seed, exactly as its own ``fit`` leaves them when the first epoch starts.
    """
    captured = {}

    def capture(data, X_valid, y_valid):
        captured["prep"] = Prepared(data, X_valid, y_valid, torch.get_rng_state())

    # instance attributes shadow the methods for this one call
    vars(est)["_fit_loop"] = capture
    vars(est)["_after_fit"] = lambda X_valid, y_valid: None
    try:
        est.fit(X, y, **fit_params)
    finally:
        vars(est).pop("_fit_loop", None)
        vars(est).pop("_after_fit", None)
    return captured["prep"]


def epoch_batches(est, prep):
    """The next epoch's training batches of ``est``, as ``_run_epoch`` draws them.

    The permutation comes from the estimator's own RNG stream (``prep.rng``, advanced
    here), in a fork so that the global state is untouched.

    Returns
    -------
    batches : list of (Tensor, dict)
        ``(X_batch, targets)`` with ``targets`` holding ``task``, and ``codes`` (``None``
        for a batch with fewer than two counted pairs) when ``alpha > 0``, and ``weight``
        when the fit has sample or class weights.
    """
    codes_fn = None
    if est._rank_weight > 0:
        eps, pairing = est.rank_epsilon_, est.pairing
        codes_fn = lambda r, g: pair_codes(r, eps, pairing, g)  # noqa: E731
    with torch.random.fork_rng(devices=[]):
        torch.set_rng_state(prep.rng)
        batches = list(prep.data.batches(est.batch_size, True, codes_fn, 0, est.pairing, False))
        prep.rng = torch.get_rng_state()
    return batches


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
    est.steps_ = 0
    est._fit_steps = 0
    est._epoch = 0
    est._ckpt = None
    est.interrupted_ = False
    est.notify("on_train_begin", X=prep.X, y=prep.y)


def begin_epoch(est, prep, epoch):
    est._epoch = epoch
    est.notify("on_epoch_begin", dataset_train=prep.data, dataset_valid=None)


def end_epoch(est, prep, loss, step_losses):
    """Record an epoch (``step_losses``: its steps' loss tensors, in order); raises
    :class:`~sk_prnet.TrainingDivergedError` as ``fit`` does when ``loss`` is not finite."""
    n = len(step_losses)
    est.steps_ += n
    est._fit_steps += n
    check_finite_loss(est, loss, step_losses)
    est.history.record("train_loss", loss)
    est.history.record("train_batch_count", n)
    est.notify("on_epoch_end", dataset_train=prep.data, dataset_valid=None)


def end_training(est, prep, interrupted):
    est.interrupted_ = bool(interrupted)
    if interrupted:
        warnings.warn(interrupt_message(est), TrainingInterruptedWarning, stacklevel=4)
    est.notify("on_train_end", X=prep.X, y=prep.y)
    est._after_fit(prep.X, prep.y)
