"""PRNetClassifier: classification task heads + pairwise ranking heads."""

import inspect
import warnings

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight

from ..modules.losses import PairwiseRankingLoss
from ..modules.pairing import class_first_nll
from ._base import PRNetBase
from ._pair_head import PairHeadMixin
from ._targets import ClassificationTargetsMixin

__all__ = ["PRNetClassifier"]


class PRNetClassifier(ClassifierMixin, ClassificationTargetsMixin, PairHeadMixin, PRNetBase):
    """Pairwise Ranking Network classifier (Zoumpourlis & Patras, ACII 2021).

    A shared embedding backbone feeds one classification head per output (cross-entropy) and
    one ranking head per output that learns the ordinal relation of sample pairs;
    the loss is ``L_cls + alpha * L_rank``, each **summed** over outputs (each output's
    cross-entropy is a mean over the batch, each output's ranking loss a mean over the
    pairs). :class:`PRNetRegressor` averages both over outputs instead (paper eq. 2); for a
    classifier the sum keeps the paper's per-output losses at their single-output scale.

    Ranking labels come from ``ranking_target`` (continuous values, e.g. DEAP ratings) with
    tolerance ``epsilon`` when given to :meth:`fit`, else from the rank of each label in
    ``class_order`` (paper Table III; pairs of the same class are "similar"). Without
    ``ranking_target`` the tolerance ``epsilon`` has no effect (class ranks are integers);
    a non-default ``epsilon`` then raises a ``UserWarning`` at ``fit``: route the ratings
    (``set_fit_request(ranking_target=True)``) for ``epsilon`` to apply.

    Parameters
    ----------
    module : str or nn.Module class or instance, default="mlp"
        Embedding backbone; inputs may be float arrays or ``uint8`` images (e.g. the
        memory-mapped AffectNet cache), which are read and scaled by 1/255 batch by batch
        on the device, never converted as a whole. A name from
        :data:`sk_prnet.modules.BACKBONES` (add one with
        :func:`~sk_prnet.modules.register_backbone`): ``"mlp"``: FC layers
        (``module__hidden_sizes``, default (128, 128), the paper's EEG net); ``"vgg"``: the
        paper's 5-stage CNN (``module__channels``). A user module maps ``X`` to ``(n, d)``
        embeddings; ``d`` is inferred, and a class's ``in_features`` / ``in_channels`` /
        ``input_shape`` come from ``X`` (:func:`~sk_prnet.modules.input_shape_kwargs`),
        as for the named ones. ``module__task_hidden`` / ``module__ranking_hidden`` add a
        hidden layer to the task / ranking heads (paper images: 256).
    alpha : float, default=1.0
        Weight of the ranking loss; ``0`` is exactly the plain baseline (ranking head never
        evaluated during training).
    epsilon : float, default=0.25
        Rank tolerance applied to ``ranking_target`` (paper DEAP value); unused (with a
        warning when not the default) when no ``ranking_target`` is given.
    class_weight : None, "balanced", dict or list of dict, default=None
        Weights of the classes in the losses, as in scikit-learn's classifiers: a sample of
        class ``c`` weighs ``class_weight[c]`` times its ``sample_weight``, in the task loss
        and in the pairs of the ranking loss. ``"balanced"`` uses
        ``n_samples / (n_classes * np.bincount(y))`` (weighted by ``sample_weight``; not
        available in :meth:`partial_fit`). For a 2-D ``y``, a list of dicts (one per output)
        or ``"balanced"``. ``None``: all classes weigh 1 (the fastest path).
    class_order : array-like or list of array-like, default=None
        Classes from lowest to highest, used for ranking when no ``ranking_target`` is given;
        one sequence for all outputs or one per output. ``None``: sorted labels.
    pairing : {"split", "all"}, default="split"
        ``"split"``: batch halves against each other (paper, ``N_sub**2`` pairs); ``"all"``:
        every ordered pair of the batch.
    criterion : type of torch loss, default=torch.nn.CrossEntropyLoss
        Task loss, applied per output (``criterion__*`` passes arguments).
    rank_criterion : type or instance of nn.Module, default=sk_prnet.modules.PairwiseRankingLoss
        The pair loss (``rank_criterion__*`` passes constructor arguments): by default the
        paper's cross-entropy of the pair head's (lower, similar, higher) logits. Any module
        with the pair-loss contract of :mod:`sk_prnet.modules.losses` (module outputs,
        relation codes and sample weights in; the mean over counted pairs and outputs out)
        trains instead, e.g. a margin loss on the pair head's logits (docs/extending.md).
    optimizer : type of torch optimizer, default=torch.optim.SGD
        The default SGD runs torch's fused kernel on any backbone whose parameters are all
        trainable (same update, fewer ops; not with ``optimizer__dampening``); set
        ``optimizer__fused=False`` for torch's default implementation.
    lr : float, default=1e-3
    momentum : float, default=0.9
        Passed to the optimizer when it accepts it (and no ``optimizer__momentum`` is set).
    weight_decay : float, default=5e-4
        Passed to the optimizer when it accepts it.
    max_epochs : int or "auto", default="auto"
        Epochs of training. ``"auto"`` trains at least 500 optimizer steps and at least 20
        epochs (the paper's), at most 200: on a few hundred samples 20 epochs of batches of 40
        are only ~100-200 steps, too few for SGD at lr 1e-3 (on small real sets the network
        then did no better than a linear model), while more than 960 samples (25 batches)
        get exactly the paper's 20 epochs. An integer trains that many epochs; ``max_epochs=20``
        is the paper's setting (docs/when_ranking_helps.md, "Small real data"). To stop on
        the convergence of the training loss instead (scikit-learn MLP's ``tol`` /
        ``n_iter_no_change``), pass an integer cap and ``callbacks=[ConvergenceStopping()]``
        (:class:`~sk_prnet.estimators.ConvergenceStopping`).
    max_steps : int or None, default=None
        Stop after this many optimizer steps (the paper counts 50K steps on AffectNet); when
        set it replaces ``max_epochs``. ``steps_`` counts the steps taken.
    batch_size : int, default=40
    train_split : callable or None, default=None
        skorch-style validation split (e.g. ``skorch.dataset.ValidSplit(5)``) recording
        ``valid_loss`` (``L_task + alpha * L_rank``) and ``valid_task_loss`` (the task loss
        alone); ``None`` leaves splitting to scikit-learn. For early stopping, monitor
        ``valid_task_loss`` (``EarlyStopping(monitor="valid_task_loss")``): the ranking
        term keeps ``valid_loss`` falling after the task loss has stopped, so monitoring it
        trains ``alpha > 0`` longer than ``alpha = 0`` (docs/when_ranking_helps.md).
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
    rank_labels : {"hard", "soft"}, default="hard"
        Relation labels of the ranking loss. ``"hard"`` (the paper): each pair is lower,
        similar or higher. ``"soft"``: pairs near the tolerance boundary get split labels,
        ``P(higher) = sigmoid((d - epsilon) / rank_softness)``, ``P(lower) =
        sigmoid((-d - epsilon) / rank_softness)`` and similar the rest, ``d`` the pair's
        difference of ranking values; it tends to the hard labels as ``rank_softness``
        goes to 0. Needs continuous ranking values: a classifier needs a
        ``ranking_target`` for it. On seven real data sets it changed nothing measurable
        (docs/when_ranking_helps.md).
    rank_softness : float, default=0.1
        Temperature ``> 0`` of the soft labels, in the units of the ranking values (those of
        ``epsilon``); used only with ``rank_labels="soft"``.
    alpha_schedule : {None, "warmup", "ratio"}, default=None
        ``None`` (the paper): the ranking weight is ``alpha`` throughout. ``"warmup"``: it
        grows linearly from ``alpha / alpha_warmup_epochs`` to ``alpha`` over the first
        ``alpha_warmup_epochs`` epochs (counted over the estimator's history, so a warm
        start continues the schedule). ``"ratio"``: in each batch it is ``alpha * L_task /
        L_rank`` (both detached), so the ranking term has ``alpha`` times the task loss's
        size. Neither helped on seven real data sets (docs/when_ranking_helps.md).
    alpha_warmup_epochs : int, default=10
        Length of the ``"warmup"`` schedule, in epochs (``>= 1``).
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
        False after a complete fit, including one ended by skorch's ``EarlyStopping`` or by
        the stopping rule of ``max_epochs="auto"`` / ``ConvergenceStopping``.

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
        class_weight=None,
        class_order=None,
        pairing="split",
        criterion=torch.nn.CrossEntropyLoss,
        rank_criterion=PairwiseRankingLoss,
        optimizer=torch.optim.SGD,
        lr=1e-3,
        momentum=0.9,
        weight_decay=5e-4,
        max_epochs="auto",
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
        rank_labels="hard",
        rank_softness=0.1,
        alpha_schedule=None,
        alpha_warmup_epochs=10,
        **kwargs,
    ):
        super().__init__(
            module, criterion=criterion, rank_criterion=rank_criterion, epsilon=epsilon,
            pairing=pairing,
            optimizer=optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay,
            max_epochs=max_epochs, batch_size=batch_size, train_split=train_split,
            callbacks=callbacks, warm_start=warm_start, verbose=verbose, device=device,
            random_state=random_state, max_steps=max_steps, augment=augment,
            checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
            batch_size_predict=batch_size_predict, precision=precision, prefetch=prefetch,
            **kwargs,
        )  # fmt: skip
        self.alpha = alpha
        self.deterministic = deterministic
        self.class_order = class_order
        self.class_weight = class_weight
        self.rank_labels = rank_labels
        self.rank_softness = rank_softness
        self.alpha_schedule = alpha_schedule
        self.alpha_warmup_epochs = alpha_warmup_epochs

    def _check_label_ranking(self):
        """Warn when ``epsilon`` is set but pairs are ranked by the class labels; refuse
        soft labels there (class ranks are not continuous values)."""
        if self.rank_labels == "soft":
            raise ValueError(
                "rank_labels='soft' needs continuous ranking values, and no ranking_target "
                "was given (pairs would be ranked by their integer class ranks). Pass the "
                "ratings as fit(..., ranking_target=...), or use rank_labels='hard'."
            )
        default = inspect.signature(type(self).__init__).parameters["epsilon"].default
        if self.epsilon != default:
            warnings.warn(
                f"epsilon={self.epsilon!r} has no effect: no ranking_target was given, so "
                "pairs are ranked by their class labels (integer class ranks, tolerance 0). "
                "Pass the continuous ratings as fit(..., ranking_target=...) (in a Pipeline "
                "or a search, route them with set_fit_request(ranking_target=True)) for "
                "epsilon to apply.",
                UserWarning,
                stacklevel=3,
            )

    def _class_weights(self, y_task, sample_weight):
        """Per-output arrays of class weights (indexed by class code), or ``None``."""
        cw = self.class_weight
        if cw is None:
            return None
        n_out = len(self._n_classes)
        if hasattr(self, "_partial_fit_classes") and cw == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported in partial_fit (each call sees "
                "only a part of y). Compute the weights once on all labels with "
                "sklearn.utils.class_weight.compute_class_weight and pass them as a dict."
            )
        if isinstance(cw, str) or n_out == 1:
            per_output = [cw] * n_out
        elif isinstance(cw, list | tuple) and len(cw) == n_out:
            per_output = list(cw)
        else:
            raise ValueError(
                f"class_weight for a y with {n_out} outputs must be None, 'balanced' or a "
                f"list of {n_out} dicts (one per output); got {cw!r}."
            )
        if self.get_params_for("criterion").get("weight") is not None:
            raise ValueError(
                "class_weight and criterion__weight both weight the classes; set only one."
            )
        classes = self.classes_ if self._y_ndim_ > 1 else [self.classes_]
        weights = []
        for t, (w, cls) in enumerate(zip(per_output, classes)):
            if not (w is None or w == "balanced" or isinstance(w, dict)):
                raise ValueError(
                    f"class_weight must be None, 'balanced' or a dict of class -> weight; "
                    f"got {w!r}."
                )
            labels = cls[y_task[:, t]]
            present = np.unique(labels)
            # compute_class_weight needs every class present for "balanced"; classes known
            # from partial_fit(classes=) or an earlier fit but absent here weigh 1
            cw_t = np.ones(cls.size)
            if w == "balanced":
                bal = compute_class_weight(
                    "balanced", classes=present, y=labels, sample_weight=sample_weight
                )
                cw_t[np.searchsorted(cls, present)] = bal
            elif w is not None:
                cw_t = compute_class_weight(w, classes=cls, y=labels)
            weights.append(cw_t)
        return weights

    def _loss_weights(self, sample_weight, task):
        class_w = self._class_weights(task.numpy(), sample_weight)
        if class_w is None:
            return super()._loss_weights(sample_weight, task)
        codes = task.numpy()
        w = np.stack([cw[codes[:, t]] for t, cw in enumerate(class_w)], axis=1)
        if sample_weight is not None:
            w = w * sample_weight[:, None]
        return self._mean_one(w)

    def _rank_output_scale(self, n_targets):
        """Classification sums the ranking loss over outputs, as its task loss."""
        return n_targets

    def partial_fit(
        self, X, y, classes=None, ranking_target=None, rank_groups=None, sample_weight=None
    ):
        """Train for ``max_epochs`` more epochs, keeping the weights when already fitted.

        Parameters
        ----------
        X, y
            As in :meth:`fit`.
        classes : array-like or list of array-like, default=None
            All classes (per output for 2-D ``y``), needed on the first call when its ``y``
            does not show every class (as scikit-learn's ``SGDClassifier.partial_fit``).
            Later calls may omit it.
        ranking_target, rank_groups, sample_weight
            As in :meth:`fit`.

        Returns
        -------
        self : object

        Raises
        ------
        ValueError
            If a later call brings labels that the first call neither saw nor listed in
            ``classes``.
        """
        self._partial_fit_classes = classes
        try:
            return super().partial_fit(
                X, y, ranking_target=ranking_target, rank_groups=rank_groups,
                sample_weight=sample_weight,
            )  # fmt: skip
        finally:
            del self._partial_fit_classes

    def get_task_loss(self, task_out, y_task, weight=None):
        """Sum over outputs of the criterion (cross-entropy) of each output's logits.

        With ``weight`` (``(N, 1)`` or ``(N, n_outputs)``: sample weights times class
        weights, scaled to mean 1 over the training set) each output's loss is the batch
        mean of ``weight * per-sample loss``.

        Parameters
        ----------
        task_out : Tensor of shape (N, n_task_outputs)
            The task head's output for the batch.
        y_task : Tensor of shape (N, n_outputs)
            The batch's encoded task targets.
        weight : Tensor of shape (N, 1) or (N, n_outputs), default=None
            Per-sample loss weights (``None``: unweighted).

        Returns
        -------
        loss : Tensor of shape () or None
        """
        n_classes = self._n_classes
        if weight is not None:
            parts = task_out.split(n_classes, dim=1)
            losses = [self._unreduced_criterion(p, y_task[:, t]) for t, p in enumerate(parts)]
            return (torch.stack(losses, 1) * weight.to(task_out.dtype)).mean(0).sum()
        if len(n_classes) == 1:
            return self.criterion_(task_out, y_task[:, 0])
        if self._one_cross_entropy(n_classes):
            # outputs with equal class counts (e.g. binary arousal and valence) as one
            # cross-entropy over a class-first (n_classes, N, n_outputs) view: its mean over
            # all N * n_outputs terms, times n_outputs, is the sum of the per-output means,
            # in 2 ops instead of 2 per output. class_first_nll reduces it with a 2-D
            # nll_loss (a 3-D cross-entropy runs nll_loss2d: nondeterministic on CUDA).
            n, k = task_out.shape[0], n_classes[0]
            row, col = task_out.stride()
            logits = task_out.as_strided(
                (k, n, len(n_classes)), (col, row, k * col), task_out.storage_offset()
            )
            return len(n_classes) * class_first_nll(logits, y_task.reshape(-1))
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
            and crit.label_smoothing == 0
            and n_classes.count(n_classes[0]) == len(n_classes)
        )

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
