"""Fit many PRNet estimators at once: :func:`fit_batched` (issue 15)."""

import numpy as np

from ..exceptions import TrainingDivergedError
from . import _batched_adapter as adapter
from ._batched import BatchedMLP

__all__ = ["fit_batched"]

# Default chunk: networks whose per-epoch batches (inputs, targets, pair labels) fit in this.
_CHUNK_BYTES = 256 * 2**20
_MAX_CHUNK = 128


def fit_batched(estimators, X_list, y_list, *, fit_params_list=None, max_models=None,
                fallback=False, on_fitted=None):  # fmt: skip
    """Fit PRNet estimators on their own data, training many networks as one batched model.

    Equivalent to ``[est.fit(X, y, **params) for est, X, y, params in zip(...)]``: every
    estimator is fitted in place from its own seed (``random_state``) on its own data, with
    its own ``alpha``, ``epsilon``, ``lr``, ``momentum`` and ``weight_decay``, and ends with
    the weights its own ``fit`` gives (to float32 rounding: the same initial weights,
    batches and pairs; see docs/performance.md for the measured differences). The fitted
    estimators are ordinary ones (``predict``, ``predict_proba``, ``compare``, pickling,
    ``history_``). The networks of one architecture are stacked on a "model" axis and
    trained with batched matmuls: for the paper's small EEG networks a step costs little
    more for 20 networks than for one.

    Estimators are grouped automatically: one batched model per group of equal class,
    input width, ``module__hidden_sizes``, number of classes (or outputs), ``batch_size``,
    ``max_epochs``, ``pairing``, device and ``deterministic``. Groups larger than
    ``max_models`` are trained in chunks (memory stays bounded).

    Parameters
    ----------
    estimators : list of PRNetClassifier or PRNetRegressor
        Unfitted (or refitted from scratch) estimators with ``module="mlp"``, the default
        criterion and ``torch.optim.SGD`` (batched training does not support
        ``callbacks``, ``train_split``, ``augment``, ``checkpoint_dir``, ``max_steps``,
        ``precision="bf16"``, ``rank_labels="soft"``, ``alpha_schedule``, head hidden
        layers or other ``optimizer__``/``criterion__`` parameters). Pass clones
        (:func:`sklearn.base.clone`) to keep the originals unfitted.
    X_list : list of array-like
        Training inputs, one per estimator.
    y_list : list of array-like
        Training targets, one per estimator.
    fit_params_list : list of dict or None, default=None
        Keyword arguments of each estimator's ``fit`` (``ranking_target``, ``rank_groups``,
        ``sample_weight``).
    max_models : int or None, default=None
        Most networks trained at once; ``None``: as many as keep each chunk's batches of an
        epoch within about 256 MiB (at most 128).
    fallback : bool, default=False
        Fit the estimators that batched training does not support with their own ``fit``
        instead of raising.
    on_fitted : callable or None, default=None
        Called as ``on_fitted(i, estimator)`` as soon as estimator ``i`` is fitted (the
        networks of a chunk all finish together), e.g. to store results as they come.
        Not called for a network that diverged or was interrupted.

    Returns
    -------
    estimators : list
        The same estimator objects, fitted, in the given order.

    Raises
    ------
    ValueError
        For lists of different lengths, an invalid ``max_models``, or (without
        ``fallback``) an estimator batched training does not support; the message says
        which and why. Each estimator's own ``fit`` validation errors are raised as is.
    TrainingDivergedError
        When the loss of some networks stopped being finite; the others are fitted, the
        message names the diverged ones (by position).
    KeyboardInterrupt
        Re-raised after an interrupt: the networks being trained hold their partly trained
        weights (``interrupted_=True``), those of earlier chunks are fitted, the later
        ones are not.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import clone
    >>> from sk_prnet import PRNetClassifier
    >>> from sk_prnet import fit_batched
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 6)).astype("float32")
    >>> y = (X[:, 0] > 0).astype(int)
    >>> base = PRNetClassifier(max_epochs=2, device="cpu")
    >>> nets = [clone(base).set_params(alpha=a, random_state=s)
    ...         for a in (0.0, 1.0) for s in (0, 1)]
    >>> folds = [np.arange(0, 90), np.arange(30, 120)] * 2
    >>> fitted = fit_batched(nets, [X[f] for f in folds], [y[f] for f in folds])
    >>> [len(est.history_) for est in fitted]
    [2, 2, 2, 2]
    """
    estimators = list(estimators)
    X_list, y_list = list(X_list), list(y_list)
    params = [{}] * len(estimators) if fit_params_list is None else list(fit_params_list)
    lengths = {len(estimators), len(X_list), len(y_list), len(params)}
    if len(lengths) != 1:
        raise ValueError(
            f"fit_batched needs one X, one y (and one fit_params dict) per estimator; got "
            f"{len(estimators)} estimators, {len(X_list)} X, {len(y_list)} y and "
            f"{len(params)} fit_params."
        )
    if max_models is not None and (
        isinstance(max_models, bool) or not isinstance(max_models, int | np.integer)
        or max_models < 1
    ):  # fmt: skip
        raise ValueError(f"max_models must be None or an integer >= 1, got {max_models!r}.")
    if len({id(e) for e in estimators}) != len(estimators):
        raise ValueError(
            "fit_batched got the same estimator object more than once; pass clones "
            "(sklearn.base.clone) so that each fit has its own estimator."
        )
    batched = []
    for i, est in enumerate(estimators):
        reason = adapter.unsupported_reason(est)
        if reason is None:
            batched.append(i)
        elif fallback:
            est.fit(X_list[i], y_list[i], **params[i])
            if on_fitted is not None:
                on_fitted(i, est)
        else:
            raise ValueError(
                f"Estimator {i} cannot be trained by fit_batched: {reason}. Change that "
                "parameter, fit it with its own fit(), or pass fallback=True to do so "
                "automatically."
            )
    errors = []
    for group in _groups(estimators, batched):
        for chunk in _chunks(group, X_list, max_models):
            errors += _fit_chunk(estimators, chunk, X_list, y_list, params, on_fitted)
    if errors:
        which = ", ".join(str(i) for i, _ in errors)
        raise TrainingDivergedError(
            f"The training of estimators {which} diverged (the others are fitted); the "
            f"first one's error: {errors[0][1]}"
        ) from errors[0][1]
    return estimators


def _groups(estimators, indices):
    """Indices grouped by the parameters one batched model must share (input order kept)."""
    groups = {}
    for i in indices:
        est = estimators[i]
        device = adapter.resolve_device(est.device)
        key = (
            type(est), repr(getattr(est, "module__hidden_sizes", None)), est.batch_size,
            est.max_epochs, est.pairing, str(device), bool(est.deterministic),
        )  # fmt: skip
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _chunks(group, X_list, max_models):
    if max_models is None:
        per_model = max(_epoch_bytes(X_list[i]) for i in group)
        max_models = int(min(_MAX_CHUNK, max(1, _CHUNK_BYTES // max(per_model, 1))))
    return [group[s : s + max_models] for s in range(0, len(group), max_models)]


def _epoch_bytes(X):
    """About the bytes of one network's batches of an epoch (inputs and pair labels)."""
    shape = np.shape(X)
    n = shape[0] if shape else 0
    width = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return n * (4 * width + 8 * 40 * 2)  # inputs as float32, ~pair labels of a 40-batch


def _fit_chunk(estimators, chunk, X_list, y_list, params, on_fitted):
    """Prepare the chunk's estimators, split them by fitted architecture, train each part."""
    prepared = {i: adapter.prepare(estimators[i], X_list[i], y_list[i], params[i]) for i in chunk}
    parts = {}
    for i in chunk:
        est = estimators[i]
        layers, task, sides = adapter.linear_layers(est)
        shape = tuple(tuple(layer.weight.shape) for layer in (*layers, task, sides))
        counts, _, _, n_targets = adapter.loss_spec(est)
        key = (shape, None if counts is None else tuple(counts), n_targets)
        parts.setdefault(key, []).append(i)
    errors = []
    for part in parts.values():
        engine = BatchedMLP([estimators[i] for i in part], [prepared[i] for i in part])
        with adapter.deterministic_algorithms(estimators[part[0]].deterministic):
            failed = [(part[m], exc) for m, exc in engine.fit()]
        errors += failed
        if on_fitted is not None:
            for i in part:
                if all(i != j for j, _ in failed):
                    on_fitted(i, estimators[i])
        for i in part:
            prepared[i] = None  # free the data as soon as a part is done
    return errors
