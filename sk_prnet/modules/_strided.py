"""Strided views for the training losses, taken on the dense tensor a block was sliced from.

The losses read their logits as ``as_strided`` views of a module output (one view node
instead of several slices and reshapes). When that output is a column block of a larger
tensor (the task logits and the ranking projection come from one matmul,
:meth:`sk_prnet.modules.PRNetModule.forward_with_projection`), a view of the block would
send its gradient back through the slicing (a split node, whose backward concatenates).
``as_strided`` addresses the *storage*, so the same view taken on the block's base tensor
is the same elements, and the slicing drops out of the backward pass (the profiler shows
the split's backward gone; on the paper's EEG model the gain is some tens of us of a ~1 ms
step, within this machine's timing noise).
"""

__all__ = ["storage_view"]


def storage_view(tensor, size, stride, storage_offset):
    """``tensor.as_strided(size, stride, storage_offset)``, taken on ``tensor``'s base if any.

    Parameters
    ----------
    tensor : Tensor
    size, stride : tuple of int
    storage_offset : int
        Absolute, in elements of the storage (as for ``Tensor.as_strided``).

    Returns
    -------
    view : Tensor
        Equal to ``tensor.as_strided(size, stride, storage_offset)``, with gradients flowing
        to the same storage elements.
    """
    base = tensor._base
    if base is None or base.dtype != tensor.dtype or base.requires_grad != tensor.requires_grad:
        base = tensor
    return base.as_strided(size, stride, storage_offset)
