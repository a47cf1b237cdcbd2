"""Prediction with a fitted PRNet estimator: batched forward passes, precision, ``predict``.

Inference batches come from ``_loader`` (``batch_size_predict`` rows, prefetched when the
inputs are memory-mapped or bound for a GPU); ``precision="bf16"`` runs the module under
autocast while everything returned to the caller stays float32.
"""

from contextlib import nullcontext

import torch
from sklearn.utils.validation import check_is_fitted

from ._batches import TrainingBatches
from ._loader import inference_batches, predict_batch_size
from ._validation import _check_real

__all__ = ["PredictMixin", "PRECISIONS"]

_NO_AUTOCAST = nullcontext()

#: Accepted values of ``precision``.
PRECISIONS = ("fp32", "bf16")


class PredictMixin:
    """``predict``, ``forward_iter`` and the batched forward passes they share (private).

    Needs ``module_``, ``device_``, ``batch_size(_predict)``, ``prefetch``, ``precision``,
    ``_validate_X``, ``_decode`` and ``_n_task_outputs`` from the estimator.
    """

    # ------------------------------------------------------------------ inference
    def _check_fitted(self):
        check_is_fitted(self, ["n_features_in_", "module_"])

    def _iter_batches(self, X):
        if isinstance(X, TrainingBatches):  # validated at fit (see _validate_X)
            X = X.X
        size = predict_batch_size(self.batch_size_predict, self.batch_size)
        return inference_batches(X, self.device_, size, self.prefetch)

    def _module_outputs(self, X, training=False):
        """Yield ``(task_output, embedding)`` per batch of validated ``X`` (float32 even
        with ``precision="bf16"``: autocast covers the module only, never the caller)."""
        self._set_training(training)
        with torch.set_grad_enabled(training):
            for xb in self._iter_batches(X):
                with self._autocast():
                    out = self.module_(xb)
                yield tuple(o.float() for o in out) if self.precision != "fp32" else out

    def _autocast(self):
        """bf16 autocast on the training device when ``precision="bf16"`` (weights, their
        gradients and the optimizer stay float32), else a no-op context."""
        if self.precision != "bf16":
            return _NO_AUTOCAST  # cheaper than a disabled autocast on the EEG step
        return torch.autocast(self.device_.type, dtype=torch.bfloat16)

    def _check_gpu_options(self):
        if self.batch_size_predict is not None:
            _check_real("batch_size_predict", self.batch_size_predict, 1, integer=True)
        if not isinstance(self.precision, str) or self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}.")
        _check_real("prefetch", self.prefetch, 0, integer=True)

    def forward_iter(self, X, training=False, device="cpu"):
        """Yield the module's ``(task_output, embedding)`` batch by batch (skorch API).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or the fit's dataset
        training : bool, default=False
            Train mode (dropout etc.) and gradients on.
        device : str or torch.device, default="cpu"
            Where the yielded tensors are put.
        """
        self._check_fitted()
        X = self._validate_X(X, reset=False)
        for task_out, embedding in self._module_outputs(X, training):
            yield task_out.to(device), embedding.to(device)

    def _forward_task(self, X):
        """Task outputs of the fitted module for validated ``X``: a CPU float tensor.

        Through ``forward_iter`` when it is not this class's (a subclass's override, or
        skorch's scoring callbacks, which replace it on the instance by the outputs cached
        during the epoch); else straight from the module (``X`` is validated already).
        """
        forward_iter = self.forward_iter
        if getattr(forward_iter, "__func__", None) is PredictMixin.forward_iter:
            outputs = self._module_outputs(X)
        else:
            outputs = forward_iter(X, training=False, device=self.device_)
        outs = [out[0].detach().float() for out in outputs]
        if not outs:
            return torch.empty((0, self._n_task_outputs()))
        return torch.cat(outs).float().cpu()

    def _embed(self, X):
        return torch.cat([out[1] for out in self._module_outputs(X)])

    def predict(self, X):
        """Predict targets for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifier; the original labels, not indices) or values
            (regressor), 1-D when the estimator was fitted on a 1-D ``y``.
        """
        self._check_fitted()
        X = self._validate_X(X, reset=False)
        return self._decode(self._forward_task(X))
