"""The Pairwise Ranking Network module: backbone -> (task head, ranking head)."""

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from .backbones import build_backbone, embedding_size
from .heads import PairHead, TaskHead

__all__ = ["PRNetModule", "build_prnet"]


class PRNetModule(nn.Module):
    """Shared embedding with a task head and a pairwise ranking head (paper Fig. 2).

    Parameters
    ----------
    backbone : nn.Module
        Maps ``(N, *input_shape)`` to embeddings ``(N, d)``.
    embedding_dim : int
        ``d``.
    n_task_outputs : int
        Outputs of the task head (sum of class counts, or number of regression targets).
    n_targets : int
        Number of targets, each with its own ranking head.
    task_hidden, ranking_hidden : int or None
        Optional hidden widths of the task head and of each ranking head.

    Notes
    -----
    ``forward(x)`` returns ``(task_output, embedding)``; the ranking head is applied to pairs
    of embeddings by the training loss and by ``compare`` at inference, never in ``forward``.
    Training with the ranking loss uses :meth:`forward_with_projection`, which also returns
    the ranking head's per-sample first layer.

    The ranking head's initial weights come from a generator of their own (seeded from a
    number drawn inside a fork of torch's global CPU generator), so building the module
    consumes exactly the random numbers of the backbone and the task head: with the same
    seed, a plain network (backbone + task head) built the same way starts from the same
    weights and then shuffles its batches the same way.
    """

    def __init__(
        self, backbone, embedding_dim, n_task_outputs, n_targets, task_hidden=None,
        ranking_hidden=None,
    ):  # fmt: skip
        super().__init__()
        self.backbone = backbone
        self.task_head = TaskHead(embedding_dim, n_task_outputs, hidden=task_hidden)
        with _side_stream():
            self.pair_head = PairHead(embedding_dim, n_targets, hidden=ranking_hidden)

    def forward(self, x):
        """``(task_output, embedding)`` of a batch: ``(N, n_task_outputs)``, ``(N, d)``."""
        embedding = self.backbone(x)
        return self.task_head(embedding), embedding

    def forward_with_projection(self, x):
        """``(task_output, embedding, projection)``: :meth:`forward` plus ``pair_head.project``.

        ``projection`` is ``(N, 2 m)``, the two halves ``[W1 e + b1, W2 e + b2]`` of the ranking
        head's first layer. With a single-layer task head (paper EEG) both heads' first layers
        act on the embedding, so they run as one matmul on the concatenated weights: for the
        paper's small models a training step is dominated by per-op overhead, not arithmetic.

        Parameters
        ----------
        x : Tensor of shape (N, ...)
            A batch of inputs.

        Returns
        -------
        task_output, embedding, projection : Tensor
        """
        embedding = self.backbone(x)
        task, sides = self.task_head.net, self.pair_head.sides
        if isinstance(task, nn.Linear):
            out = F.linear(
                embedding,
                torch.cat([task.weight, sides.weight]),
                torch.cat([task.bias, sides.bias]),
            )
            task_output, projection = out.split([task.out_features, sides.out_features], dim=1)
            return task_output, embedding, projection
        return task(embedding), embedding, sides(embedding)


@contextmanager
def _side_stream():
    """Run an initialization on a CPU random stream that leaves torch's global one untouched.

    The stream's seed is drawn from the global generator inside a fork (so the global state is
    restored afterwards) and mixed with a constant, so that the side stream is not the
    global stream's own continuation. Only the CPU generator is involved: modules are built
    on the CPU, and no CUDA state is read or changed.
    """
    with torch.random.fork_rng(devices=[]):
        seed = int(torch.randint(2**62, ())) ^ 0x5DEECE66D
        torch.random.default_generator.manual_seed(seed)
        yield


def build_prnet(
    spec, input_shape, n_task_outputs, n_targets, task_hidden=None, ranking_hidden=None,
    **backbone_kwargs,
):  # fmt: skip
    """Build a :class:`PRNetModule` around a named, class or instance backbone.

    Parameters
    ----------
    spec : {"mlp", "vgg"} or type of nn.Module or nn.Module
        See :func:`sk_prnet.modules.build_backbone`.
    input_shape : tuple of int
        Shape of one sample.
    n_task_outputs, n_targets : int
        See :class:`PRNetModule`.
    task_hidden, ranking_hidden : int or None, default=None
        See :class:`PRNetModule`.
    **backbone_kwargs
        Passed to the backbone's constructor.

    Returns
    -------
    module : PRNetModule
    """
    backbone = build_backbone(spec, input_shape, **backbone_kwargs)
    d = embedding_size(backbone, input_shape)
    return PRNetModule(
        backbone, d, n_task_outputs, n_targets, task_hidden=task_hidden,
        ranking_hidden=ranking_hidden,
    )  # fmt: skip
