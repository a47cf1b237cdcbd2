"""Torch building blocks of PRNet (no scikit-learn here): backbones, heads, pairing, losses."""

from .augment import PAPER_AUGMENT, BatchAugment, make_augment
from .backbones import (
    BACKBONES,
    MLPBackbone,
    VGGBackbone,
    backbone_class,
    build_backbone,
    embedding_size,
    input_shape_kwargs,
    register_backbone,
)
from .heads import PairHead, TaskHead
from .losses import PairwiseRankingLoss, RankNetLoss
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
    "backbone_class",
    "build_backbone",
    "embedding_size",
    "input_shape_kwargs",
    "register_backbone",
    "PairHead",
    "TaskHead",
    "PairwiseRankingLoss",
    "RankNetLoss",
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
