"""Host-side reading of input batches and their move to the device.

Inputs that stay on the host (``uint8`` images, memory-mapped arrays, float arrays too large
for the device) are read batch by batch: the rows are read in ascending order (kind to a
memmap), put back in the order asked for, converted on the host only where that shrinks
them (float64 -> float32; ``uint8`` travels as 1 byte per pixel and is scaled by 1/255 on
the device), and copied to the device. With CUDA as the target the batch is written into
pinned host memory and copied with ``non_blocking=True``; a background thread can read the
next batches while the current step runs (:class:`Prefetcher`).
"""

import mmap
import queue
import threading

import numpy as np
import torch

__all__ = [
    "as_device_tensor", "is_memory_mapped", "read_rows", "to_device", "Prefetcher",
    "inference_batches", "predict_batch_size",
]  # fmt: skip


def is_memory_mapped(x):
    """True when the array ``x`` (or an array it views) is backed by a memory map."""
    while x is not None:
        if isinstance(x, np.memmap | mmap.mmap):
            return True
        x = getattr(x, "base", None)
    return False


def read_rows(X, rows, pin=False):
    """Rows ``rows`` of the host array ``X`` as a CPU tensor, in the order of ``rows``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
        Possibly a read-only memmap; ``uint8`` or floating point.
    rows : ndarray of int or slice
        Which rows, in the order wanted.
    pin : bool, default=False
        Return page-locked (pinned) memory, for an asynchronous copy to a CUDA device.

    Returns
    -------
    batch : Tensor
        ``uint8`` for ``uint8`` input, else float32 (cast here, on the host). Never shares
        memory with ``X``.
    """
    if isinstance(rows, slice):
        part, order = X[rows], None
    else:
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        part = X[rows[order]]  # ascending: a memmap is read front to back
    dtype = torch.uint8 if X.dtype == np.uint8 else torch.float32
    out = torch.empty(part.shape, dtype=dtype, pin_memory=pin)
    dest = out.numpy()
    if order is None:
        dest[...] = part
    else:
        dest[order] = part  # back to the order of ``rows`` (the casting copy does it)
    return out


def to_device(batch, device):
    """A host batch from :func:`read_rows` as float32 on ``device`` (``uint8`` scaled by 1/255).

    The copy is asynchronous when ``batch`` is pinned and ``device`` is a CUDA device.
    """
    t = batch.to(device, non_blocking=batch.is_pinned())
    if t.dtype == torch.uint8:
        return t.to(torch.float32).div_(255.0)
    return t


def as_device_tensor(x, device):
    """A float32 tensor of ``x`` (ndarray) on ``device``; ``uint8`` images are scaled by 1/255.

    Float64 is cast to float32 on the host (never 12 bytes per element on the device). The
    result may share memory with ``x`` on the CPU when ``x`` is writeable float32.
    """
    x = np.asarray(x)
    if x.dtype != np.uint8 and x.dtype != np.float32:
        x = x.astype(np.float32)
    elif not x.flags.writeable:  # a batch of a read-only memmap: copy the batch
        x = x.copy()
    return to_device(torch.from_numpy(x), device)


class Prefetcher:
    """Iterate over ``read(item)`` for ``items``, reading up to ``depth`` items ahead.

    A daemon thread does the reading (disk, gathering, casting: numpy and memmap reads
    release the GIL for the copying), so it overlaps the consumer's training step. The
    results arrive in the order of ``items``; an exception in the thread is raised in the
    consumer; closing the iterator early (``break``, ``max_steps``) stops the thread.
    ``depth=0`` reads in the consumer's thread, one item at a time.

    Parameters
    ----------
    read : callable
        ``read(item) -> value``; must not use torch's random number generators (the
        consumer's results must not depend on the prefetching).
    items : iterable
    depth : int
        How many values may wait, read, for the consumer.
    """

    _DONE = object()

    def __init__(self, read, items, depth):
        self.read, self.items, self.depth = read, items, int(depth)

    def __iter__(self):
        if self.depth < 1:
            for item in self.items:
                yield self.read(item)
            return
        slots = queue.Queue(maxsize=self.depth)
        stop = threading.Event()

        def produce():
            try:
                for item in self.items:
                    value = self.read(item)
                    while not stop.is_set():
                        try:
                            slots.put((value, None), timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                slots.put((self._DONE, None))
            except BaseException as exc:  # handed to the consumer, raised there
                slots.put((self._DONE, exc))

        worker = threading.Thread(target=produce, name="sk_prnet-prefetch", daemon=True)
        worker.start()
        try:
            while True:
                value, exc = slots.get()
                if exc is not None:
                    raise exc
                if value is self._DONE:
                    return
                yield value
        finally:
            stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    slots.get_nowait()
                except queue.Empty:
                    pass
                worker.join(timeout=0.05)


def predict_batch_size(batch_size_predict, batch_size):
    """Rows per inference batch: ``batch_size_predict``, or by default
    ``max(256, 4 * batch_size)`` (inference keeps no activations for a backward pass, so a
    batch 4x the training batch needs less memory than a training step).

    Examples
    --------
    >>> predict_batch_size(None, 40), predict_batch_size(None, 128), predict_batch_size(64, 40)
    (256, 512, 64)
    """
    if batch_size_predict is not None:
        return int(batch_size_predict)
    return max(256, 4 * int(batch_size))


def inference_batches(X, device, batch_size, prefetch=0):
    """Consecutive batches of the host array ``X`` as float32 tensors on ``device``.

    Read, cast (float64 -> float32 on the host; ``uint8`` scaled on the device) and copied
    batch by batch, never as a whole. In-memory arrays on the CPU are not copied (float32);
    memory maps and copies to a CUDA device are read ahead by ``prefetch`` batches.
    """
    bounds = [slice(s, s + batch_size) for s in range(0, X.shape[0], batch_size)]
    mapped = is_memory_mapped(X)
    if device.type == "cpu" and not mapped:
        for b in bounds:
            yield as_device_tensor(X[b], device)
        return
    depth = prefetch if device.type == "cuda" or mapped else 0
    pin = device.type == "cuda"
    for xb in Prefetcher(lambda b: read_rows(X, b, pin), bounds, depth):
        yield to_device(xb, device)
