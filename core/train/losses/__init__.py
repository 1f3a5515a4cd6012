"""The training losses, one per file, and how the loss is chosen from the labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import TrainingError
from core.train.types import PAIR_BINARY, PAIR_SCORE, POSITIVE_PAIR, TRIPLET, Example

if TYPE_CHECKING:
    from core.train.losses.base import PairLoss

LOSS_NAMES = ("contrastive", "cosent", "cosine", "softmax", "triplet", "mnrl")
_ALIASES = {
    "online-contrastive": "contrastive", "online_contrastive": "contrastive",
    "multiple-negatives": "mnrl", "multiple_negatives": "mnrl", "mnr": "mnrl",
    "cosine-similarity": "cosine", "mse": "cosine", "classification": "softmax",
}
LOSS_DESCRIPTIONS = {
    "contrastive": "online contrastive (hard pairs of each batch, cosine distance, margin 0.5)",
    "cosent": "CoSENT (ranks the pairs of each batch by their labels)",
    "cosine": "cosine-similarity regression (MSE between cosine and score)",
    "softmax": "softmax classification over (u, v, |u-v|)",
    "triplet": "triplet with a margin (euclidean distance, margin 5)",
    "mnrl": "multiple-negatives ranking (in-batch negatives, scale 20)",
}
# The loss classes need torch (the training add-on in a packaged app): they are imported
# when a loss is made, never to plan a run or count the labels a loss can use.
_CLASSES: dict[str, tuple[str, str]] = {
    "contrastive": ("contrastive", "OnlineContrastiveLoss"), "cosent": ("cosent", "CoSENTLoss"),
    "cosine": ("cosine", "CosineSimilarityLoss"), "softmax": ("softmax", "SoftmaxLoss"),
    "triplet": ("triplet", "TripletLoss"), "mnrl": ("mnrl", "MultipleNegativesRankingLoss"),
}
# The label kinds each loss trains on (each class's ``kinds``; a test keeps them equal).
_KINDS: dict[str, tuple[str, ...]] = {
    "contrastive": (PAIR_BINARY,), "cosent": (PAIR_SCORE, PAIR_BINARY), "cosine": (PAIR_SCORE, PAIR_BINARY),
    "softmax": (PAIR_BINARY,), "triplet": (TRIPLET,), "mnrl": (POSITIVE_PAIR, TRIPLET, PAIR_BINARY),
}
_NAMES = {cls: (module, cls) for module, cls in _CLASSES.values()} | {"PairLoss": ("base", "PairLoss")}


def __getattr__(name: str) -> Any:
    found = _NAMES.get(name)
    if found is None:
        raise AttributeError(f"module 'core.train.losses' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"core.train.losses.{found[0]}"), found[1])


def loss_class(name: str) -> type[PairLoss]:
    module, cls = _CLASSES[canonical_loss(name)]
    return __getattr__(cls)


def canonical_loss(name: str) -> str:
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in LOSS_NAMES:
        raise TrainingError(f"unknown loss {name!r}; choose one of {', '.join(LOSS_NAMES)}")
    return key


def make_loss(name: str, dim: int) -> PairLoss:
    key = canonical_loss(name)
    cls: Any = loss_class(key)
    return cls(dim) if key == "softmax" else cls()


def loss_kinds(name: str) -> tuple[str, ...]:
    return _KINDS[canonical_loss(name)]


def usable(name: str, example: Example) -> Example | None:
    """The example as the loss trains on it, or None when the loss cannot use it."""
    key = canonical_loss(name)
    if example.kind not in loss_kinds(key):
        return None
    if key == "mnrl" and example.kind == PAIR_BINARY:
        if (example.label or 0.0) < 0.5:
            return None
        return Example(example.label_id, POSITIVE_PAIR, example.texts[:2], None)
    return example


def choose_loss(counts: dict[str, int]) -> tuple[str, str]:
    """The loss for the labels present, and the reason, in words."""
    binary, score = counts.get(PAIR_BINARY, 0), counts.get(PAIR_SCORE, 0)
    triplet, positive = counts.get(TRIPLET, 0), counts.get(POSITIVE_PAIR, 0)
    pairs, ranked = binary + score, triplet + positive
    if not pairs and not ranked:
        raise TrainingError("there are no labels to train on; label some pairs or import a file")
    if pairs >= ranked:
        if score and binary:
            return "cosent", (f"{score} scored and {binary} binary pairs: CoSENT uses both, "
                              "ranking pairs by their labels")
        if score:
            return "cosent", f"{score} scored pairs: CoSENT learns the order of the scores"
        return "contrastive", (f"{binary} binary pairs (similar / not similar): online contrastive "
                               "learns from the hard pairs of each batch")
    if triplet and positive:
        return "mnrl", (f"{triplet} triplets and {positive} positive pairs: multiple-negatives "
                        "ranking uses both (other pairs of a batch, and the triplets' negatives)")
    if triplet:
        return "triplet", f"{triplet} triplets (anchor, positive, negative): triplet loss with a margin"
    return "mnrl", (f"{positive} positive pairs without negatives: multiple-negatives ranking "
                    "takes the other pairs of each batch as negatives")


__all__ = [
    "LOSS_NAMES", "LOSS_DESCRIPTIONS", "PairLoss", "canonical_loss", "choose_loss", "make_loss",
    "loss_class", "loss_kinds", "usable", "SoftmaxLoss", "CosineSimilarityLoss", "TripletLoss", "CoSENTLoss",
    "OnlineContrastiveLoss", "MultipleNegativesRankingLoss",
]
