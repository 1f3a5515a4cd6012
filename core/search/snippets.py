"""What makes a result explain itself: the best-matching sentence and the query words.

The best sentence is found by encoding the passage's sentences with the query's encoder
and taking the one closest to the query vector. Sentence vectors are cached per
(model, chunk) so a passage shown again costs nothing.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import apsw
import numpy as np

from core.search.keyword import STOPWORDS, clean_text
from core.text import split_sentences

WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_SENTENCES = 24           # per passage, the longest are kept when there are more
SENTENCE_CACHE = 4096        # passages whose sentence vectors are kept


# The keyword index's tokenizer (migration 0001, chunks_fts): highlighting uses the same one,
# through SQLite's own FTS5, so a word is marked exactly when FTS5 would match it
# ("news" and "New" both stem to "new" there, so both are marked; "running" marks "runs").
FTS_TOKENIZER = ("porter", ["unicode61", "remove_diacritics", "2"])
_LOCAL = threading.local()


def _tokenizer():
    tok = getattr(_LOCAL, "tokenizer", None)
    if tok is None:
        _LOCAL.conn = apsw.Connection(":memory:")     # tokenizers are per connection and thread
        tok = _LOCAL.tokenizer = _LOCAL.conn.fts5_tokenizer(*FTS_TOKENIZER)
    return tok


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) of each word of ``text`` as FTS5 indexes it; offsets in characters."""
    data = text.encode("utf-8", "surrogatepass")
    found = _tokenizer()(data, apsw.FTS5_TOKENIZE_DOCUMENT, None, include_offsets=True,
                         include_colocated=False)
    if len(data) == len(text):
        return [(s, e, t) for s, e, t in found]
    chars = [0] * (len(data) + 1)       # byte offset -> character offset
    at = 0
    for i, ch in enumerate(text):
        n = len(ch.encode("utf-8", "surrogatepass"))
        for b in range(at, at + n):
            chars[b] = i
        at += n
    chars[len(data)] = len(text)
    return [(chars[s], chars[e], t) for s, e, t in found]


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The word as the keyword index stores it (FTS5's porter tokenizer). Cached."""
    found = tokens(word)
    return found[0][2] if found else word.lower()


def query_terms(query: str) -> set[str]:
    words = [w for w in WORD_RE.findall(clean_text(query))]
    content = [w for w in words if w.lower() not in STOPWORDS] or words
    return {stem(w) for w in content if w}


def word_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Spans of words in ``text`` that FTS5 indexes as one of the query's terms."""
    if not terms:
        return []
    return [(s, e) for s, e, t in tokens(text) if t in terms]


class SentenceCache:
    """LRU of sentence spans and vectors per (model id, chunk id)."""

    def __init__(self, size: int = SENTENCE_CACHE) -> None:
        self.size = size
        self._data: OrderedDict[tuple[int, int], tuple[list[tuple[int, int]], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]):
        with self._lock:
            item = self._data.get(key)
            if item is not None:
                self._data.move_to_end(key)
            return item

    def put(self, key: tuple[int, int], value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _limit(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(spans) <= MAX_SENTENCES:
        return spans
    longest = sorted(spans, key=lambda s: s[1] - s[0], reverse=True)[:MAX_SENTENCES]
    return sorted(longest)


def best_sentences(
    items: list[tuple[int, str]],
    query_vec: np.ndarray,
    encode: Callable[[list[str]], np.ndarray],
    model_id: int,
    cache: SentenceCache,
) -> dict[int, tuple[int, int] | None]:
    """For each (chunk id, text): the span of its sentence closest to ``query_vec``.
    All sentences not cached yet are encoded in one batch."""
    todo: dict[int, list[tuple[int, int]]] = {}
    for cid, text in items:
        if cache.get((model_id, cid)) is None:
            todo[cid] = _limit(split_sentences(text))
    if todo:
        texts = dict(items)
        flat = [(cid, s) for cid, spans in todo.items() for s in spans]
        mat = encode([texts[cid][s:e] for cid, (s, e) in flat]) if flat else np.zeros((0, 0))
        at = 0
        for cid, spans in todo.items():
            cache.put((model_id, cid), (spans, np.asarray(mat[at : at + len(spans)], np.float32)))
            at += len(spans)
    q = query_vec / (np.linalg.norm(query_vec) or 1.0)
    out: dict[int, tuple[int, int] | None] = {}
    for cid, text in items:
        spans, vecs = cache.get((model_id, cid)) or ([], np.zeros((0, 0)))
        if not spans:
            out[cid] = (0, len(text)) if text else None
            continue
        norms = np.linalg.norm(vecs, axis=1)
        norms[norms == 0] = 1.0
        best = int(np.argmax((vecs @ q) / norms))
        s, e = spans[best]
        out[cid] = (max(0, s), min(len(text), e))
    return out
