"""``deterministic=True``: a fit runs with torch's deterministic algorithms, restored after.

``random_state`` fixes every random draw of a fit (initialization, shuffling, pairing,
augmentation), but on CUDA some kernels are nondeterministic by themselves (cuDNN's
convolution backward, atomicAdd reductions), so two seeded GPU fits can differ in the last
bits and drift apart. Inside this context torch uses deterministic algorithms (and raises for an
operation that has none), cuDNN its deterministic convolutions without autotuning, and cuBLAS a
fixed workspace (``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless already set). All of it is process
state: it is restored when the fit ends, also on an error, so do not run other torch work in
parallel threads of the same process during such a fit.
"""

import os
from contextlib import contextmanager

import torch

__all__ = ["deterministic_algorithms"]

_CUBLAS = "CUBLAS_WORKSPACE_CONFIG"


@contextmanager
def deterministic_algorithms(enabled):
    """Run the block with torch's deterministic settings when ``enabled``, then restore them."""
    if not enabled:
        yield
        return
    cudnn = torch.backends.cudnn
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        cudnn.deterministic,
        cudnn.benchmark,
        os.environ.get(_CUBLAS),
    )
    if saved[4] is None:  # torch checks it at each cuBLAS call under deterministic mode
        os.environ[_CUBLAS] = ":4096:8"
    torch.use_deterministic_algorithms(True)
    cudnn.deterministic, cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        cudnn.deterministic, cudnn.benchmark = saved[2], saved[3]
        if saved[4] is None:
            os.environ.pop(_CUBLAS, None)
