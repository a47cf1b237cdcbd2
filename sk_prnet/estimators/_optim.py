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

A step of the default optimizer calls the fused kernel directly (:func:`step_optimizer`):
``Optimizer.step``'s wrapper (profiler label, hook dispatch, grad-mode switch) and SGD's
per-step regrouping of its tensors cost ~90 us a step, ~10 % of the paper's EEG step, for
an update that is the same kernel call with the same arguments. Anything that observes or
changes ``optimizer.step`` (step hooks, a learning-rate scheduler's step counter, AMP's
gradient scaling, a subclass) gets torch's own ``step``.
"""

import inspect
import numbers

import torch
from torch.optim import optimizer as _torch_optimizer

__all__ = ["FusedSGDMixin", "optimizer_arguments", "prime_momentum_buffers", "step_optimizer"]

# torch's fused SGD kernel (what SGD(fused=True).step calls); absent: always torch's step
_FUSED_SGD_KERNEL = getattr(torch, "_fused_sgd_", None)

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


def _observed(optimizer):
    """Whether anything but SGD's own update rule is attached to ``optimizer.step``."""
    return bool(
        type(optimizer) is not torch.optim.SGD
        or "step" in vars(optimizer)  # patched on the instance (lr schedulers count steps)
        or optimizer._optimizer_step_pre_hooks
        or optimizer._optimizer_step_post_hooks
        or _torch_optimizer._global_optimizer_pre_hooks
        or _torch_optimizer._global_optimizer_post_hooks
        or getattr(optimizer, "grad_scale", None) is not None  # AMP's GradScaler
        or getattr(optimizer, "found_inf", None) is not None
    )


def _direct_update(optimizer):
    """Apply one fused-SGD update with the kernel itself; ``False`` (nothing done) when this
    step is not a plain steady-state fused update of one uniform parameter group with dense
    gradients."""
    if len(optimizer.param_groups) != 1:
        return False
    group = optimizer.param_groups[0]
    lr = group["lr"]
    if not group.get("fused") or group.get("differentiable") or not isinstance(lr, numbers.Real):
        return False
    # the parameters with a gradient, as torch's step collects them (a head unused at
    # alpha = 0 has none and keeps its buffer, if any, untouched)
    params = [p for p in group["params"] if p.grad is not None]
    grads = [p.grad for p in params]
    if not params or any(g.is_sparse for g in grads):
        return False  # torch's step (which refuses sparse gradients)
    first = params[0]
    if any(p.device != first.device or p.dtype != first.dtype for p in params):
        return False
    buffers = []
    if group["momentum"]:
        state = optimizer.state
        buffers = [state[p].get("momentum_buffer") if p in state else None for p in params]
        if any(b is None for b in buffers):
            return False  # the first step creates them: torch's step
    with torch.no_grad():
        _FUSED_SGD_KERNEL(
            params, grads, buffers, weight_decay=group["weight_decay"],
            momentum=group["momentum"], lr=lr, dampening=group["dampening"],
            nesterov=group["nesterov"], maximize=group["maximize"], is_first_step=False,
            grad_scale=None, found_inf=None,
        )  # fmt: skip
    return True


def step_optimizer(optimizer, closure):
    """``optimizer.step(closure)``; a plain fused SGD runs its kernel directly.

    For ``torch.optim.SGD(fused=True)`` with nothing attached to its ``step`` (no step hooks,
    no scheduler's step counter, no AMP scaling), one parameter group, every parameter with
    a gradient a dense one with a momentum buffer, the update is the same kernel call with the same
    arguments as torch's ``step`` (bit-identical results), without its per-step overhead.
    Any other case is torch's ``optimizer.step``. The step is then not labelled in the
    torch profiler's trace.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    closure : callable
        Computes the loss and its gradients; returns the loss.

    Returns
    -------
    loss : object
        What ``closure`` returned.
    """
    if _FUSED_SGD_KERNEL is None or _observed(optimizer):
        return optimizer.step(closure)
    with torch.enable_grad():
        loss = closure()
    if not _direct_update(optimizer):
        optimizer.step()
    return loss


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
