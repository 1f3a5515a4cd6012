"""Plain data of similar-paragraph discovery, passed to the window and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

EXACT = "exact"
NEAR = "near"
RELATED = "related"
KINDS = (EXACT, NEAR, RELATED)

IGNORE = "ignore"
CONFIRMED = "confirmed"
REJECTED = "rejected"
DECISIONS = (IGNORE, CONFIRMED, REJECTED)


@dataclass
class PassageRef:
    """One side of a pair or one member of a cluster."""

    chunk_id: int
    document_id: int
    path: str
    title: str | None
    page_start: int | None
    page_end: int | None
    text: str
    char_start: int = 0
    char_end: int = 0
    cosine: float | None = None      # in a cluster: similarity to the representative

    @property
    def where(self) -> str:
        """path:page (or just the path when the document has no pages)."""
        return f"{self.path}:{self.page_start}" if self.page_start else self.path


@dataclass
class DuplicatePair:
    id: int
    kind: str                        # exact | near | related
    cosine: float
    a: PassageRef
    b: PassageRef
    decision: str | None = None      # ignore | confirmed | rejected | None


@dataclass
class DuplicateCluster:
    id: int
    kind: str                        # exact (one text) | near
    size: int                        # member passages
    score: float                     # mean similarity of the members to the representative
    representative: PassageRef
    members: list[PassageRef] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)
    decision: str | None = None

    @property
    def documents(self) -> int:
        return len(self.document_ids)


@dataclass
class DiffOp:
    """One step of a word-level difference between passage a and passage b.

    ``op`` is equal | insert | delete | replace; spans are character offsets into each
    passage's text (empty span (n, n) on the side a word is missing from)."""

    op: str
    a_text: str
    b_text: str
    a_span: tuple[int, int]
    b_span: tuple[int, int]


@dataclass
class MiningProgress:
    phase: str                       # loading | exact | mining | clustering | done
    done: int = 0
    total: int = 0
    message: str | None = None


@dataclass
class MiningReport:
    model_id: int
    passages: int = 0                # passages with a vector under the model
    mined: int = 0                   # passages whose neighbours were computed in this run
    full: bool = False
    by_cells: bool = False           # compared cell by cell (core/dupes/cell_mine.py), not all with all
    pairs_exact: int = 0
    pairs_near: int = 0
    pairs_related: int = 0
    clusters: int = 0
    near_threshold: float = 0.0
    related_threshold: float = 0.0
    seconds: float = 0.0
    cancelled: bool = False
