"""Keyword search leaves out words common in the library when rarer ones remain."""

from __future__ import annotations

import apsw
import pytest

from core.search import keyword
from core.search.keyword import TermStats, keyword_search, safe_match_query


def _library(rows: list[str]) -> apsw.Connection:
    conn = apsw.Connection(":memory:")
    conn.execute(
        "CREATE TABLE chunks(id INTEGER PRIMARY KEY, text TEXT, heading TEXT);"
        "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, content='chunks', content_rowid='id',"
        " tokenize='porter unicode61 remove_diacritics 2');"
    )
    add(conn, rows)
    return conn


def add(conn: apsw.Connection, rows: list[str]) -> None:
    with conn:
        for text in rows:
            conn.execute("INSERT INTO chunks(text, heading) VALUES (?, '')", (text,))
            rowid = conn.last_insert_rowid()
            conn.execute("INSERT INTO chunks_fts(rowid, text, heading) VALUES (?, ?, '')", (rowid, text))


@pytest.fixture
def conn(monkeypatch):
    monkeypatch.setattr(keyword, "COMMON_MIN_ROWS", 20)
    rows = [f"the {'patients' if i % 4 == 0 else 'people'} in cohort {i} were followed for a year"
            for i in range(400)]
    rows[123] = "the patients with zebrafish allergy were followed for a year"
    rows[300] = "the people with zebrafish allergy were followed for a year"
    return _library(rows)


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


def test_the_estimate_follows_a_growing_library(conn):
    stats = TermStats()
    assert not stats.common(conn, "zebrafish")
    add(conn, ["zebrafish everywhere"] * 200)   # the library grows by half
    assert stats.common(conn, "zebrafish")
