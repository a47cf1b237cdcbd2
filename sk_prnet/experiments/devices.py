"""Which device a unit trains on: ``sk-prnet run --device {auto,cpu,cuda,cuda:N}``.

``auto`` (the default) is a policy, not "CUDA when present": the paper's EEG and regression
networks (an MLP of 128-128 on 100-310 features, batch 40) are bound by kernel launches, so
a GPU only slows them down and the CPU runs several units in parallel; image units (the VGG
on AffectNet) train on ``cuda:{worker % device_count}`` when CUDA exists, spreading parallel
workers over the GPUs. An explicit device applies to every unit.
"""

import re

__all__ = ["IMAGE_KINDS", "check_device", "parse_device", "unit_device", "worker_index"]

#: Unit kinds that train a CNN on images (a :class:`~sk_prnet.experiments.FitTask` with
#: ``images=True`` is of kind ``"images"``).
IMAGE_KINDS = frozenset({"images"})

_DEVICE_RE = re.compile(r"^(auto|cpu|cuda|cuda:\d+)$")


def parse_device(text):
    """Check the syntax of a ``--device`` value.

    Parameters
    ----------
    text : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Returns
    -------
    device : str
        ``text`` lower-cased and stripped.

    Raises
    ------
    ValueError
        For anything else.

    Examples
    --------
    >>> from sk_prnet.experiments.devices import parse_device
    >>> parse_device("CUDA:1")
    'cuda:1'
    """
    device = str(text).strip().lower()
    if not _DEVICE_RE.match(device):
        raise ValueError(
            f"invalid device {text!r}: use auto, cpu, cuda or cuda:N (N the GPU number)."
        )
    return device


def check_device(device, device_count):
    """Refuse a device this machine does not have, before any unit runs.

    Parameters
    ----------
    device : str
        A value accepted by :func:`parse_device`.
    device_count : int
        ``torch.cuda.device_count()`` (0 without CUDA).

    Raises
    ------
    ValueError
        CUDA asked for without CUDA, or a GPU number past the last one.
    """
    device = parse_device(device)
    if not device.startswith("cuda"):
        return
    if device_count == 0:
        raise ValueError(
            f"--device {device} asks for CUDA, which is not available here (torch sees no GPU; "
            "a CPU build of torch?). Use --device auto or cpu, or install a CUDA build of torch."
        )
    index = int(device.partition(":")[2] or 0)
    if index >= device_count:
        raise ValueError(
            f"--device {device}: this machine has {device_count} CUDA device(s), "
            f"cuda:0 to cuda:{device_count - 1}."
        )


def unit_device(requested, kind, worker, device_count):
    """The device of one unit (a pure function of its arguments).

    Parameters
    ----------
    requested : str
        The ``--device`` value; anything but ``"auto"`` is returned as is.
    kind : str
        The unit's kind (``"images"`` for a ``FitTask`` with ``images=True``): ``"images"``
        trains the VGG; the others are the
        small EEG/regression networks.
    worker : int
        Index of the worker process running the unit (see :func:`worker_index`).
    device_count : int
        Number of CUDA devices (0 without CUDA).

    Returns
    -------
    device : str

    Examples
    --------
    >>> from sk_prnet.experiments.devices import unit_device
    >>> unit_device("auto", "deap", worker=3, device_count=2)
    'cpu'
    >>> unit_device("auto", "images", worker=3, device_count=2)
    'cuda:1'
    >>> unit_device("cuda:0", "deap", worker=3, device_count=2)
    'cuda:0'
    """
    if requested != "auto":
        return requested
    if kind in IMAGE_KINDS and device_count > 0:
        return f"cuda:{worker % device_count}"
    return "cpu"


def worker_index():
    """Index of the current worker process: 0-based among the processes the runner (or Dask's
    nanny) started, 0 in the runner's own process.

    Returns
    -------
    index : int
    """
    import multiprocessing
    import sys

    if "distributed" in sys.modules:  # a Dask worker: LocalCluster names its workers 0, 1...
        try:
            name = sys.modules["distributed"].get_worker().name
            return int(name) if str(name).isdigit() else 0
        except ValueError:  # not inside a Dask worker
            pass

    identity = getattr(multiprocessing.current_process(), "_identity", ())
    return max(int(identity[0]) - 1, 0) if identity else 0
