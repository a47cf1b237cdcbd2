"""PRNetRegressor: regression task head + pairwise ranking heads."""

import numpy as np
import torch
from sklearn.base import RegressorMixin

from ._base import PRNetBase
from ._checks import _Unavailable

__all__ = ["PRNetRegressor"]


class PRNetRegressor(RegressorMixin, PRNetBase):
    """Pairwise Ranking Network regressor (Zoumpourlis & Patras, ACII 2021).

    A shared embedding backbone feeds a regression head (MSE, averaged over outputs, eq. 2)
    and one ranking head per output that learns the ordinal relation of sample pairs from
    ``y`` (or ``ranking_target``) with tolerance ``epsilon`` (paper Table I); the loss is
    ``L_regr + alpha * L_rank``, both **averaged** over the outputs: ``mean_k MSE_k + alpha
    * mean_k CE_rank_k``. (Earlier development versions summed the ranking loss over
    outputs; that reading is ``alpha * n_outputs`` here.)

    Parameters
    ----------
    module : {"mlp", "vgg"} or nn.Module class or instance, default="mlp"
        Embedding backbone, as in :class:`PRNetClassifier`. The paper's image configuration
        is ``module="vgg", module__task_hidden=256, module__ranking_hidden=256``.
    alpha : float, default=1.0
        Weight of the ranking loss; ``0`` is exactly the plain regression baseline.
    epsilon : float, default=0.15
        Rank tolerance in units of the targets (paper AffectNet value for ratings in
        [-1, 1]). Scale it with your targets' spread.
    pairing : {"split", "all"}, default="split"
    criterion : type of torch loss, default=torch.nn.MSELoss
    optimizer, lr, momentum, weight_decay, max_epochs, max_steps, batch_size, train_split, \
callbacks, warm_start, verbose, device, random_state, augment, checkpoint_dir, \
checkpoint_every, **kwargs
        As in :class:`PRNetClassifier`.

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    n_targets_ : int
    module_ : sk_prnet.modules.PRNetModule
    device_ : torch.device
    history_ : skorch.History

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
        **kwargs,
    ):
        super().__init__(
            module, criterion=criterion, alpha=alpha, epsilon=epsilon, pairing=pairing,
            optimizer=optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay,
            max_epochs=max_epochs, batch_size=batch_size, train_split=train_split,
            callbacks=callbacks, warm_start=warm_start, verbose=verbose, device=device,
            random_state=random_state, max_steps=max_steps, augment=augment,
            checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, **kwargs,
        )  # fmt: skip

    _y_numeric = True

    predict_proba = _Unavailable("predict_proba", "a regressor has no class probabilities")

    def _encode_targets(self, y, reset=True):
        if reset:
            self._y_ndim_ = np.ndim(y)
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if not reset and y2.shape[1] != self.n_targets_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs but the estimator was fitted on {self.n_targets_}."
            )
        # astype copies: a read-only y (e.g. a memmap) never reaches torch.as_tensor
        return torch.from_numpy(y2.astype(np.float32)), y2, float(self.epsilon)

    def _n_task_outputs(self):
        return self.n_targets_

    def get_task_loss(self, task_out, y_task, weight=None):
        """The criterion (MSE averaged over outputs) of the regression head.

        With ``weight`` (``(N, 1)`` sample weights scaled to mean 1 over the training set),
        the batch mean of ``weight * per-sample loss``, averaged over outputs.
        """
        if weight is None:
            return self.criterion_(task_out, y_task)
        losses = self._unreduced_criterion(task_out, y_task).reshape(task_out.shape[0], -1)
        return (losses * weight.to(losses.dtype)).mean()

    def _decode(self, task_out):
        out = task_out.numpy().astype(np.float64)
        return out[:, 0] if self._y_ndim_ == 1 else out
