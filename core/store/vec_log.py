"""Following the vector change log (table ``vec_log``): one follower per in-memory copy
of a model version's vectors (search's accelerator, mining's matrix).

Every write of vectors appends ``(seq, model_id, chunk_id, op)`` rows (core/store/db.py
``put_vectors`` / ``delete_vectors``). A follower remembers the last ``seq`` its copy
reflects and asks what changed since: either the chunk ids added and removed (the last
operation per chunk wins) or "reload" when the log cannot tell (never read, the log
was pruned past what it saw, or more changes than the copy is worth patching).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class VecChanges:
    upto: int                     # the seq the copy reflects once these are applied
    reload: bool = False          # read every vector of the model again instead
    added: list[int] = field(default_factory=list)     # chunk ids whose vector is new or changed
    removed: list[int] = field(default_factory=list)   # chunk ids whose vector went


def log_bounds(conn: Any) -> tuple[int, int]:
    """(lowest, highest) seq in the log, 0 when empty."""
    # Two subqueries: each uses the rowid's min/max shortcut, where one SELECT
    # MIN(seq), MAX(seq) scans the whole log (4.5 ms at 100k rows, before every search).
    row = conn.execute(
        "SELECT IFNULL((SELECT MIN(seq) FROM vec_log), 0), IFNULL((SELECT MAX(seq) FROM vec_log), 0)"
    ).fetchone()
    return int(row[0]), int(row[1])


class VecLogFollower:
    """Where one copy of ``model_id``'s vectors stands in the log."""

    def __init__(self, model_id: int) -> None:
        self.model_id = int(model_id)
        self.seq = -1                 # last seq applied; -1 = never read

    def up_to_date(self, conn: Any) -> bool:
        """The cheap check before every use: nothing was logged since."""
        return log_bounds(conn)[1] == self.seq

    def changes(self, conn: Any, max_changes: float | None = None) -> VecChanges | None:
        """What changed since the last ``advance`` (None: nothing). Read inside one
        snapshot of ``conn`` together with the vectors the caller then reads."""
        lo, hi = log_bounds(conn)
        if hi == self.seq:
            return None
        if self.seq < 0 or hi < self.seq or (lo > self.seq + 1 and lo > 1):
            return VecChanges(hi, reload=True)
        rows = conn.execute(
            "SELECT chunk_id, op FROM vec_log WHERE seq > ? AND seq <= ? AND model_id = ? ORDER BY seq",
            (self.seq, hi, self.model_id),
        ).fetchall()
        if max_changes is not None and len(rows) > max_changes:
            return VecChanges(hi, reload=True)
        last: dict[int, str] = {}
        for cid, op in rows:
            last[int(cid)] = op
        return VecChanges(hi, added=[c for c, op in last.items() if op == "add"],
                          removed=[c for c, op in last.items() if op != "add"])

    def advance(self, upto: int) -> None:
        """The copy now reflects the log up to ``upto``."""
        self.seq = upto

    def reset(self) -> None:
        self.seq = -1
