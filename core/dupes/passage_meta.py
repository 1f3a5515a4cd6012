"""What mining needs to know of each passage besides its vector, kept between minings.

Each mining lines every passage up with its document, its place in it and its normalized
text (core/dupes/engine.py Corpus). Reading that for the whole library each time cost
seconds at a million passages (a million rows into a dict, a million hash strings sorted),
which a new document's mining cannot afford; so the rows read are kept here, by chunk id,
and only passages not seen yet are read. A chunk's row never changes while it lives; the
Miner forgets the ids the vector log reports as written again or deleted.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from core.dupes.normalize import TRIVIAL
from core.index.stage_costs import text_code as hash_code


def text_code(norm_hash: str) -> int:
    """A whole number standing for a normalized-text hash (its first 60 bits: two texts share
    one by chance about once in 10^18 pairs), -1 for a trivial paragraph. A dict from hash to
    number held about 450 MB at a million passages."""
    return -1 if norm_hash == TRIVIAL else hash_code(norm_hash)


class PassageMeta:
    """chunk id -> (document, char_start, char_end, normalized-text code), as sorted arrays."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self.rows = np.zeros((0, 4), np.int64)      # document, start, end, text code (-1: trivial)

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    def forget(self, chunk_ids: list[int]) -> None:
        if chunk_ids and self.ids.size:
            keep = ~np.isin(self.ids, np.asarray(chunk_ids, np.int64))
            self.ids, self.rows = self.ids[keep], self.rows[keep]

    def aligned(self, store: Any, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, rows) for these chunk ids: whether each has a row, and the rows."""
        missing = ids[~np.isin(ids, self.ids)] if self.ids.size else ids
        if missing.size:
            self._read(store, missing)
        pos = np.clip(np.searchsorted(self.ids, ids), 0, max(self.ids.size - 1, 0))
        found = (self.ids[pos] == ids) if self.ids.size else np.zeros(ids.size, bool)
        rows = self.rows[pos] if self.ids.size else np.zeros((ids.size, 4), np.int64)
        return found, rows

    def _read(self, store: Any, chunk_ids: np.ndarray) -> None:
        id_parts: list[np.ndarray] = []
        row_parts: list[np.ndarray] = []
        ids = chunk_ids.tolist()
        for s in range(0, len(ids), 50_000):
            got = [(int(cid), int(doc), int(start), int(end), text_code(h)) for cid, doc, start, end, h in store.query(
                "SELECT c.id, c.document_id, c.char_start, c.char_end, n.norm_hash FROM json_each(?) j "
                "JOIN chunks c ON c.id = j.value JOIN dupes_norm n ON n.chunk_id = c.id",
                (json.dumps(ids[s : s + 50_000]),),
            )]
            if got:
                block = np.asarray(got, np.int64).reshape(-1, 5)
                id_parts.append(block[:, 0].copy())
                row_parts.append(block[:, 1:].copy())
        if not id_parts:
            return
        add_ids = np.concatenate(id_parts)
        add_rows = np.concatenate(row_parts)
        order = np.argsort(add_ids, kind="stable")
        add_ids, add_rows = add_ids[order], add_rows[order]
        self.ids = np.concatenate([self.ids, add_ids])
        self.rows = np.concatenate([self.rows, add_rows])
        if self.ids.size > add_ids.size and add_ids[0] < self.ids[-add_ids.size - 1]:
            order = np.argsort(self.ids, kind="stable")     # new ids among old ones: sort again
            self.ids, self.rows = self.ids[order], self.rows[order]
