"""Optimizer arguments: the paper's SGD settings, and torch's fused SGD kernel where it is safe.

For the paper's small EEG models a training step is a few hundred microseconds of many small
ops, and the optimizer's per-parameter loop (weight decay, momentum, update: several ops per
tensor) is a large share of it. ``torch.optim.SGD(fused=True)`` updates all tensors in one
kernel, with the same update rule.

One caveat of torch's fused SGD: it creates the momentum buffers of a parameter group only
when *no* parameter of the group has one yet. A parameter that receives its first gradient
after the others (the ranking head after a first batch without a counted pair, or after a
warm start from ``alpha=0``) would then meet a missing buffer and fail. The ranking head is
therefore kept in a parameter group of its own; the backbone and task head get gradients at
every step. User modules may leave parameters unused in some steps, so fused SGD is used with
the built-in backbones only.
"""

import inspect

import torch

__all__ = ["optimizer_arguments"]

# Parameters whose first gradient can come later than the others' (see the module docstring).
_LATE_PREFIXES = ("pair_head.",)

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


def _split_late_parameters(groups, named_parameters):
    """Each parameter group split into (parameters always trained, late-starting ones)."""
    late = {id(p) for name, p in named_parameters if name.startswith(_LATE_PREFIXES)}
    out = []
    for group in groups:
        params = list(group["params"])
        for subset in (
            [p for p in params if id(p) not in late],
            [p for p in params if id(p) in late],
        ):
            if subset:
                out.append({**group, "params": subset})
    return out


def optimizer_arguments(net, args, kwargs, named_parameters):
    """Complete skorch's optimizer arguments for a PRNet estimator.

    Adds ``momentum`` and ``weight_decay`` (constructor parameters of the estimators) when the
    optimizer accepts them and the user did not set them through ``optimizer__*``, and turns
    on the fused SGD kernel for the default optimizer on the built-in backbones.

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
        and isinstance(net.module, str)
        and net.device_.type in ("cpu", "cuda")
        and all(p.is_floating_point() for _, p in named_parameters)
        and _fused_sgd_supported(net.device_)
    )
    if use_fused:
        kwargs["fused"] = True
        args = (_split_late_parameters(args[0], named_parameters), *args[1:])
    return args, kwargs
