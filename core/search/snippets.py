"""What makes a result explain itself: the best-matching sentence and the query words.

The best sentence is found by encoding the passage's sentences with the query's encoder
and taking the one closest to the query vector. Sentence vectors are cached per
(model, chunk) so a passage shown again costs nothing. ``by_words`` is the cheap one that
comes with a result list in the window (the sentence with the most query words, no
encoding); ``best_sentences`` can take it for passages with query words (``words``) and
encode at most ``max_encoded`` sentences for the others.
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


def by_words(text: str, words: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The sentence holding the most distinct query words (then the most of them), or
    None when no sentence holds one."""
    if not words:
        return None
    best, best_key = None, (0, 0)
    for s, e in split_sentences(text):
        inside = [text[a:b].lower() for a, b in words if s <= a and b <= e]
        key = (len({stem(w) for w in inside}), len(inside))
        if key > best_key:
            best, best_key = (s, e), key
    return best


def best_sentences(
    items: list[tuple[int, str]],
    query_vec: np.ndarray,
    encode: Callable[[list[str]], np.ndarray],
    model_id: int,
    cache: SentenceCache,
    words: dict[int, list[tuple[int, int]]] | None = None,
    max_encoded: int | None = None,
) -> dict[int, tuple[int, int] | None]:
    """For each (chunk id, text): the span of its best sentence. With ``words`` (query
    word spans per chunk), a passage with query words takes the sentence with the most
    of them; the others take the sentence closest to ``query_vec``, encoding at most
    ``max_encoded`` sentences not cached yet (in one batch; passages past the budget
    show their start)."""
    out: dict[int, tuple[int, int] | None] = {}
    if words is not None:
        rest = []
        for cid, text in items:
            span = by_words(text, words.get(cid) or [])
            if span is not None:
                out[cid] = span
            else:
                rest.append((cid, text))
        items = rest
    # A passage of one sentence (most paragraphs, every table row) is its own best
    # sentence: nothing to encode.
    sentences: dict[int, list[tuple[int, int]]] = {}
    for cid, text in items:
        spans = split_sentences(text)
        if len(spans) > 1:
            sentences[cid] = spans
        else:
            out[cid] = spans[0] if spans else None
    items = [(cid, text) for cid, text in items if cid in sentences]
    todo: dict[int, list[tuple[int, int]]] = {}
    budget = max_encoded if max_encoded is not None else 1 << 30
    for cid, _text in items:
        if cache.get((model_id, cid)) is None:
            spans = _limit(sentences[cid])
            if len(spans) > budget:
                continue
            budget -= len(spans)
            todo[cid] = spans
    if todo:
        texts = dict(items)
        flat = [(cid, s) for cid, spans in todo.items() for s in spans]
        mat = encode([texts[cid][s:e] for cid, (s, e) in flat]) if flat else np.zeros((0, 0))
        at = 0
        for cid, spans in todo.items():
            cache.put((model_id, cid), (spans, np.asarray(mat[at : at + len(spans)], np.float32)))
            at += len(spans)
    q = query_vec / (np.linalg.norm(query_vec) or 1.0)
    for cid, text in items:
        cached = cache.get((model_id, cid))
        if cached is None:          # past the list's encoding budget: no best sentence
            out[cid] = None
            continue
        spans, vecs = cached
        norms = np.linalg.norm(vecs, axis=1)
        norms[norms == 0] = 1.0
        best = int(np.argmax((vecs @ q) / norms))
        s, e = spans[best]
        out[cid] = (max(0, s), min(len(text), e))
    return out
