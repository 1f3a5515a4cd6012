"""Similar-paragraph discovery: exact, near and related passage pairs and clusters."""

from core.dupes.types import (
    CONFIRMED,
    DECISIONS,
    EXACT,
    IGNORE,
    KINDS,
    NEAR,
    REJECTED,
    RELATED,
    DiffOp,
    DuplicateCluster,
    DuplicatePair,
    MiningProgress,
    MiningReport,
    PassageRef,
)

__all__ = [
    "CONFIRMED", "DECISIONS", "EXACT", "IGNORE", "KINDS", "NEAR", "REJECTED", "RELATED",
    "DiffOp", "DuplicateCluster", "DuplicatePair", "MiningProgress", "MiningReport", "PassageRef",
]
