"""RankNet (Burges et al., ICML 2005): a scalar score per sample, pairs compared by difference.

The paper's Section IV-C baseline: the same backbone trained only on pairs, with
``P(x1 ≻ x2) = sigmoid(s1 - s2)``: the preference is a fixed operation on the scores, where
PRNet learns it with a trainable pair head.
"""

from torch import nn

from .backbones import build_backbone, embedding_size
from .heads import TaskHead
from .pairing import IGNORE, _sides

__all__ = ["RankNetModule", "build_ranknet", "ranknet_pairs"]


class RankNetModule(nn.Module):
    """Backbone and a score head with one preference score per target.

    Parameters
    ----------
    backbone : nn.Module
        Maps ``(N, *input_shape)`` to embeddings ``(N, d)``.
    embedding_dim : int
        ``d``.
    n_targets : int
        One score per target.
    score_hidden : int or None, default=None
        Optional hidden width of the score head.

    Notes
    -----
    ``forward(x)`` returns ``(scores, embedding)`` with ``scores`` of shape
    ``(N, n_targets)``, the layout of :class:`sk_prnet.modules.PRNetModule`'s outputs.
    """

    def __init__(self, backbone, embedding_dim, n_targets, score_hidden=None):
        super().__init__()
        self.backbone = backbone
        self.score_head = TaskHead(embedding_dim, n_targets, hidden=score_hidden)

    def forward(self, x):
        """Scores ``(N, n_targets)`` and embeddings ``(N, d)`` of a batch ``(N, *input_shape)``."""
        embedding = self.backbone(x)
        return self.score_head(embedding), embedding


def build_ranknet(spec, input_shape, n_targets, score_hidden=None, **backbone_kwargs):
    """Build a :class:`RankNetModule` around a named, class or instance backbone.

    Parameters
    ----------
    spec : {"mlp", "vgg"} or type of nn.Module or nn.Module
        See :func:`sk_prnet.modules.build_backbone`.
    input_shape : tuple of int
        Shape of one sample.
    n_targets : int
    score_hidden : int or None, default=None
    **backbone_kwargs
        Passed to the backbone's constructor.

    Returns
    -------
    module : RankNetModule
    """
    backbone = build_backbone(spec, input_shape, **backbone_kwargs)
    d = embedding_size(backbone, input_shape)
    return RankNetModule(backbone, d, n_targets, score_hidden=score_hidden)


def ranknet_pairs(scores, codes, pairing="split", counted_only=True):
    """RankNet logits and soft targets of the counted pairs of a batch.

    Parameters
    ----------
    scores : Tensor of shape (N, n_targets)
        Preference scores of the batch.
    codes : LongTensor of shape (N_a, N_b, n_targets)
        Relation codes from :func:`sk_prnet.modules.pair_codes` (same ``pairing``).
    pairing : {"split", "all"}, default="split"
    counted_only : bool, default=True
        ``False`` keeps every pair in ``codes``' layout ``(N_a, N_b, n_targets)`` (ignored
        pairs get target 0; give them weight 0), e.g. for a weighted loss.

    Returns
    -------
    logits : Tensor of shape (n_counted,) or (N_a, N_b, n_targets)
        ``s1 - s2``: the logit of ``P(x1 ≻ x2)``.
    targets : Tensor of shape (n_counted,) or (N_a, N_b, n_targets)
        1 for higher, 0 for lower, 1/2 for similar (RankNet's tie target).
    """
    s1, s2 = _sides(scores, pairing)
    logits = s1[:, None, :] - s2[None, :, :]
    if not counted_only:
        return logits, codes.clamp(min=0).to(logits.dtype) * 0.5
    keep = codes != IGNORE
    targets = codes[keep].to(logits.dtype) * 0.5
    return logits[keep], targets
