"""The pair loss in the estimators' loss: ``rank_criterion`` and how it joins the task loss.

The pair loss is a module of :mod:`sk_prnet.modules.losses` (or the user's, with the same
call), chosen by the ``rank_criterion`` parameter and built by skorch's several-criteria
support into ``rank_criterion_``. A batch with counted pairs adds
``w * scale * rank_criterion_(...)`` to its task loss: ``scale`` turns the pair loss's mean
over outputs into the task loss's reduction over outputs (:meth:`_rank_output_scale`), ``w``
is the ranking weight (1, or ``alpha`` and its schedule with a pair head).
"""

import inspect
import numbers

import torch

__all__ = ["PairLossMixin"]


class PairLossMixin:
    """``rank_criterion_`` and the ranking term of the loss (private)."""

    def _ranking_weight(self):
        """The validated weight of the pair loss; 0 skips pairing entirely. Here 1: without
        ``alpha`` (RankNet) the pair loss is the whole loss."""
        return 1.0

    def _soft_labels(self):
        """True when the batches must carry their ranking values (soft relation labels)."""
        return False

    def initialize_criterion(self):
        """skorch's ``criterion_``, and ``rank_criterion_``, the pair loss.

        ``rank_criterion__*`` parameters go to the pair loss's constructor (skorch's
        several-criteria support: the pair loss is moved to the device with the module and
        ``set_params(rank_criterion__...)`` re-initializes it). A pair loss class whose
        constructor takes ``criterion`` gets the initialized ``criterion_`` unless
        ``rank_criterion__criterion`` is set (RankNet's pair loss applies it to pairs).

        Returns
        -------
        self : object
        """
        super().initialize_criterion()
        spec, kwargs = self.rank_criterion, self.get_params_for("rank_criterion")
        if isinstance(spec, type) and "criterion" not in kwargs and _takes(spec, "criterion"):
            kwargs["criterion"] = self.criterion_
        self.rank_criterion_ = self.initialized_instance(spec, kwargs)
        return self

    def __setstate__(self, state):
        # an estimator pickled before rank_criterion existed: the estimator's default pair
        # loss (the one it trained with), so that it can continue training
        old = "rank_criterion" not in state
        if old:
            params = inspect.signature(type(self)).parameters
            state["rank_criterion"] = params["rank_criterion"].default
        super().__setstate__(state)
        if old and self.initialized_:
            spec = self.rank_criterion
            kwargs = {"criterion": self.criterion_} if _takes(spec, "criterion") else {}
            with self._current_init_context("criterion"):
                self.rank_criterion_ = spec(**kwargs)

    def _rank_output_scale(self, n_targets):
        """Factor turning the ranking loss's mean over outputs into the task loss's
        reduction over outputs: 1 (mean, the regressors); classifiers sum (``n_targets``)."""
        return 1

    def _add_rank_loss(self, loss, y_pred, y_true, codes, sample_w):
        """``loss + w * scale * L_rank`` of a batch with counted pairs (``loss`` may be
        ``None``: no task loss), ``w`` the batch's ranking weight."""
        scale = self._rank_output_scale(codes.shape[-1])
        rank = self._rank_term(y_pred, y_true, codes, sample_w)
        weight = self._batch_rank_weight(loss, rank, scale)
        if not isinstance(weight, numbers.Real):
            return weight * scale * rank if loss is None else loss + weight * scale * rank
        scale = weight * scale
        # add's alpha scales in the same op (one autograd node fewer than mul + add)
        return scale * rank if loss is None else torch.add(loss, rank, alpha=scale)

    def _rank_term(self, y_pred, y_true, codes, sample_w):
        """The pair loss of a batch (:meth:`get_rank_loss`)."""
        return self.get_rank_loss(y_pred, codes, sample_w)

    def _batch_rank_weight(self, loss, rank, scale):
        """The weight of the pair loss in this batch: a number, or a (detached) tensor."""
        return self._rank_weight

    def get_rank_loss(self, y_pred, codes, weight=None):
        """Mean pair loss of a batch: the ``rank_criterion_``.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The module's output for the batch (in training, PRNet modules add the pair
            head's projection as a third item).
        codes : LongTensor of shape (N_a, N_b, n_targets)
            The batch's pair relation codes.
        weight : Tensor of shape (N, 1) or (N, n_targets), default=None
            The batch's sample weights, scaled to mean 1 (``None``: unweighted).

        Returns
        -------
        loss : Tensor of shape ()
            The mean over counted pairs and outputs (the pair-loss contract of
            :mod:`sk_prnet.modules.losses`).
        """
        return self.rank_criterion_(y_pred, codes, weight, module=self.module_,
                                    pairing=self.pairing)  # fmt: skip


def _takes(cls, name):
    """Whether the constructor of ``cls`` has a parameter ``name``."""
    try:
        return name in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False
