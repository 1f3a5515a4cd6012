"""From vectors to stored pairs and clusters: the work behind Miner.mine_duplicates (mining.py).

Passages with the same normalized text form a group and are compared once, through the
group's first passage: exact copies are found by hash alone, and a clause pasted into a
hundred documents does not fill every neighbour list with its own copies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from typing import Any

import numpy as np

from core.dupes.types import EXACT, NEAR, RELATED

EXACT_ALL_PAIRS = 12   # a group up to this size lists every pair; larger ones a spanning star


class Members:
    """Rows of each group, as views into one sorted array (no list of 100k small arrays:
    building that took 0.3 s of each incremental mining at 100k passages)."""

    def __init__(self, sorter: np.ndarray, offsets: np.ndarray) -> None:
        self.sorter = sorter
        self.offsets = offsets
        self.sizes = np.diff(offsets)

    def __len__(self) -> int:
        return self.sizes.size

    def __getitem__(self, g: int) -> np.ndarray:
        return self.sorter[self.offsets[g] : self.offsets[g + 1]]


class RepVectors:
    """Group vectors by group index, read from the rows' vectors when asked (float32)."""

    def __init__(self, vectors: np.ndarray, rep_rows: np.ndarray) -> None:
        self.vectors = vectors
        self.rep_rows = rep_rows
        self.shape = (rep_rows.size, vectors.shape[1] if vectors.ndim == 2 else 0)

    def __getitem__(self, groups: Any) -> np.ndarray:
        return self.vectors[self.rep_rows[groups]].astype(np.float32, copy=False)


@dataclass
class Corpus:
    """Every passage with a vector under one model, in the same row order everywhere."""

    ids: np.ndarray            # chunk ids, int64 [n]
    docs: np.ndarray           # document ids [n]
    starts: np.ndarray         # char_start [n]
    ends: np.ndarray           # char_end [n]
    vectors: np.ndarray        # float32 [n, d], normalized
    group: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [n]
    rep_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [groups]
    members: Members = field(default_factory=lambda: Members(np.zeros(0, np.int64), np.zeros(1, np.int64)))

    @classmethod
    def build(cls, ids: np.ndarray, docs: np.ndarray, starts: np.ndarray, ends: np.ndarray,
              texts: list[str] | np.ndarray, vectors: np.ndarray) -> Corpus:
        """``texts``: each passage's normalized-text hash, or a whole number standing for it."""
        keys = np.asarray(texts) if len(texts) else np.zeros(0, np.int64)
        if keys.dtype.kind not in "iu":
            keys = keys.astype(str)
        if ids.size and not bool(np.all(ids[1:] > ids[:-1])):   # the store gives them sorted: no copy
            order = np.argsort(ids, kind="stable")
            ids, docs, starts, ends, vectors = ids[order], docs[order], starts[order], ends[order], vectors[order]
            keys = keys[order]
        _, first, group = np.unique(keys, return_index=True, return_inverse=True)
        # Renumber groups by their first row so the representative is the lowest id.
        renum = np.empty(first.size, np.int64)
        renum[np.argsort(first, kind="stable")] = np.arange(first.size)
        group = renum[group.reshape(-1)]
        rep_rows = np.sort(first).astype(np.int64)
        sorter = np.argsort(group, kind="stable")
        offsets = np.concatenate(([0], np.cumsum(np.bincount(group, minlength=first.size)))).astype(np.int64)
        return cls(ids, docs, starts, ends, vectors, group, rep_rows, Members(sorter, offsets))

    @cached_property
    def rep_vectors(self) -> np.ndarray:
        """One float32 vector per group (its first passage's); computed once per corpus."""
        return self.vectors[self.rep_rows].astype(np.float32, copy=False)

    @property
    def reps(self) -> RepVectors:
        """The same, read on demand (no copy of every vector)."""
        return RepVectors(self.vectors, self.rep_rows)

    def allowed(self, r1: int, r2: int, same_document: bool) -> bool:
        """May rows r1 and r2 pair up? Never with itself; inside one document only when
        asked, and never when the two chunks overlap."""
        if r1 == r2:
            return False
        if self.docs[r1] != self.docs[r2]:
            return True
        if not same_document:
            return False
        return self.ends[r1] <= self.starts[r2] or self.ends[r2] <= self.starts[r1]


def exact_pairs(corpus: Corpus, groups: np.ndarray, same_document: bool) -> list[tuple[int, int]]:
    """Row pairs linking the members of each group with the same normalized text.

    Small groups list every allowed pair; large ones link each member to a hub (and the
    hub's own document to a second hub), which keeps them connected at linear cost."""
    out: list[tuple[int, int]] = []
    for g in groups:
        rows = corpus.members[int(g)]
        if rows.size < 2:
            continue
        if rows.size <= EXACT_ALL_PAIRS:
            out.extend((int(a), int(b)) for a, b in combinations(rows, 2)
                       if corpus.allowed(a, b, same_document))
            continue
        hub = int(rows[0])
        others = [int(r) for r in rows[1:]]
        linked = [r for r in others if corpus.allowed(hub, r, same_document)]
        out.extend((hub, r) for r in linked)
        left = [r for r in others if r not in set(linked)]
        hub2 = next((r for r in linked if corpus.docs[r] != corpus.docs[hub]), None)
        if hub2 is not None:
            out.extend((hub2, r) for r in left if corpus.allowed(hub2, r, same_document))
    return out


def group_pairs_to_rows(
    corpus: Corpus, gi: np.ndarray, gj: np.ndarray, same_document: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each group pair, the row pair that stands for it (or none if no pair of their
    members may pair up). Returns (index into gi, row a, row b)."""
    ra, rb = corpus.rep_rows[gi], corpus.rep_rows[gj]
    sizes = corpus.members.sizes
    single = (sizes[gi] == 1) & (sizes[gj] == 1) if gi.size else np.zeros(0, bool)
    ok = np.zeros(gi.size, dtype=bool)
    rows_a, rows_b = ra.copy(), rb.copy()
    diff_doc = corpus.docs[ra] != corpus.docs[rb]
    ok[single & diff_doc] = True
    for k in np.flatnonzero(~(single & diff_doc)):
        found = _first_allowed(corpus, int(gi[k]), int(gj[k]), same_document)
        if found is not None:
            ok[k] = True
            rows_a[k], rows_b[k] = found
    idx = np.flatnonzero(ok)
    return idx, rows_a[idx], rows_b[idx]


def _first_allowed(corpus: Corpus, g1: int, g2: int, same_document: bool) -> tuple[int, int] | None:
    for a in corpus.members[g1]:
        for b in corpus.members[g2]:
            if corpus.allowed(int(a), int(b), same_document):
                return int(a), int(b)
    return None


# A near duplicate must also share words with its pair: the share of the shorter
# passage's distinct words found in the other. Measured on the shared test documents
# (pdf_real + docx/valid): pairs of real copies or rewordings above the near cosine share
# 0.74 or more (5th percentile), while unrelated Russian, Arabic and Persian paragraphs,
# which an English model puts close together, share 0.14 or less (95th percentile); MRPC
# paraphrases share 0.43 or more (1st percentile). Below this a pair is only "related".
NEAR_MIN_OVERLAP = 0.3
_WORD = re.compile(r"\w+")


def word_set(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def word_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller word set found in the other (1.0 when either is empty)."""
    if not a or not b:
        return 1.0
    return len(a & b) / min(len(a), len(b))


def classify(cosine: np.ndarray, overlap: np.ndarray, near: float) -> np.ndarray:
    return np.where((cosine >= near) & (overlap >= NEAR_MIN_OVERLAP), NEAR, RELATED)


def kind_rank(kind: str) -> int:
    return {EXACT: 0, NEAR: 1, RELATED: 2}[kind]
