"""Training data as device tensors, sliced into batches without a DataLoader.

For the paper's small EEG models a training step is well under a millisecond, so per-batch
``DataLoader``/collate overhead would dominate; slicing a once-per-epoch permuted copy, with
the pair labels of the whole epoch built in one vectorized call, keeps the loop as lean as a
hand-written one.
"""

import numpy as np
import torch

from ..modules import IGNORE

__all__ = ["TrainingBatches", "as_device_tensor"]

# Above this many pair labels in an epoch they are built batch by batch instead (memory).
_MAX_EPOCH_CODES = 4_000_000


def as_device_tensor(x, device):
    """A float32 tensor of ``x`` (ndarray) on ``device``; ``uint8`` images are scaled by 1/255."""
    x = np.asarray(x)
    if not x.flags.writeable:  # a batch of a read-only memmap: copy the batch, not the array
        x = x.copy()
    t = torch.as_tensor(x, device=device)
    if t.dtype == torch.uint8:
        return t.to(torch.float32).div_(255.0)
    return t.to(torch.float32)


class TrainingBatches:
    """Sample-aligned tensors (inputs, task targets, ranking targets, groups) on one device.

    Float inputs are copied to the device once. ``uint8`` inputs (images, possibly a
    memory-mapped cache far larger than memory) stay where they are: each batch's rows are
    read (in ascending order, kind to a memmap), moved to the device and scaled by 1/255 there,
    so the whole array is never copied or converted.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
    task : Tensor of shape (n_samples, n_targets)
        Encoded task targets (class indices, or regression values).
    rank : Tensor of shape (n_samples, n_targets)
        Values whose order defines the pair relations.
    groups : Tensor of shape (n_samples,) or None
        Integer group codes restricting pairs to one group.
    device : torch.device
    weight : Tensor of shape (n_samples, k) or None, default=None
        Per-sample weights of the losses (one column, or one per output); batches carry
        their rows as ``targets["weight"]``.
    """

    def __init__(self, X, task, rank, groups, device, weight=None):
        self.on_host = isinstance(X, np.ndarray) and X.dtype == np.uint8
        # host mode: X stays a (memory-mapped) uint8 array, ``rows`` indexes into it
        self.X = X if self.on_host else as_device_tensor(X, device)
        self.rows = np.arange(X.shape[0]) if self.on_host else None
        self.task = task.to(device)
        self.rank = rank.to(device)
        self.groups = None if groups is None else groups.to(device)
        self.weight = None if weight is None else weight.to(device)
        self.device = device

    def __len__(self):
        return self.task.shape[0]

    def subset(self, index):
        """A new ``TrainingBatches`` holding the rows ``index`` (a LongTensor or slice)."""
        out = object.__new__(TrainingBatches)
        out.on_host, out.X = self.on_host, self.X
        if self.on_host:
            out.rows = self.rows[index.cpu().numpy() if torch.is_tensor(index) else index]
        else:
            out.X, out.rows = self.X[index], None
        out.task, out.rank = self.task[index], self.rank[index]
        out.groups = None if self.groups is None else self.groups[index]
        out.weight = None if self.weight is None else self.weight[index]
        out.device = self.device
        return out

    def _host_batches(self, batch_size, shuffle, codes_fn):
        order = torch.randperm(len(self)) if shuffle else torch.arange(len(self))
        for start in range(0, len(self), batch_size):
            sel = order[start : start + batch_size].sort().values
            xb = as_device_tensor(self.X[self.rows[sel.numpy()]], self.device)
            idx = sel.to(self.device)
            targets = {"task": self.task[idx]}
            if self.weight is not None:
                targets["weight"] = self.weight[idx]
            if codes_fn is not None:
                g = None if self.groups is None else self.groups[idx]
                c = codes_fn(self.rank[idx], g)
                targets["codes"] = c if int((c[..., 0] != IGNORE).sum()) >= 2 else None
            yield xb, targets

    def _epoch_codes(self, batch_size, codes_fn):
        """Pair labels of every batch, or a callable building them per batch (large data)."""
        n, n_targets = self.rank.shape
        n_full = n // batch_size
        per_batch = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]

        def one(start, stop):
            g = None if self.groups is None else self.groups[start:stop]
            c = codes_fn(self.rank[start:stop], g)
            return c if int((c[..., 0] != IGNORE).sum()) >= 2 else None

        if n_full * (batch_size**2) * n_targets > _MAX_EPOCH_CODES:
            return [lambda s=s, e=e: one(s, e) for s, e in per_batch]
        codes = []
        if n_full:
            cut = n_full * batch_size
            g = None if self.groups is None else self.groups[:cut].view(n_full, batch_size)
            stacked = codes_fn(self.rank[:cut].view(n_full, batch_size, n_targets), g)
            counts = (stacked[..., 0] != IGNORE).flatten(1).sum(1).tolist()
            codes += [c if k >= 2 else None for c, k in zip(stacked.unbind(0), counts)]
        if n_full * batch_size < n:
            codes.append(one(n_full * batch_size, n))
        return [lambda c=c: c for c in codes]

    def batches(self, batch_size, shuffle, codes_fn=None):
        """Yield ``(X_batch, targets)`` with ``targets`` a dict of ``task``, ``codes`` and
        ``weight`` (only when the data has weights).

        Parameters
        ----------
        batch_size : int
        shuffle : bool
            Draw a fresh permutation (from torch's global generator, which the estimators
            seed inside a forked RNG state).
        codes_fn : callable or None
            ``codes_fn(rank, groups) -> codes`` builds the pair labels (see
            :func:`sk_prnet.modules.pair_codes`); ``codes`` is ``None`` for batches with
            fewer than two counted pairs, and absent when ``codes_fn`` is ``None``.
        """
        if self.on_host:
            yield from self._host_batches(batch_size, shuffle, codes_fn)
            return
        data = self
        if shuffle:
            data = self.subset(torch.randperm(len(self)).to(self.device))
        codes = data._epoch_codes(batch_size, codes_fn) if codes_fn is not None else None
        for i, start in enumerate(range(0, len(data), batch_size)):
            stop = start + batch_size
            targets = {"task": data.task[start:stop]}
            if data.weight is not None:
                targets["weight"] = data.weight[start:stop]
            if codes is not None:
                targets["codes"] = codes[i]()
            yield data.X[start:stop], targets
