"""The best sentence of a result: which one, and what it costs."""

from __future__ import annotations

import numpy as np

from core.search.snippets import SentenceCache, best_sentences


def _encoder(calls: list[list[str]]):
    """A stand-in encoder: a sentence's vector says whether it mentions compost."""
    def encode(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.array([[1.0, 0.0] if "compost" in t else [0.0, 1.0] for t in texts], np.float32)
    return encode


def test_one_sentence_passages_need_no_encoding_and_long_ones_pick_by_meaning():
    calls: list[list[str]] = []
    table_row = "Vienna | Austria | EUR"
    paragraph = "Kitchen scraps go in the bin. The compost heap needs air. Water it weekly."
    single = "A compost heap turns scraps into soil within a year."
    items = [(1, table_row), (2, paragraph), (3, single)]
    query = np.array([1.0, 0.0], np.float32)
    cache = SentenceCache()
    spans = best_sentences(items, query, _encoder(calls), model_id=1, cache=cache)
    assert spans[1] == (0, len(table_row)) and spans[3] == (0, len(single))
    s, e = spans[2]
    assert paragraph[s:e] == "The compost heap needs air."
    # only the passage of several sentences was encoded, in one batch
    assert calls == [["Kitchen scraps go in the bin.", "The compost heap needs air.", "Water it weekly."]]
    # a second list with the same passages costs nothing
    again = best_sentences(items, query, _encoder(calls), model_id=1, cache=cache)
    assert again == spans and len(calls) == 1
