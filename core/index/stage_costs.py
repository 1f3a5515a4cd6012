"""How long the second stage (vectors, core/index/meaning.py) has left: the ETA of a long
run once the encoder is calibrated (core/index/calibrate.py).

The encoder's thread does three kinds of work, and they grow with different things:
- encoding the texts no vector exists for yet ("fresh" texts), each at its own length's
  cost;
- keeping the search graph up to date (core/search/graph_keeper.py) with every vector
  written, a copy's and a known text's too;
- the rest: reading each group's texts, writing its vectors.
On bench-archive's 50,000 files, 66,043 of 694,352 passages were fresh texts, and the
graph took more of the thread than the encoding. A pace per passage mixed them: the
passages left at the end were mostly fresh, and the ETA promised 20 s for 77.

So the work left is counted in each kind's own units, exactly where it can be: the fresh
texts queued and not encoded yet are a set (a text queued twice is one; one encoded
since is gone), their cost comes from the calibration at each one's tokens; the passages
still to read bring graph work, and fresh texts as the run's own growth of distinct
texts foretells (``future_fresh``).
Each kind's pace is measured as the run goes: while the files are read (the encoder then
shares the cores, ``slowdown`` times slower than the calibration says it goes alone)
and afresh once they are.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

from core.index.calibrate import EncoderPace

RECENT_READ = 0.25       # passages still to read are like the last quarter of those read
MARK_EVERY = 500         # passages read between two marks of the shares
ALONE_BASIS_S = 2.0      # seconds of encoding alone before its own pace replaces the calibration's


def text_code(text_hash: str) -> int:
    """A whole number standing for a text hash (its first 60 bits)."""
    return int(text_hash[:15], 16)


@dataclass
class _Work:
    """What the encoder's thread did in one regime (files being read, or not)."""

    encode_s: float = 0.0
    expected_s: float = 0.0     # what the calibration says those encodings take alone
    graph_s: float = 0.0
    rest_s: float = 0.0
    passages: int = 0           # passages through the stage
    vectors: int = 0            # vectors written meanwhile, by both stages (the graph's work)


class StageCosts:
    def __init__(self, pace: EncoderPace) -> None:
        self.pace = pace
        self.pending: set[int] = set()      # fresh texts queued, not encoded yet
        self.fresh_in = 0                   # fresh texts queued in this run, and their cost alone
        self.cost_in = 0.0
        self.stage_in = 0                   # passages queued for the stage in this run
        self._marks: list[tuple[int, int, int]] = [(0, 0, 0)]   # (passages read, fresh_in, stage_in)
        self.shared = _Work()
        self.alone = _Work()

    # -- what the stages tell ---------------------------------------------------------------
    def queued(self, codes: list[int], tokens: list[int], passages_read: int) -> None:
        """A document's passages that wait for a vector (their text codes and tokens)."""
        for code, n in zip(codes, tokens, strict=True):
            if code not in self.pending:
                self.pending.add(code)
                self.fresh_in += 1
                self.cost_in += self.pace.per_text(n)
        self.stage_in += len(codes)
        if passages_read - self._marks[-1][0] >= MARK_EVERY:
            self._marks.append((passages_read, self.fresh_in, self.stage_in))

    def encoded(self, codes: list[int]) -> None:
        self.pending.difference_update(codes)

    def group(self, alone: bool, seconds: float, encode_s: float, graph_s: float, passages: int, fresh: int,
              vectors: int) -> None:
        w = self.alone if alone else self.shared
        w.encode_s += encode_s
        w.expected_s += fresh * self.mean_cost()
        w.graph_s += graph_s
        w.rest_s += max(seconds - encode_s - graph_s, 0.0)
        w.passages += passages
        w.vectors += vectors

    # -- what is left -----------------------------------------------------------------------
    def mean_cost(self) -> float:
        """Seconds alone per fresh text (those queued so far; a typical one before)."""
        return self.cost_in / self.fresh_in if self.fresh_in else self.pace.per_text(64)

    def slowdown(self) -> float | None:
        """How many times slower the encoder went while the files were read than it goes
        alone; None until measured."""
        w = self.shared
        return max(w.encode_s / w.expected_s, 1.0) if w.expected_s > 0 else None

    def _mark_at(self, passages_read: float) -> tuple[int, int, int]:
        return self._marks[max(bisect_right(self._marks, (passages_read, float("inf"), float("inf"))) - 1, 0)]

    def _stage_share(self, passages_read: int) -> float:
        """Passages queued for the stage per passage read, over the last quarter read."""
        if passages_read <= 0:
            return 1.0
        r0, _, s0 = self._mark_at(passages_read * (1 - RECENT_READ))
        read = passages_read - r0
        return (self.stage_in - s0) / read if read > 0 else self.stage_in / passages_read

    def future_fresh(self, passages_read: int, unread: float) -> float:
        """Fresh texts among the passages still to read. The more of a library was read,
        the more of what comes repeats a text already seen (drafts, templates, quoted
        mail, a folder copied whole): the passages are taken as drawn from a pool of
        distinct texts, whose size the run tells by how its count of fresh texts grew
        since half of its passages were read (doubled: no end in sight, every text new).
        A pool of P texts drawn n times shows P (1 - exp(-n / P)) of them."""
        if passages_read <= 0 or unread <= 0:
            return 0.0
        r0, f0, _ = self._mark_at(passages_read / 2)
        share = self.fresh_in / passages_read if self.fresh_in else 1.0
        if r0 <= 0 or f0 <= 0:
            return unread * share
        # grown by 1 + exp(-n/2P) between n/2 and n (the marks are near those points)
        halves = math.log(passages_read / r0) / math.log(2)
        excess = (self.fresh_in / f0) ** (1 / halves) - 1 if halves > 0 else 1.0
        if excess >= 1.0:
            return unread * share
        if excess <= 0.0:
            return 0.0
        pool = -passages_read / (2 * math.log(excess))
        seen = pool * (1 - math.exp(-passages_read / pool))
        ahead = pool * (1 - math.exp(-(passages_read + unread) / pool))
        return max(ahead - seen, 0.0) * (self.fresh_in / seen if seen > 0 else 1.0)

    def _alone_paces(self, slow: float) -> tuple[float, float, float]:
        """(calibrated-to-real factor of encoding, graph seconds per vector, rest seconds
        per passage), all with the machine to itself."""
        a, s = self.alone, self.shared
        factor = a.encode_s / a.expected_s if a.encode_s >= ALONE_BASIS_S and a.expected_s > 0 else 1.0
        if s.vectors:
            graph = s.graph_s / s.vectors / slow
        else:
            graph = a.graph_s / a.vectors if a.vectors else 0.0
        if a.passages and a.encode_s >= ALONE_BASIS_S:
            rest = a.rest_s / a.passages
        else:
            rest = s.rest_s / s.passages / slow if s.passages else 0.0
        return factor, graph, rest

    def seconds_left(self, extraction_left: float | None, words_over: bool, passages_read: int, unread: float,
                     waiting: int, backlog_fresh: int) -> float | None:
        """Seconds until every passage has its vector: the extraction left, then what the
        encoder will not have done by then at its shared pace, at its pace alone.
        ``waiting``: passages read and not written with a vector; ``backlog_fresh``: a
        stopped run's passages not encoded yet (their texts were not seen queued)."""
        slow = self.slowdown()
        if not words_over and extraction_left is None:
            return None
        if not words_over and slow is None:
            # nothing encoded yet to measure by: none queued (copies, known texts) is the
            # reading alone; some queued waits for the first group
            return extraction_left if not self.fresh_in and not backlog_fresh else None
        factor, graph, rest = self._alone_paces(slow or 1.0)
        stage_share = self._stage_share(passages_read) if not words_over else 0.0
        fresh = len(self.pending) + backlog_fresh + self.future_fresh(passages_read, unread)
        work = (fresh * self.mean_cost() * factor + (waiting + unread * stage_share) * rest
                + (waiting + unread) * graph)
        if words_over:
            return work
        assert slow is not None and extraction_left is not None
        return extraction_left + max(work - extraction_left / slow, 0.0)
