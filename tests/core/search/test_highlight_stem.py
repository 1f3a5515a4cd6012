"""Highlighting agrees with the keyword index: the query words marked in a passage are the
words FTS5 matched (core/search/snippets.py uses the index's own tokenizer)."""

from __future__ import annotations

from importlib import resources

import apsw

from core.search.snippets import FTS_TOKENIZER, query_terms, stem, tokens, word_spans

TEXT = ("News from New York: the runners were running past the generators, generally happily. "
        "Café owners connected the connections; a naïve reader's résumé. Agreed, agreement, "
        "agreeable. Universities universal university. The cats' cat-like catalogue.")


def test_the_tokenizer_is_the_index_one():
    sql = (resources.files("core.store") / "migrations" / "0001_initial.sql").read_text(encoding="utf-8")
    name, args = FTS_TOKENIZER
    assert f"tokenize = '{' '.join([name, *args])}'" in sql


def test_marked_words_are_exactly_what_fts5_matches():
    conn = apsw.Connection(":memory:")
    name, args = FTS_TOKENIZER
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize = '{' '.join([name, *args])}')")
    conn.execute("INSERT INTO t(body) VALUES (?)", (TEXT,))
    words = {TEXT[s:e] for s, e, _ in tokens(TEXT)} | {"generation", "universe", "newsy", "cafes", "run",
                                                      "connect", "agree", "resume", "naive", "York"}
    for word in sorted(words):
        fts = conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", ('"' + word.replace('"', "") + '"',)
                           ).fetchone()[0] == 1
        marked = [TEXT[s:e] for s, e in word_spans(TEXT, query_terms(word))]
        assert bool(marked) == fts, (word, marked)
        for m in marked:
            assert stem(m) == stem(word)


def test_offsets_are_characters_with_accents_and_emoji():
    text = "😀 Résumé of naïve cafés"
    spans = word_spans(text, query_terms("resume cafe"))
    assert [text[s:e] for s, e in spans] == ["Résumé", "cafés"]
