"""The Pairwise Ranking Network module: backbone -> (task head, ranking head)."""

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
    """

    def __init__(
        self, backbone, embedding_dim, n_task_outputs, n_targets, task_hidden=None,
        ranking_hidden=None,
    ):  # fmt: skip
        super().__init__()
        self.backbone = backbone
        self.task_head = TaskHead(embedding_dim, n_task_outputs, hidden=task_hidden)
        self.pair_head = PairHead(embedding_dim, n_targets, hidden=ranking_hidden)

    def forward(self, x):
        """``(task_output, embedding)`` of a batch: ``(N, n_task_outputs)``, ``(N, d)``."""
        embedding = self.backbone(x)
        return self.task_head(embedding), embedding


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
