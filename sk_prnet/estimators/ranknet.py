"""RankNetRegressor: the paper's Section IV-C baseline on PRNet's backbone and batching.

Configuration of the shared machinery: ``PRNetBase`` with regression targets, a score
module (backbone + one score per target, no task loss) and ``rank_criterion=RankNetLoss``.
"""

import warnings

import numpy as np
import torch
from sklearn.base import RegressorMixin

from ..metrics import ConstantInputWarning, pearson_r
from ..modules import VGGBackbone, backbone_class, build_ranknet
from ..modules.losses import RankNetLoss
from ._base import PRNetBase
from ._targets import RegressionTargetsMixin

__all__ = ["RankNetRegressor"]

# The paper's RankNet is its baseline CNN with a score output: VGG backbone, FC 256, score.
_DEFAULT_SCORE_HIDDEN = {VGGBackbone: 256}


class RankNetRegressor(RegressorMixin, RegressionTargetsMixin, PRNetBase):
    """RankNet (Burges et al., 2005) on PRNet's backbone: preference scores from pairs only.

    The paper's comparison (Section IV-C): the same backbone with a scalar score head per
    target, trained only with RankNet's pairwise loss. For a pair, ``P(x1 ≻ x2) =
    sigmoid(s1 - s2)`` with target 1 when ``y1 > y2 + epsilon``, 0 when
    ``y1 < y2 - epsilon`` and 1/2 when ``|y1 - y2| <= epsilon``, under binary
    cross-entropy. Pairs are formed exactly as PRNet forms them (``pairing``,
    ``rank_groups``, ``ranking_target``); the preference is a fixed operation on the scores,
    where PRNet learns it with a trainable pair head.

    The scores have no unit (only their differences are trained), so :meth:`predict`
    returns preference scores, not values on the scale of ``y``, and :meth:`score` is the
    mean Pearson r between scores and targets, as the paper evaluates RankNet (not R²).

    Parameters
    ----------
    module : str or nn.Module class or instance, default="mlp"
        Embedding backbone, as in :class:`PRNetClassifier`. ``module__score_hidden`` sets
        the hidden layer of the score head: by default 256 on a
        :class:`~sk_prnet.modules.VGGBackbone` (``module="vgg"``, the class or an instance;
        the paper's RankNet uses its baseline CNN: VGG backbone, FC 256 + ReLU, then the
        score) and none (one linear layer) otherwise; ``module__score_hidden=None`` forces a
        linear head.
    epsilon : float, default=0.15
        Rank tolerance in units of the targets: closer pairs get the tie target 1/2.
    pairing : {"split", "all"}, default="split"
    criterion : type of torch loss, default=torch.nn.BCEWithLogitsLoss
        Applied to the counted pairs' logits ``s1 - s2`` and soft targets (the default
        ``rank_criterion`` receives it).
    rank_criterion : type or instance of nn.Module, default=sk_prnet.modules.RankNetLoss
        The pair loss, with the pair-loss contract of :mod:`sk_prnet.modules.losses`
        (``rank_criterion__*`` passes constructor arguments): by default RankNet's
        ``criterion(s1 - s2, target)``.
    optimizer, lr, momentum, weight_decay, max_epochs, max_steps, batch_size, train_split, \
callbacks, warm_start, verbose, device, random_state, augment, checkpoint_dir, \
checkpoint_every, deterministic, batch_size_predict, precision, prefetch, **kwargs
        As in :class:`PRNetClassifier`, except that ``max_epochs`` defaults to 20 (the
        paper's; ``"auto"`` is available but was not measured for RankNet).

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    n_targets_ : int
    module_ : sk_prnet.modules.RankNetModule
    device_ : torch.device
    history_ : skorch.History
    interrupted_ : bool
        True when the last ``fit`` was interrupted (Ctrl-C / KeyboardInterrupt) and kept a
        partly trained network (with a :class:`~sk_prnet.TrainingInterruptedWarning`);
        False after a complete fit, including one ended by skorch's ``EarlyStopping``.

    See Also
    --------
    PRNetRegressor : Regression with a trainable pairwise ranking head.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_prnet import RankNetRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)).astype("float32")
    >>> y = X @ np.array([0.5, -0.3, 0.2, 0.0])
    >>> net = RankNetRegressor(max_epochs=20, lr=0.01, epsilon=0.05, random_state=0)
    >>> net.fit(X, y).score(X, y) > 0.9  # Pearson r of the scores with y
    True
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module="mlp",
        *,
        epsilon=0.15,
        pairing="split",
        criterion=torch.nn.BCEWithLogitsLoss,
        rank_criterion=RankNetLoss,
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
        self.deterministic = deterministic

    # ------------------------------------------------------------------ hooks
    def _build_module(self, kwargs):
        """The RankNet module (backbone + score head) for the fitted input shape."""
        if "score_hidden" not in kwargs:  # by the backbone's class: named, class or instance
            kwargs["score_hidden"] = _DEFAULT_SCORE_HIDDEN.get(backbone_class(self.module))
        return build_ranknet(self.module, self.input_shape_, self.n_targets_, **kwargs)

    def get_task_loss(self, task_out, y_task, weight=None):
        """RankNet has no per-sample task loss: ``None``.

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
        return None

    # ------------------------------------------------------------------ public
    def predict(self, X):
        """Preference scores: higher ranks higher (no unit; only differences are trained).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D when the estimator was fitted on a 1-D ``y``.
        """
        return super().predict(X)

    def score(self, X, y, sample_weight=None):
        """Mean Pearson r between the preference scores and ``y``, over outputs.

        This is how the paper evaluates RankNet (its scores are not on ``y``'s scale, so
        R² would be meaningless). A constant output scores 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of a weighted Pearson correlation.

        Returns
        -------
        score : float

        Raises
        ------
        ValueError
            If ``y`` does not match the predictions or has fewer than 2 samples.
        """
        pred = self.predict(X)
        if sample_weight is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConstantInputWarning)
                return float(pearson_r(y, pred))
        w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        t = np.asarray(y, dtype=np.float64).reshape(len(pred), -1)
        p = pred.reshape(len(pred), -1)
        if w.shape[0] != t.shape[0]:
            raise ValueError(f"sample_weight has {w.shape[0]} entries for {t.shape[0]} samples.")
        w = w / w.sum()
        tc, pc = t - w @ t, p - w @ p
        cov, vt, vp = w @ (tc * pc), w @ tc**2, w @ pc**2
        denom = np.sqrt(vt * vp)
        r = np.where(denom > 0, cov / np.where(denom > 0, denom, 1.0), 0.0)
        return float(r.mean())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = False
        return tags
