"""Torch building blocks of PRNet (no scikit-learn here): backbones, heads, pairing, loss."""

from .augment import PAPER_AUGMENT, BatchAugment, make_augment
from .backbones import BACKBONES, MLPBackbone, VGGBackbone, build_backbone, embedding_size
from .heads import PairHead, TaskHead
from .pairing import IGNORE, PAIRINGS, pair_codes, pair_logits, ranking_loss, relation_codes
from .prnet import PRNetModule, build_prnet
from .ranknet import RankNetModule, build_ranknet, ranknet_pairs

__all__ = [
    "PAPER_AUGMENT",
    "BatchAugment",
    "make_augment",
    "BACKBONES",
    "MLPBackbone",
    "VGGBackbone",
    "build_backbone",
    "embedding_size",
    "PairHead",
    "TaskHead",
    "IGNORE",
    "PAIRINGS",
    "pair_codes",
    "pair_logits",
    "ranking_loss",
    "relation_codes",
    "PRNetModule",
    "build_prnet",
    "RankNetModule",
    "build_ranknet",
    "ranknet_pairs",
]
