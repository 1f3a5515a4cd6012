"""Keyword search: words common in the library only score the rows that rarer query words select."""

from __future__ import annotations

import pytest

from core.search import keyword
from core.search.keyword import TermStats, keyword_search, safe_match_query
from core.store import Store


def add(store: Store, rows: list[str]) -> None:
    with store.write() as conn:
        conn.execute("INSERT INTO documents(path, ext, size, mtime, status) VALUES (?, '.txt', 1, 0, 'indexed')",
                     (f"/doc{conn.execute('SELECT count(*) FROM documents').fetchone()[0]}.txt",))
        doc = conn.last_insert_rowid()
        conn.executemany(
            "INSERT INTO chunks(document_id, ord, text, text_hash, char_start, char_end) VALUES (?,?,?,?,0,0)",
            [(doc, i, text, str(i)) for i, text in enumerate(rows)],
        )


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.setattr(keyword, "COMMON_MIN_ROWS", 20)
    rows = [f"the {'patients' if i % 4 == 0 else 'people'} in cohort {i} were followed for a year"
            for i in range(400)]
    rows[123] = "the patients with zebrafish allergy were followed for a year"
    rows[300] = "the people with zebrafish allergy were followed for a year"
    st = Store(tmp_path / "kw.sqlite")
    add(st, rows)
    yield st
    st.close()


@pytest.fixture
def conn(store):
    return store.reader()


def test_common_word_only_ranks_the_rows_of_a_rarer_one(conn):
    stats = TermStats()
    assert safe_match_query("patients zebrafish", conn, stats) == '"zebrafish"'
    hits = keyword_search(conn, "patients zebrafish", 10, stats=stats)
    # the passage with both words first, with the score BM25 gives it over every word
    assert [cid for cid, _ in hits] == [124, 301]
    full = keyword_search(conn, "patients zebrafish", 1000)
    assert len(full) == 101          # without the statistics every "patients" row matches
    assert [cid for cid, _ in full[:2]] == [124, 301]
    assert [s for _, s in full[:2]] == pytest.approx([s for _, s in hits])


def test_a_query_of_common_words_only_still_searches_them(conn):
    stats = TermStats()
    assert safe_match_query("patients followed", conn, stats) == '"patients" OR "followed"'
    assert len(keyword_search(conn, "patients followed", 5, stats=stats)) == 5


def test_joined_token_is_common_only_when_all_its_parts_are(conn):
    stats = TermStats()
    assert stats.common(conn, "patients-year")
    assert not stats.common(conn, "patients-zebrafish")
    assert safe_match_query("patients-zebrafish year", conn, stats) == '"patients-zebrafish"'


def test_small_libraries_are_searched_with_every_word(monkeypatch, conn):
    monkeypatch.setattr(keyword, "COMMON_MIN_ROWS", 1000)
    stats = TermStats()
    assert safe_match_query("patients zebrafish", conn, stats) == '"patients" OR "zebrafish"'


def test_the_estimate_follows_a_growing_library(store, conn):
    stats = TermStats()
    assert not stats.common(conn, "zebrafish")
    add(store, ["zebrafish everywhere"] * 200)   # the library grows by half
    assert stats.common(conn, "zebrafish")
