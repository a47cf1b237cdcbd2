"""Training data on one device, and the batches of an epoch, without a DataLoader.

For the paper's small EEG models a training step is well under a millisecond, so per-batch
``DataLoader``/collate overhead would dominate; batches are slices or gathers of tensors,
with the pair labels of the whole epoch built in one vectorized call.

Where the inputs live is one pure decision, :func:`batch_source`:

* ``"whole"`` -- a float32 tensor on the device, one permuted copy per epoch, batches are
  slices of it. For in-memory inputs trained on the CPU, where "device" and host are the
  same memory: the fastest loop for small data.
* ``"gather"`` -- a float32 tensor on a CUDA device, each batch gathered from the epoch's
  permutation (no permuted copy of the inputs), when they fit comfortably in its free memory.
* ``"stream"`` -- the inputs stay on the host (``uint8`` images, memory-mapped arrays, or
  floats too large for the device); each batch is read, copied to the device and converted
  there (see :mod:`sk_prnet.estimators._loader`), optionally by a prefetching thread.

Every mode draws the same permutation from torch's CPU generator and gives each batch the
same rows in the same order, so the choice never changes the pairs or the result.
"""

import copy
import math

import numpy as np
import torch
from skorch.dataset import Dataset

from ._loader import Prefetcher, as_device_tensor, is_memory_mapped, read_rows, to_device

__all__ = [
    "TrainingBatches", "EpochBatches", "as_device_tensor", "batch_source", "counted_pairs",
    "free_device_memory", "BATCH_SOURCES", "RESIDENT_FRACTION",
]  # fmt: skip

#: The ways of holding training inputs (see :func:`batch_source`).
BATCH_SOURCES = ("whole", "gather", "stream")

#: Inputs are kept on a CUDA device when their float32 size is at most this share of its
#: free memory (the rest is for the model, activations and the optimizer).
RESIDENT_FRACTION = 0.25

# Above this many pair labels in an epoch they are built batch by batch instead (memory).
_MAX_EPOCH_CODES = 4_000_000


def batch_source(device_type, n_bytes, *, host_only, free_bytes=None, fraction=RESIDENT_FRACTION):
    """Where training inputs are held and how a batch is formed: one of :data:`BATCH_SOURCES`.

    Parameters
    ----------
    device_type : str
        ``torch.device.type`` of the training device (``"cpu"``, ``"cuda"``, ...).
    n_bytes : int
        Size of the inputs as float32.
    host_only : bool
        The inputs are ``uint8`` images or memory-mapped: always streamed, so that they are
        never converted (4x larger) or read into memory as a whole.
    free_bytes : int or None, default=None
        Free memory of the device (``None``: unknown, or not a separate memory).
    fraction : float, default=RESIDENT_FRACTION
        Largest share of ``free_bytes`` the inputs may take on the device.

    Returns
    -------
    source : {"whole", "gather", "stream"}

    Examples
    --------
    >>> batch_source("cpu", 432_000, host_only=False)
    'whole'
    >>> batch_source("cuda", 60 * 2**30, host_only=False, free_bytes=80 * 2**30)
    'stream'
    >>> batch_source("cuda", 432_000, host_only=False, free_bytes=80 * 2**30)
    'gather'
    """
    if host_only:
        return "stream"
    if device_type == "cpu":
        return "whole"  # host memory: keep today's fastest path, nothing is copied to move
    if free_bytes is None or n_bytes > fraction * free_bytes:
        return "stream"
    return "gather"


def free_device_memory(device):
    """Free bytes of a CUDA ``device`` (``None`` for the CPU and other devices)."""
    if device.type != "cuda":
        return None
    return int(torch.cuda.mem_get_info(device)[0])


def counted_pairs(n, pairing, groups=None):
    """Number of pairs of an ``n``-sample batch that count for ranking (host arithmetic).

    Only pairing and groups decide which pairs count (never the ranking values), so this
    equals the number of codes that are not :data:`~sk_prnet.modules.IGNORE`, without
    reading the device's codes back (a synchronization per step on CUDA).

    Parameters
    ----------
    n : int
        Batch size.
    pairing : {"split", "all"}
    groups : ndarray of int of shape (n,) or None
        Non-negative group codes of the batch's samples.

    Returns
    -------
    count : int
    """
    if pairing == "split":
        half = n // 2
        if groups is None:
            return half * half
        k = int(groups[: 2 * half].max(initial=-1)) + 1
        a = np.bincount(groups[:half], minlength=k)
        b = np.bincount(groups[half : 2 * half], minlength=k)
        return int(a @ b)
    if groups is None:
        return n * (n - 1)
    c = np.bincount(groups)
    return int(c @ (c - 1))


class TrainingBatches(Dataset):
    """Sample-aligned inputs, task targets, ranking targets and groups of one training run.

    Targets (small) live on the device; the inputs where :func:`batch_source` says. It is a
    skorch ``Dataset`` (what the estimators' ``get_dataset`` returns and callbacks receive as
    ``dataset_train``/``dataset_valid``): ``X`` and ``y`` are the validated inputs and the
    user's targets (labels, not class indices) of its samples, as skorch's scoring callbacks
    read them; ``len`` and indexing follow them.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
        Float inputs, or ``uint8`` images (possibly a memory-mapped cache far larger than
        memory), scaled by 1/255 on the device batch by batch.
    task : Tensor of shape (n_samples, n_targets)
        Encoded task targets (class indices, or regression values).
    rank : Tensor of shape (n_samples, n_targets)
        Values whose order defines the pair relations.
    groups : Tensor of shape (n_samples,) or None
        Integer group codes restricting pairs to one group.
    device : torch.device
    free_bytes : int or None, default=None
        Free device memory (see :func:`free_device_memory`).
    prefetch : int, default=0
        Batches read ahead by a background thread in ``"stream"`` mode.
    source : {"whole", "gather", "stream"} or None, default=None
        Force a way of holding the inputs (benchmarks, tests); ``None``: decided by
        :func:`batch_source`.
    weight : Tensor of shape (n_samples, k) or None, default=None
        Per-sample weights of the losses (one column, or one per output); batches carry
        their rows as ``targets["weight"]``.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs) or None, default=None
        The user's targets (host memory), exposed as ``y`` and, on request, as the batches'
        ``targets["y"]``.
    """

    def __init__(self, X, task, rank, groups, device, free_bytes=None, prefetch=0, source=None,
                 weight=None, y=None):  # fmt: skip
        # skorch's Dataset.__init__ is not called: X and y are properties over these arrays
        self.host_X, self.host_y = X, y
        host_only = (X.dtype == np.uint8) or is_memory_mapped(X)
        if source is None:
            source = batch_source(device.type, X.size * 4, host_only=host_only,
                                  free_bytes=free_bytes)  # fmt: skip
        self.source = source
        self.inputs = X if self.source == "stream" else as_device_tensor(X, device)
        self.rows = None  # positions in X of this set's samples (None: all, in order)
        self.task = task.to(device)
        self.rank = rank.to(device)
        self.groups = None if groups is None else groups.to(device)
        self.groups_host = None if groups is None else groups.cpu().numpy()
        self.weight = None if weight is None else weight.to(device)
        self.device = device
        self.prefetch = int(prefetch)
        # pinned host batches and asynchronous copies only where they help: a CUDA target
        self.pin = device.type == "cuda"

    def __len__(self):
        return self.task.shape[0]

    @property
    def X(self):
        """The validated inputs of this set's samples (host memory, as given to ``fit``)."""
        return self.host_X if self.rows is None else self.host_X[self.rows]

    @property
    def y(self):
        """The user's targets of this set's samples (``None`` when not given)."""
        if self.host_y is None or self.rows is None:
            return self.host_y
        return self.host_y[self.rows]

    def __getitem__(self, i):
        row = i if self.rows is None else self.rows[i]
        return self.host_X[row], None if self.host_y is None else self.host_y[row]

    def subset(self, index):
        """A ``TrainingBatches`` of the samples ``index`` (sharing the inputs, not copying)."""
        idx = np.asarray(index.cpu() if torch.is_tensor(index) else index, dtype=np.int64)
        out = copy.copy(self)
        out.rows = idx if self.rows is None else self.rows[idx]
        dev_idx = torch.as_tensor(idx, device=self.device)
        out.task, out.rank = self.task[dev_idx], self.rank[dev_idx]
        out.groups = None if self.groups is None else self.groups[dev_idx]
        out.groups_host = None if self.groups is None else self.groups_host[idx]
        out.weight = None if self.weight is None else self.weight[dev_idx]
        return out

    def batches(self, batch_size, shuffle, codes_fn=None, start=0, pairing="split",
                with_rank=False, with_y=False):  # fmt: skip
        """Yield ``(X_batch, targets)`` with ``targets`` a dict of ``task``, ``codes``,
        ``weight`` (only when the data has weights), ``rank`` (only ``with_rank``) and ``y``
        (only ``with_y``).

        Parameters
        ----------
        batch_size : int
        shuffle : bool
            Draw a fresh permutation (from torch's global CPU generator, which the
            estimators seed inside a forked RNG state).
        codes_fn : callable or None
            ``codes_fn(rank, groups) -> codes`` builds the pair labels (see
            :func:`sk_prnet.modules.pair_codes`); ``codes`` is ``None`` for batches with
            fewer than two counted pairs, and absent when ``codes_fn`` is ``None``.
        start : int, default=0
            First batch yielded: a resumed epoch skips the batches before it without
            reading them (the permutation is drawn all the same).
        pairing : {"split", "all"}, default="split"
            The pairing of ``codes_fn`` (counts the pairs on the host).
        with_rank : bool, default=False
            Add the batch's ranking values as ``targets["rank"]`` (soft relation labels).
        with_y : bool, default=False
            Add the batch's rows of the user's targets (a host array) as ``targets["y"]``:
            what skorch's callbacks compare predictions with. Costs one gather per epoch.
        """
        n = len(self)
        perm = torch.randperm(n) if shuffle else None
        task, rank, groups, groups_host = self.task, self.rank, self.groups, self.groups_host
        weight = self.weight
        if perm is not None:  # the targets are small: one permuted copy per epoch
            p = perm.to(self.device)
            task, rank = task[p], rank[p]
            weight = None if weight is None else weight[p]
            if groups is not None:
                groups, groups_host = groups[p], groups_host[perm.numpy()]
        bounds = [(s, min(s + batch_size, n)) for s in range(start * batch_size, n, batch_size)]
        codes = None
        if codes_fn is not None:
            codes = _epoch_codes(rank, groups, groups_host, batch_size, codes_fn, pairing, start)
        inputs = self._inputs(perm, bounds)
        y = self._epoch_y(perm) if with_y else None
        for i, ((s, e), xb) in enumerate(zip(bounds, inputs)):
            targets = {"task": task[s:e]}
            if weight is not None:
                targets["weight"] = weight[s:e]
            if with_rank:
                targets["rank"] = rank[s:e]
            if codes is not None:
                targets["codes"] = codes[i]()
            if y is not None:
                targets["y"] = y[s:e]
            yield xb, targets

    def _host_rows(self, perm):
        """Positions in the host arrays of the epoch's samples, in ``perm`` order (``None``:
        all of them, in order)."""
        rows = None if perm is None else perm.numpy()
        if self.rows is not None:
            rows = self.rows if rows is None else self.rows[rows]
        return rows

    def _epoch_y(self, perm):
        if self.host_y is None:
            raise ValueError("These training batches hold no user targets (y=None).")
        rows = self._host_rows(perm)
        return self.host_y if rows is None else self.host_y[rows]

    def _inputs(self, perm, bounds):
        """The epoch's input batches, in ``perm`` order (``None``: in order)."""
        rows = self._host_rows(perm)
        if self.source == "whole":
            X = self.inputs if rows is None else self.inputs[torch.from_numpy(rows)]
            return (X[s:e] for s, e in bounds)
        if self.source == "gather":
            if rows is None:
                return (self.inputs[s:e] for s, e in bounds)
            rows_dev = torch.from_numpy(rows).to(self.device)
            return (self.inputs.index_select(0, rows_dev[s:e]) for s, e in bounds)
        pick = (lambda s, e: slice(s, e)) if rows is None else (lambda s, e: rows[s:e])
        read = lambda b: read_rows(self.inputs, pick(*b), self.pin)  # noqa: E731
        host = Prefetcher(read, bounds, self.prefetch)
        return (to_device(xb, self.device) for xb in host)


class EpochBatches:
    """The iterator of one dataset (skorch's ``get_iterator`` result): each pass over it is
    one epoch of :meth:`TrainingBatches.batches`, with a fresh permutation when shuffling.

    Parameters
    ----------
    data : TrainingBatches
    batch_size : int
    shuffle : bool
    **options
        ``codes_fn``, ``pairing``, ``with_rank``, ``with_y`` of :meth:`TrainingBatches.batches`.
    """

    def __init__(self, data, batch_size, shuffle, **options):
        self.data, self.batch_size, self.shuffle, self.options = data, batch_size, shuffle, options

    def __len__(self):
        return math.ceil(len(self.data) / self.batch_size)

    def __iter__(self):
        return self.epoch()

    def epoch(self, start=0):
        """The epoch's batches from the ``start``-th on (a resumed epoch skips the batches
        already trained on unread; the permutation is drawn all the same)."""
        return self.data.batches(self.batch_size, self.shuffle, start=start, **self.options)


def _epoch_codes(rank, groups, groups_host, batch_size, codes_fn, pairing, start):
    """Pair labels of the batches from ``start`` on (callables), ``None`` for batches with
    fewer than two counted pairs; built in one call unless there are too many (memory)."""
    n, n_targets = rank.shape
    n_full = n // batch_size
    per_batch = [(s, min(s + batch_size, n)) for s in range(start * batch_size, n, batch_size)]

    def enough(s, e):
        g = None if groups_host is None else groups_host[s:e]
        return counted_pairs(e - s, pairing, g) >= 2

    def one(s, e):
        return codes_fn(rank[s:e], None if groups is None else groups[s:e])

    if n_full * (batch_size**2) * n_targets > _MAX_EPOCH_CODES:
        return [(lambda s=s, e=e: one(s, e)) if enough(s, e) else (lambda: None)
                for s, e in per_batch]  # fmt: skip
    codes = []
    if n_full > start:
        lo, hi = start * batch_size, n_full * batch_size
        k = n_full - start
        g = None if groups is None else groups[lo:hi].view(k, batch_size)
        stacked = codes_fn(rank[lo:hi].view(k, batch_size, n_targets), g)
        codes += [c if enough(s, e) else None for c, (s, e) in zip(stacked.unbind(0), per_batch)]
    if n_full * batch_size < n:
        s = n_full * batch_size
        codes.append(one(s, n) if enough(s, n) else None)
    return [lambda c=c: c for c in codes]
