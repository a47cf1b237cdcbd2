"""PRNetRegressor: regression task head + pairwise ranking heads."""

import torch
from sklearn.base import RegressorMixin

from ..modules.losses import PairwiseRankingLoss
from ._base import PRNetBase
from ._pair_head import PairHeadMixin
from ._rank_blend import RankBlendMixin
from ._targets import RegressionTargetsMixin

__all__ = ["PRNetRegressor"]


class PRNetRegressor(
    RegressorMixin, RegressionTargetsMixin, RankBlendMixin, PairHeadMixin, PRNetBase
):
    """Pairwise Ranking Network regressor (Zoumpourlis & Patras, ACII 2021).

    A shared embedding backbone feeds a regression head (MSE, averaged over outputs, eq. 2)
    and one ranking head per output that learns the ordinal relation of sample pairs from
    ``y`` (or ``ranking_target``) with tolerance ``epsilon`` (paper Table I); the loss is
    ``L_regr + alpha * L_rank``, both **averaged** over the outputs: ``mean_k MSE_k + alpha
    * mean_k CE_rank_k``. (Earlier development versions summed the ranking loss over
    outputs; that reading is ``alpha * n_outputs`` here.)

    Parameters
    ----------
    module : str or nn.Module class or instance, default="mlp"
        Embedding backbone, as in :class:`PRNetClassifier`. The paper's image configuration
        is ``module="vgg", module__task_hidden=256, module__ranking_hidden=256``.
    alpha : float, default=1.0
        Weight of the ranking loss; ``0`` is exactly the plain regression baseline.
    epsilon : float, default=0.15
        Rank tolerance in units of the targets (paper AffectNet value for ratings in
        [-1, 1]). Scale it with your targets' spread.
    pairing : {"split", "all"}, default="split"
    criterion : type of torch loss, default=torch.nn.MSELoss
    rank_criterion : type or instance of nn.Module, default=sk_prnet.modules.PairwiseRankingLoss
        As in :class:`PRNetClassifier`.
    optimizer, lr, momentum, weight_decay, max_epochs, max_steps, batch_size, train_split, \
callbacks, warm_start, verbose, device, random_state, augment, checkpoint_dir, \
checkpoint_every, deterministic, batch_size_predict, precision, prefetch
        As in :class:`PRNetClassifier`.
    standardize_target : bool, default=False
        Train the regression head on targets standardized per output (mean 0, std 1 over
        the training ``y``; the statistics are kept in ``target_mean_`` / ``target_scale_``)
        and return predictions on the original scale. Targets on a large scale (e.g.
        hundreds) otherwise make the default learning rate diverge. ``epsilon`` stays in the
        targets' own units: the ranking relations are the same with or without it. Off by
        default, as the paper trains on the raw targets (ratings in [-1, 1]).
    rank_labels, rank_softness, alpha_schedule, alpha_warmup_epochs
        As in :class:`PRNetClassifier` (``rank_softness`` in the targets' units, like
        ``epsilon``).
    rank_blend : float in [0, 1], default=0.0
        Use the trained ranking head at inference: ``predict`` returns ``(1 - rank_blend) *
        task_head + rank_blend * ranking_estimate``. The ranking estimate of a sample is its
        Borda score against a reference subsample of the training set
        (``rank_scores(X, reference=rank_reference_X_)``), mapped to a target by an isotonic
        regression fitted on the reference's own round-robin scores and targets. ``0`` (the
        paper): the task head alone. Needs ``alpha > 0``; the reference is kept only when
        ``fit`` runs with ``rank_blend > 0``, after which ``set_params(rank_blend=...)``
        changes the blend without refitting (``score`` and searches use the blend). On seven
        real data sets the ranking estimate alone was worse than the task head and a
        0.25 blend about neutral (docs/when_ranking_helps.md).
    rank_reference : int, default=1000
        Size (``>= 2``) of the reference subsample (drawn with ``random_state``; the whole
        training set when smaller). Predicting costs ``n_samples * rank_reference`` pair
        comparisons.
    **kwargs
        skorch-style prefixed parameters, as in :class:`PRNetClassifier`.

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    n_targets_ : int
    module_ : sk_prnet.modules.PRNetModule
    device_ : torch.device
    history_ : skorch.History
    target_mean_, target_scale_ : ndarray of shape (n_targets,)
        Only with ``standardize_target=True``: the training targets' mean and standard
        deviation (1 for a constant output).
    rank_reference_X_ : ndarray of shape (n_reference, ...)
        Only after a fit with ``rank_blend > 0``: the reference samples.
    rank_maps_ : list of sklearn.isotonic.IsotonicRegression
        Only after a fit with ``rank_blend > 0``: per output, the map from Borda scores
        against the reference to targets.
    interrupted_ : bool
        True when the last ``fit`` was interrupted (Ctrl-C / KeyboardInterrupt) and kept a
        partly trained network (with a :class:`~sk_prnet.TrainingInterruptedWarning`);
        False after a complete fit, including one ended by skorch's ``EarlyStopping`` or by
        the stopping rule of ``max_epochs="auto"`` / ``ConvergenceStopping``.

    See Also
    --------
    PRNetClassifier : The classification counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_prnet import PRNetRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)).astype("float32")
    >>> y = X @ np.array([0.5, -0.3, 0.2, 0.0])
    >>> reg = PRNetRegressor(max_epochs=30, lr=0.01, epsilon=0.1, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.8
    True
    """

    def __init__(
        self,
        module="mlp",
        *,
        alpha=1.0,
        epsilon=0.15,
        pairing="split",
        criterion=torch.nn.MSELoss,
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
        standardize_target=False,
        rank_labels="hard",
        rank_softness=0.1,
        alpha_schedule=None,
        alpha_warmup_epochs=10,
        rank_blend=0.0,
        rank_reference=1000,
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
        self.standardize_target = standardize_target
        self.rank_labels = rank_labels
        self.rank_softness = rank_softness
        self.alpha_schedule = alpha_schedule
        self.alpha_warmup_epochs = alpha_warmup_epochs
        self.rank_blend = rank_blend
        self.rank_reference = rank_reference

    def get_task_loss(self, task_out, y_task, weight=None):
        """The criterion (MSE averaged over outputs) of the regression head.

        With ``weight`` (``(N, 1)`` sample weights scaled to mean 1 over the training set),
        the batch mean of ``weight * per-sample loss``, averaged over outputs.

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
        if weight is None:
            return self.criterion_(task_out, y_task)
        losses = self._unreduced_criterion(task_out, y_task).reshape(task_out.shape[0], -1)
        return (losses * weight.to(losses.dtype)).mean()
