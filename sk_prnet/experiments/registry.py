"""The registered experiments: ``sk-prnet run NAME`` and the report look them up here.

:func:`register` is a class decorator (``@register`` above an
:class:`~sk_prnet.experiments.protocol.Experiment` subclass); the package's own experiments
register when :mod:`sk_prnet.experiments` is imported, a user's when their module is imported.
"""

__all__ = ["experiments", "get_experiment", "register"]

_REGISTRY = {}
_MISSING = object()


def register(experiment_class):
    """Register an experiment class under its ``name`` (a class decorator).

    Parameters
    ----------
    experiment_class : type
        A subclass of :class:`~sk_prnet.experiments.protocol.Experiment` with a ``name``.

    Returns
    -------
    experiment_class : type
        Unchanged.

    Raises
    ------
    ValueError
        If ``cls`` has no ``name`` or another class is registered under it.
    """
    cls = experiment_class
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{cls.__qualname__} needs a class attribute `name` (a string).")
    known = _REGISTRY.get(name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise ValueError(
            f"An experiment named {name!r} is registered already ({known.__qualname__}); "
            "choose another name."
        )
    _REGISTRY[name] = cls  # the same class again (a module reloaded): the newer one
    return cls


def get_experiment(name, default=_MISSING):
    """The experiment class registered under ``name``.

    Parameters
    ----------
    name : str
    default : object, optional
        Returned for an unknown name; without it an unknown name raises.

    Returns
    -------
    cls : type

    Raises
    ------
    KeyError
        For an unknown name without ``default``; the message lists the known ones.
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    if default is not _MISSING:
        return default
    raise KeyError(f"No experiment named {name!r}; registered: {', '.join(experiments())}.")


def experiments():
    """Names of the registered experiments, sorted (the order of ``sk-prnet run --help``).

    Returns
    -------
    names : list of str
    """
    return sorted(_REGISTRY)
