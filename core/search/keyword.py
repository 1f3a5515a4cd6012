"""Keyword search: FTS5 BM25 over chunk text, with user text made safe.

What a person types is never run as FTS syntax: each whitespace-separated token becomes
an FTS string (double quotes doubled inside), tokens with no letter or digit are
dropped, and the strings are joined with OR so that BM25 ranks passages by how many and
how rare the words they share are (the usual behaviour of keyword search engines; an
implicit AND would return nothing for most natural-language questions). Very common
English words are left out of the OR unless the query has nothing else, because they
match nearly every passage and only cost time.

The cost of an FTS5 query is BM25 scoring every matching row, so a query word found in
a large share of the library (say "patients" in a medical one) makes every query that
contains it slow. Words in more than COMMON_SHARE of the rows are therefore not used to
find rows when the query has rarer ones, only to score them (as Lucene's common-terms
query does): one query takes the rows with a rare word, a second the rows with a rare
word and a common one, and both BM25 scores are exact (see keyword_search). Whether a
word is common is estimated by counting its rows up to the threshold (a bounded cost)
and cached; a token of several parts (``covid-19``) is common when all its parts are.
On SciFact with the split forced on, nDCG@10 was unchanged (keyword 68.97 against
68.88, hybrid 72.14 against 72.02) at a share of 0.05, and fell at 0.02 (67.66 and
71.22); at 100k passages a keyword query took 20 ms instead of 66 (p50).

``advanced=True`` passes the text as FTS5 syntax (AND, OR, NOT, NEAR, "phrases",
prefix*, column filters); a syntax error becomes an InvalidInputError.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from typing import Any

import apsw

from core.errors import InvalidInputError
from core.store.rows import one_row

WORD_RE = re.compile(r"\w", re.UNICODE)
MAX_QUERY_TOKENS = 64

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves""".split()
)


COMMON_SHARE = 0.05       # a word in more than this share of rows is "common"
COMMON_MIN_ROWS = 2000    # below this many matching rows a word is never common
PART_RE = re.compile(r"\w+", re.UNICODE)


class TermStats:
    """Which query words are common in the library, estimated cheaply and cached.

    The cache is dropped when the number of passages has moved by more than a tenth
    since it was filled, or after ``ttl`` seconds."""

    def __init__(self, ttl: float = 600.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._common: dict[str, bool] = {}
        self._rows = 0
        self._since = 0.0

    def threshold(self, conn: apsw.Connection) -> int:
        """Rows from which a word is common; read once per query."""
        # max(id) is one index step; ids are not reused, so after deletions it
        # overstates the count, which only makes fewer words common.
        rows = int(one_row(conn.execute("SELECT coalesce(max(id), 0) FROM chunks"))[0])
        now = time.monotonic()
        with self._lock:
            if now - self._since > self.ttl or abs(rows - self._rows) > self._rows / 10:
                self._common.clear()
                self._rows = rows
                self._since = now
            return max(COMMON_MIN_ROWS, int(self._rows * COMMON_SHARE))

    def common(self, conn: apsw.Connection, token: str, limit: int | None = None) -> bool:
        """Whether every part of ``token`` is found in at least ``limit`` rows (by
        default the threshold)."""
        parts = PART_RE.findall(token.lower())
        if not parts:
            return False
        if limit is None:
            limit = self.threshold(conn)
        for part in dict.fromkeys(parts):
            with self._lock:
                known = self._common.get(part)
            if known is None:
                sql = "SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)"
                try:
                    found = int(one_row(conn.execute(sql, ('"' + part + '"', limit)))[0])
                except apsw.SQLError:
                    found = 0
                known = found >= limit
                with self._lock:
                    self._common[part] = known
            if not known:
                return False
        return True


def clean_text(text: str) -> str:
    """Drop control characters (NUL included) and normalize Unicode (NFKC)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)


def _quote(tokens: list[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def query_words(
    text: str, conn: apsw.Connection | None = None, stats: TermStats | None = None
) -> tuple[list[str], list[str]]:
    """The words of ``text`` to search, split into (rare, common). Without ``conn`` and
    ``stats``, or when every word is common, all are in the first list."""
    tokens = [t for t in clean_text(text).split() if WORD_RE.search(t)]
    content = [t for t in tokens if t.lower() not in STOPWORDS] or tokens
    seen: set[str] = set()
    unique = []
    for t in content:
        if t.lower() not in seen:
            seen.add(t.lower())
            unique.append(t)
    unique = unique[:MAX_QUERY_TOKENS]
    if conn is None or stats is None or len(unique) < 2:
        return unique, []
    limit = stats.threshold(conn)
    flags = [stats.common(conn, t, limit) for t in unique]
    rare = [t for t, c in zip(unique, flags, strict=True) if not c]
    if not rare:
        return unique, []
    return rare, [t for t, c in zip(unique, flags, strict=True) if c]


def safe_match_query(
    text: str, conn: apsw.Connection | None = None, stats: TermStats | None = None
) -> str | None:
    """An FTS5 MATCH expression that searches the words of ``text`` literally, or None
    when the text has no searchable word. With ``conn`` and ``stats``, only the words
    not common in the library when there are such."""
    rare, _ = query_words(text, conn, stats)
    return _quote(rare) if rare else None


def keyword_search(
    conn: apsw.Connection,
    text: str,
    limit: int,
    advanced: bool = False,
    where_sql: str = "",
    where_params: tuple = (),
    stats: TermStats | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, BM25 score, higher is better) best first. ``where_sql`` is an extra
    SQL condition on ``c`` (chunks) and ``d`` (documents) for filters.

    With ``stats``, a query that has both rare and common words is answered by two
    cheap queries instead of one costly one: the rows with a rare word (their BM25 is
    exact when they have no common word), and the rows with a rare word and a common
    one (scored on every word, so exact). The second score replaces the first where
    both exist. Rows that share only common words with the query are not returned."""
    if limit <= 0:
        return []
    if advanced:
        expr = clean_text(text).strip()
        return _run(conn, expr, limit, where_sql, where_params, text) if expr else []
    rare, common = query_words(text, conn, stats)
    if not rare:
        return []
    hits = dict(_run(conn, _quote(rare), limit, where_sql, where_params))
    # A common token of several parts ("1-1%") is a phrase over frequent words: slow to
    # match and of little weight. It is left out of the scoring query.
    common = [t for t in common if len(PART_RE.findall(t)) == 1]
    if common:
        both = f"({_quote(rare)}) AND ({_quote(common)})"
        hits.update(_run(conn, both, limit, where_sql, where_params))
    return sorted(hits.items(), key=lambda h: -h[1])[:limit]


def _run(
    conn: apsw.Connection, expr: str, limit: int, where_sql: str, where_params: tuple,
    advanced_text: str | None = None,
) -> list[tuple[int, float]]:
    if where_sql:
        sql = (
            "SELECT f.rowid, bm25(chunks_fts, 1.0, 0.5) AS s FROM chunks_fts f "
            "JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id "
            f"WHERE chunks_fts MATCH ? AND {where_sql} ORDER BY s LIMIT ?"
        )
    else:
        # Without a filter the FTS table alone answers: the joins cost two lookups per
        # matching row before the sort (88 ms -> 42 ms for a 5-word query at 100k).
        sql = ("SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS s FROM chunks_fts "
               "WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?")
    try:
        rows: list[tuple[Any, ...]] = conn.execute(sql, (expr, *where_params, int(limit))).fetchall()
    except apsw.SQLError as exc:
        if advanced_text is None:  # cannot happen with quoted strings; keep the promise anyway
            return []
        raise InvalidInputError(f"not a valid search expression: {advanced_text!r} ({exc})") from exc
    return [(int(cid), -float(score)) for cid, score in rows]
