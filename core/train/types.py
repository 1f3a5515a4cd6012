"""Plain data of the training part: labels, import reports, plans, progress, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAIR_BINARY = "pair_binary"
PAIR_SCORE = "pair_score"
TRIPLET = "triplet"
POSITIVE_PAIR = "positive_pair"
LABEL_KINDS = (PAIR_BINARY, PAIR_SCORE, TRIPLET, POSITIVE_PAIR)
LABEL_SOURCES = ("window", "import", "dupes")


@dataclass
class LabelInfo:
    id: int
    kind: str
    sentence1: str
    sentence2: str
    sentence3: str | None = None
    label: float | None = None       # 0/1 for binary, 0-1 for scores, None otherwise
    scale: float | None = None       # the scale scores were given on (1 or 5)
    chunk1: int | None = None
    chunk2: int | None = None
    query: str | None = None
    source: str = "window"
    created_at: float = 0.0

    @property
    def original_label(self) -> float | None:
        """The label as it was given (a score on its own scale)."""
        if self.label is None:
            return None
        return self.label * (self.scale or 1.0)


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    path: str
    kind: str | None = None          # the file's kind of labels
    scale: float | None = None       # for scores: 1 or 5
    rows: int = 0                    # data rows read (blank lines not counted)
    imported: int = 0                # new labels
    updated: int = 0                 # labels already there (same texts): label refreshed
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Example:
    """One training or evaluation item made from a label."""

    label_id: int | None
    kind: str
    texts: tuple[str, ...]
    label: float | None = None


@dataclass
class TrainPlan:
    loss: str
    reason: str
    counts: dict[str, int]           # labels per kind in the library
    used: dict[str, int]             # labels per kind the loss trains on
    unused: dict[str, int]           # labels per kind the loss cannot use
    minimum: int = 0                 # labels below which the held-out measure means little
    advice: list[str] = field(default_factory=list)   # what to label next, in words

    @property
    def enough(self) -> bool:
        return sum(self.used.values()) >= self.minimum


@dataclass
class TrainProgress:
    phase: str                       # preparing | evaluating_before | training | evaluating_after | saving | done
    step: int = 0
    total: int = 0
    loss: float | None = None
    eta_s: float | None = None
    epoch: int = 0
    message: str | None = None
    fraction: float | None = None    # of the whole run (measuring, training, measuring again)


@dataclass
class TrainResult:
    model_id: int
    name: str
    path: str
    loss: str
    loss_reason: str
    before: dict[str, dict[str, float]]
    after: dict[str, dict[str, float]]
    forgetting: dict[str, Any] | None
    held_out_ids: list[int]
    warnings: list[str]
    seconds: float
    report: dict[str, Any]
