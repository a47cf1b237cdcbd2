"""PRNetClassifier: classification task heads + pairwise ranking heads."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from ..modules._strided import storage_view
from ..ordinal import class_ranks
from ._base import PRNetBase

__all__ = ["PRNetClassifier"]


class PRNetClassifier(ClassifierMixin, PRNetBase):
    """Pairwise Ranking Network classifier (Zoumpourlis & Patras, ACII 2021).

    A shared embedding backbone feeds one classification head per output (cross-entropy) and
    one ranking head per output that learns the ordinal relation of sample pairs;
    the loss is ``L_cls + alpha * L_rank`` (each summed over outputs).

    Ranking labels come from ``ranking_target`` (continuous values, e.g. DEAP ratings) with
    tolerance ``epsilon`` when given to :meth:`fit`, else from the rank of each label in
    ``class_order`` (paper Table III; pairs of the same class are "similar").

    Parameters
    ----------
    module : {"mlp", "vgg"} or nn.Module class or instance, default="mlp"
        Embedding backbone; inputs may be float arrays or ``uint8`` images (e.g. the
        memory-mapped AffectNet cache), which are read and scaled by 1/255 batch by batch
        on the device, never converted as a whole. ``"mlp"``: FC layers
        (``module__hidden_sizes``, default (128, 128), the paper's EEG net); ``"vgg"``: the
        paper's 5-stage CNN (``module__channels``). A user module maps ``X`` to ``(n, d)``
        embeddings; ``d`` is inferred. ``module__task_hidden`` / ``module__ranking_hidden``
        add a hidden layer to the task / ranking heads (paper images: 256).
    alpha : float, default=1.0
        Weight of the ranking loss; ``0`` is exactly the plain baseline (ranking head never
        evaluated during training).
    epsilon : float, default=0.25
        Rank tolerance applied to ``ranking_target`` (paper DEAP value).
    class_order : array-like or list of array-like, default=None
        Classes from lowest to highest, used for ranking when no ``ranking_target`` is given;
        one sequence for all outputs or one per output. ``None``: sorted labels.
    pairing : {"split", "all"}, default="split"
        ``"split"``: batch halves against each other (paper, ``N_sub**2`` pairs); ``"all"``:
        every ordered pair of the batch.
    criterion : type of torch loss, default=torch.nn.CrossEntropyLoss
        Task loss, applied per output (``criterion__*`` passes arguments).
    optimizer : type of torch optimizer, default=torch.optim.SGD
        The default SGD runs torch's fused kernel on the built-in backbones (same update,
        fewer ops; not with ``optimizer__dampening``); set ``optimizer__fused=False`` for
        torch's default implementation.
    lr : float, default=1e-3
    momentum : float, default=0.9
        Passed to the optimizer when it accepts it (and no ``optimizer__momentum`` is set).
    weight_decay : float, default=5e-4
        Passed to the optimizer when it accepts it.
    max_epochs : int, default=20
    max_steps : int or None, default=None
        Stop after this many optimizer steps (the paper counts 50K steps on AffectNet); when
        set it replaces ``max_epochs``. ``steps_`` counts the steps taken.
    batch_size : int, default=40
    train_split : callable or None, default=None
        skorch-style validation split (e.g. ``skorch.dataset.ValidSplit(5)``) recording
        ``valid_loss``; ``None`` leaves splitting to scikit-learn.
    callbacks : list of skorch callbacks or None, default=None
    warm_start : bool, default=False
    verbose : int, default=0
    device : {"auto", "cpu", "cuda", ...} or torch.device, default="auto"
        ``"auto"`` takes CUDA when available, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weight init, shuffling, pairing and augmentation (reproducible on the CPU).
    augment : None, True, "paper", dict or callable, default=None
        Batch augmentation of image inputs, applied on the device to training batches only
        (never at predict time); see :func:`sk_prnet.modules.make_augment` (``"paper"``:
        rotation ±30°, zoom ±15 %, flips, brightness/contrast; needs ``sk-prnet[images]``).
    checkpoint_dir : str or path-like or None, default=None
        Where to write a checkpoint every ``checkpoint_every`` optimizer steps (module,
        optimizer, history, RNG states, position in the epoch). A ``fit`` with the same
        parameters and data shape finds it and resumes exactly where a killed run stopped
        (identical to an uninterrupted fit when ``random_state`` is set); a completed fit
        removes it, an interrupted one (Ctrl-C) keeps it. A checkpoint of other parameters,
        or a file that is not a checkpoint, is refused with a
        :class:`~sk_prnet.CheckpointError`; checkpoints hold only tensors and JSON, and
        loading one never runs code.
    checkpoint_every : int, default=1000
        Steps between checkpoints.
    deterministic : bool, default=False
        Train with torch's deterministic algorithms (``torch.use_deterministic_algorithms``,
        deterministic cuDNN without autotuning, ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless
        set), restored when ``fit`` ends. With ``random_state`` this makes GPU fits repeat
        bit for bit (at some speed cost); an operation without a deterministic
        implementation then raises. On the CPU it changes nothing: CPU fits already repeat
        bit for bit (same torch build and thread count).
    batch_size_predict : int or None, default=None
        Rows per batch in ``predict``, ``compare``, ``rank_scores`` etc.; ``None``:
        ``max(256, 4 * batch_size)``. Results do not depend on it (up to float rounding).
    precision : {"fp32", "bf16"}, default="fp32"
        ``"bf16"`` runs the module and losses under bfloat16 autocast (weights, gradients
        and the optimizer stay float32): faster on GPUs with bf16 units, different numbers.
        See docs/gpu.md.
    prefetch : int, default=2
        Batches of ``uint8``/memory-mapped inputs (and of any input copied to a GPU at
        predict time) read ahead by a background thread (0: off); results do not depend
        on it.
    **kwargs
        skorch-style prefixed parameters: ``module__*``, ``optimizer__*``, ``criterion__*``,
        ``callbacks__*``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Labels of each output (a list for 2-D ``y``).
    class_order_ : ndarray or list of ndarray
        The class order used for ranking.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    n_targets_ : int
        Number of outputs.
    module_ : sk_prnet.modules.PRNetModule
    device_ : torch.device
    history_ : skorch.History
    interrupted_ : bool
        True when the last ``fit`` was interrupted (Ctrl-C / KeyboardInterrupt) and kept a
        partly trained network (with a :class:`~sk_prnet.TrainingInterruptedWarning`);
        False after a complete fit, including one ended by skorch's ``EarlyStopping``.

    See Also
    --------
    PRNetRegressor : The regression counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_prnet import PRNetClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 5)).astype("float32")
    >>> rating = X[:, 0] + 0.1 * rng.normal(size=80)
    >>> y = np.where(rating > 0, "high", "low")
    >>> clf = PRNetClassifier(max_epochs=20, lr=0.01, random_state=0)
    >>> clf.fit(X, y, ranking_target=rating).score(X, y) > 0.9
    True
    >>> clf.predict(X[:2]).dtype.kind  # the original string labels, not indices
    'U'
    >>> clf.compare(X[:2], X[2:4]).shape  # P(lower), P(similar), P(higher) per pair
    (2, 3)
    """

    def __init__(
        self,
        module="mlp",
        *,
        alpha=1.0,
        epsilon=0.25,
        class_order=None,
        pairing="split",
        criterion=torch.nn.CrossEntropyLoss,
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
        deterministic=False,
        batch_size_predict=None,
        precision="fp32",
        prefetch=2,
        **kwargs,
    ):
        super().__init__(
            module, criterion=criterion, alpha=alpha, epsilon=epsilon, pairing=pairing,
            optimizer=optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay,
            max_epochs=max_epochs, batch_size=batch_size, train_split=train_split,
            callbacks=callbacks, warm_start=warm_start, verbose=verbose, device=device,
            random_state=random_state, max_steps=max_steps, augment=augment,
            checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
            batch_size_predict=batch_size_predict, precision=precision, prefetch=prefetch,
            **kwargs,
        )  # fmt: skip
        self.deterministic = deterministic
        self.class_order = class_order

    _y_numeric = False

    def _per_output_order(self, n_outputs):
        order = self.class_order
        if order is None:
            return [None] * n_outputs
        is_nested = len(order) > 0 and all(isinstance(o, list | tuple | np.ndarray) for o in order)
        if not is_nested:
            return [np.asarray(order)] * n_outputs
        if len(order) != n_outputs:
            raise ValueError(
                f"class_order gives {len(order)} orders but y has {n_outputs} outputs; "
                "give one order per output, or one order for all."
            )
        return [np.asarray(o) for o in order]

    def _encode_targets(self, y, reset=True):
        check_classification_targets(y)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if not reset:
            return self._encode_known(y2)
        self._y_ndim_ = np.ndim(y)
        orders = self._per_output_order(y2.shape[1])
        classes, codes, ranks, used_orders = [], [], [], []
        given = getattr(self, "_partial_fit_classes", None)
        for t in range(y2.shape[1]):
            cls, code = np.unique(y2[:, t], return_inverse=True)
            if given is not None:  # partial_fit(classes=...): every class known up front
                cls = np.unique(given if y.ndim == 1 else given[t])
                code = np.searchsorted(cls, y2[:, t]).clip(0, cls.size - 1)
                if (cls[code] != y2[:, t]).any():
                    raise ValueError("y contains labels missing from `classes`.")
            if cls.size < 2:
                raise ValueError(
                    f"The target{'' if y.ndim == 1 else f' in column {t}'} has only one "
                    f"class ({cls[0]!r}); a classifier needs samples of at least 2 classes."
                )
            order = cls if orders[t] is None else orders[t]
            ranks.append(class_ranks(y2[:, t], order))
            classes.append(cls)
            codes.append(code.reshape(-1))
            used_orders.append(order)
        self.classes_ = classes[0] if y.ndim == 1 else classes
        self.class_order_ = used_orders[0] if y.ndim == 1 else used_orders
        self._n_classes = [c.size for c in classes]
        task = torch.as_tensor(np.stack(codes, axis=1), dtype=torch.long)
        # Class ranks are integers, so tolerance 0 gives Table III's strict order.
        return task, np.stack(ranks, axis=1).astype(np.float64), 0.0

    def partial_fit(self, X, y, classes=None, ranking_target=None, rank_groups=None):
        """Train for ``max_epochs`` more epochs, keeping the weights when already fitted.

        Parameters
        ----------
        X, y, ranking_target, rank_groups
            As in :meth:`fit`.
        classes : array-like or list of array-like, default=None
            All classes (per output for 2-D ``y``), needed on the first call when its ``y``
            does not show every class.

        Returns
        -------
        self : object
        """
        self._partial_fit_classes = classes
        try:
            return super().partial_fit(
                X, y, ranking_target=ranking_target, rank_groups=rank_groups
            )
        finally:
            del self._partial_fit_classes

    def _encode_known(self, y2):
        """Encode ``y2`` with the fitted classes (continued training)."""
        classes = self.classes_ if self._y_ndim_ > 1 else [self.classes_]
        orders = self.class_order_ if self._y_ndim_ > 1 else [self.class_order_]
        if y2.shape[1] != len(classes):
            raise ValueError(
                f"y has {y2.shape[1]} outputs but the estimator was fitted on {len(classes)}."
            )
        codes = []
        for t, cls in enumerate(classes):
            code = np.searchsorted(cls, y2[:, t]).clip(0, cls.size - 1)
            unseen = cls[code] != y2[:, t]
            if unseen.any():
                raise ValueError(
                    f"y contains labels {np.unique(y2[unseen, t]).tolist()} not seen in the "
                    f"first fit (classes {cls.tolist()}); refit from scratch to add classes."
                )
            codes.append(code)
        ranks = [class_ranks(y2[:, t], o) for t, o in enumerate(orders)]
        task = torch.as_tensor(np.stack(codes, axis=1), dtype=torch.long)
        return task, np.stack(ranks, axis=1).astype(np.float64), 0.0

    def _n_task_outputs(self):
        return int(sum(self._n_classes))

    def get_task_loss(self, task_out, y_task):
        """Sum over outputs of the criterion (cross-entropy) of each output's logits."""
        n_classes = self._n_classes
        if len(n_classes) == 1:
            return self.criterion_(task_out, y_task[:, 0])
        if self._one_cross_entropy(n_classes):
            # outputs with equal class counts (e.g. binary arousal and valence) as one
            # (N, n_classes, n_outputs) cross-entropy: its mean over all N * n_outputs
            # terms, times n_outputs, is the sum of the per-output means, in 2 ops
            # instead of 2 per output
            n, k = task_out.shape[0], n_classes[0]
            row, col = task_out.stride()
            logits = storage_view(
                task_out, (n, k, len(n_classes)), (row, col, k * col), task_out.storage_offset()
            )
            return len(n_classes) * self.criterion_(logits, y_task)
        parts = task_out.split(self._n_classes, dim=1)
        loss = self.criterion_(parts[0], y_task[:, 0])
        for t in range(1, len(parts)):
            loss = loss + self.criterion_(parts[t], y_task[:, t])
        return loss

    def _one_cross_entropy(self, n_classes):
        """Whether the outputs' losses can run as one cross-entropy (see get_task_loss)."""
        crit = self.criterion_
        return (
            type(crit) is torch.nn.CrossEntropyLoss
            and crit.weight is None
            and crit.reduction == "mean"
            and n_classes.count(n_classes[0]) == len(n_classes)
        )

    def _probabilities(self, task_out):
        return [torch.softmax(lg, dim=1).numpy() for lg in task_out.split(self._n_classes, 1)]

    def _decode(self, task_out):
        classes = self.classes_ if self._y_ndim_ > 1 else [self.classes_]
        labels = [
            c[lg.argmax(dim=1).numpy()]
            for c, lg in zip(classes, task_out.split(self._n_classes, 1))
        ]
        return labels[0] if self._y_ndim_ == 1 else np.stack(labels, axis=1)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of such arrays
            One array per output when fitted on a 2-D ``y`` (scikit-learn's multi-output
            convention); columns follow ``classes_``.
        """
        self._check_fitted()
        X = self._validate_X(X, reset=False)
        proba = self._probabilities(self._forward_task(X))
        return proba[0] if self._y_ndim_ == 1 else proba

    def score(self, X, y, sample_weight=None):
        """Mean accuracy; for 2-D ``y`` the subset accuracy (all outputs right).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        y = np.asarray(y)
        if y.ndim == 1:
            return super().score(X, y, sample_weight=sample_weight)
        hit = np.all(self.predict(X) == y, axis=1)
        return float(np.average(hit, weights=sample_weight))
