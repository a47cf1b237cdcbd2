"""Optimizer arguments: the paper's SGD settings, and torch's fused SGD kernel where it is safe.

For the paper's small EEG models a training step is a few hundred microseconds of many small
ops, and the optimizer's per-parameter loop (weight decay, momentum, update: several ops per
tensor) is a large share of it. ``torch.optim.SGD(fused=True)`` updates all tensors in one
kernel, with the same update rule.

One caveat of torch's fused SGD: it creates the momentum buffers of a parameter group only
when *no* parameter of the group has one yet. A parameter that receives its first gradient
after the others (the ranking head after a first batch without a counted pair, or after a
warm start from ``alpha=0``) would then meet a missing buffer and fail. Such a parameter gets
a zero buffer just before its first update (:func:`prime_momentum_buffers`): with SGD's
default ``dampening=0`` the update ``buf = momentum * 0 + grad`` is exactly torch's first
step ``buf = grad``. All parameters stay in one group, so a step is one kernel call (a second
group cost ~60 us a step, ~6 % of the paper's EEG step). The same holds for any backbone, named
or the user's: a parameter unused in some steps keeps its buffer (fused SGD skips parameters
without a gradient). Eligibility depends only on the optimizer's arguments and on the
parameters (floating point, all trainable: a frozen parameter would never get its buffer and
keep the priming check running every step).
"""

import inspect

import torch

__all__ = ["FusedSGDMixin", "optimizer_arguments", "prime_momentum_buffers"]

_FUSED_SUPPORT = {}


def _fused_sgd_supported(device):
    """Whether this torch has the fused SGD kernel on ``device``'s type (probed once)."""
    kind = device.type
    if kind not in _FUSED_SUPPORT:
        try:
            probe = torch.zeros(1, device=device, requires_grad=True)
            torch.optim.SGD([probe], lr=0.1, momentum=0.9, fused=True)
            _FUSED_SUPPORT[kind] = True
        except (RuntimeError, TypeError, ValueError):
            _FUSED_SUPPORT[kind] = False
    return _FUSED_SUPPORT[kind]


def optimizer_arguments(net, args, kwargs, named_parameters):
    """Complete skorch's optimizer arguments for a PRNet estimator.

    Adds ``momentum`` and ``weight_decay`` (constructor parameters of the estimators) when the
    optimizer accepts them and the user did not set them through ``optimizer__*``, and turns
    on the fused SGD kernel for the default optimizer (any backbone whose parameters are
    all trainable floating-point tensors).

    Parameters
    ----------
    net : PRNetBase
        A fitted-in-progress estimator (``device_`` resolved, ``module_`` built).
    args, kwargs : tuple, dict
        skorch's ``get_params_for_optimizer`` result: ``args[0]`` are the parameter groups.
    named_parameters : list of (str, Parameter)

    Returns
    -------
    args, kwargs : tuple, dict
    """
    accepted = inspect.signature(net.optimizer).parameters
    for name in ("momentum", "weight_decay"):
        if name in accepted and name not in kwargs:
            kwargs[name] = getattr(net, name)
    use_fused = (
        net.optimizer is torch.optim.SGD
        and "fused" not in kwargs
        and "foreach" not in kwargs
        # priming a late buffer with zeros reproduces torch's first step only without dampening
        and not kwargs.get("dampening", 0)
        and net.device_.type in ("cpu", "cuda")
        and all(p.is_floating_point() and p.requires_grad for _, p in named_parameters)
        and _fused_sgd_supported(net.device_)
    )
    if use_fused:
        kwargs["fused"] = True
    return args, kwargs


def _fused_momentum_groups(optimizer):
    return [
        g for g in optimizer.param_groups
        if g.get("fused") and g.get("momentum", 0) and not g.get("dampening", 0)
    ]  # fmt: skip


def prime_momentum_buffers(optimizer):
    """Give zero momentum buffers to fused-SGD parameters whose first gradient came late.

    Call after ``backward`` and before ``optimizer.step()``. Only a group where some
    parameters already have buffers needs it (torch makes a fresh group's buffers itself).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer

    Returns
    -------
    pending : bool
        Whether some parameter of a fused momentum group still has no buffer (so later steps
        still need this call); ``False`` once every one has.
    """
    pending = False
    for group in _fused_momentum_groups(optimizer):
        params = group["params"]
        states = [optimizer.state.get(p, {}) for p in params]
        has = ["momentum_buffer" in s for s in states]
        if all(has):
            continue
        if not any(has):  # a fresh group: torch creates every buffer on this step
            pending = True
            continue
        for p, has_buffer in zip(params, has):
            if not has_buffer and p.grad is not None:
                optimizer.state[p]["momentum_buffer"] = torch.zeros_like(p)
            pending = pending or (not has_buffer and p.grad is None)
    return pending


class FusedSGDMixin:
    """skorch's optimizer hooks with the paper's SGD settings and fused SGD (private)."""

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch's optimizer arguments plus ``momentum``/``weight_decay`` when accepted.

        The default SGD runs torch's fused kernel (same update
        rule, one kernel for all tensors; see ``sk_prnet.estimators._optim``). Pass
        ``optimizer__fused=False`` (or ``optimizer__foreach``) to choose yourself.
        """
        named_parameters = list(named_parameters)
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix == "optimizer":
            args, kwargs = optimizer_arguments(self, args, kwargs, named_parameters)
        return args, kwargs

    def initialize_optimizer(self, *args, **kwargs):
        """skorch's optimizer initialization; a new optimizer may need late momentum buffers
        (see ``sk_prnet.estimators._optim.prime_momentum_buffers``)."""
        out = super().initialize_optimizer(*args, **kwargs)
        self._prime_momentum = True
        return out
