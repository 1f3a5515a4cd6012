"""Issue 30: passages that are no answer (fragments, furniture) are marked once, as they
are written and by the migration for an existing library; OCR's varied running header
is furniture; titles are real titles (groups and pairs: tests/core/dupes/test_dupes.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.chunk import noise_flags
from core.extract.furniture import strip_furniture
from core.extract.titles import choose_title, meaningful
from core.text import is_fragment
from core.types import Block, Chunk

BODY = [
    "The committee met on a cold morning to weigh the proposals for the new harbour wall.",
    "Engineers argued that the tides had undermined the old foundations for a decade or more.",
    "A vote was taken after lunch and the plan with the stone breakwater won by a wide margin.",
    "Funding came partly from the county and partly from a levy on the fishing fleet.",
    "Work began in the spring, and the first section was finished before the autumn storms.",
    "By the following year the harbour could shelter twice as many boats as before.",
]


@pytest.mark.parametrize("text", ["1", "J", "S j", "t=0", "Body", "INTRODUCTION", "3 Implementation"])
def test_fragments_too_short_to_mean_anything(text):
    assert is_fragment(text)


def test_a_sentence_is_not_a_fragment():
    assert not is_fragment("Tracing JIT compilers record the hot loops of a program as it runs.")


def test_a_running_header_read_differently_by_ocr_on_each_page_is_furniture():
    headers = ["THE HISTORY OF THE RIVER WAR", "THE HISTORY 0F THE RIVER WAR", "THE HlSTORY OF THE RIVER WAR",
               "THE HISTORY OF THE RIVER VVAR", "THE HISTORY OF THE RlVER WAR", "THE HISTORY OF THE RIVER WAR."]
    pages = [[h, "", BODY[i], BODY[(i + 1) % 6]] for i, h in enumerate(headers)]
    out = strip_furniture(pages)
    text = "\n".join(line for lines in out for line in lines)
    assert "HISTORY" not in text and "RIVER" not in text.upper().replace("RIVER WAR", "")
    for i in range(6):
        assert BODY[i] in text       # the body stays


def test_distinct_lines_at_the_top_of_pages_are_not_merged_into_furniture():
    pages = [[f"Chapter {i}: {word}", "", BODY[i]] for i, word in
             enumerate(["Harbours", "Tides", "Votes", "Money", "Building", "Shelter"])]
    text = "\n".join(line for lines in strip_furniture(pages) for line in lines)
    assert "Harbours" in text and "Shelter" in text


def _chunk(i: int, text: str, page: int | None) -> Chunk:
    return Chunk(ord=i, text=text, char_start=0, char_end=len(text), page_start=page, page_end=page)


def test_a_passage_repeated_on_most_pages_is_noise_however_ocr_spelled_it():
    chunks = []
    for page in range(1, 7):
        chunks.append(_chunk(len(chunks), ["Proceedings of the Harbour Board, volume three",
                                           "Proceedings of the Harb0ur Board, volume three",
                                           "Proceedlngs of the Harbour Board, volume three"][page % 3], page))
        chunks.append(_chunk(len(chunks), BODY[page - 1], page))
        chunks.append(_chunk(len(chunks), "S j", page))
    flags = noise_flags(chunks)
    for c, flag in zip(chunks, flags, strict=True):
        assert flag == (c.text not in BODY), c.text


def test_migration_marks_the_fragments_of_an_existing_library(tmp_path):
    from core.store import db

    path = tmp_path / "old.sqlite"
    steps = db._migrations()
    noise_step = next(n for n, name, _sql in steps if "noise" in name)
    conn = db.connect(path)
    conn.execute("CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at REAL NOT NULL)")
    for number, name, sql in steps:
        if number < noise_step:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?,?,?)", (number, name, time.time()))
    conn.execute("INSERT INTO documents(path, title, ext, size, mtime, status) "
                 "VALUES ('/x.txt','x','.txt',1,0,'indexed')")
    for i, text in enumerate(["Body", BODY[0], "t=0"]):
        conn.execute("INSERT INTO chunks(document_id, ord, text, text_hash, char_start, char_end) "
                     "VALUES (1, ?, ?, ?, 0, ?)", (i, text, f"h{i}", len(text)))
    conn.close()
    store = db.Store(path)
    try:
        rows = dict(store.query("SELECT text, noise FROM chunks"))
        assert rows == {"Body": 1, BODY[0]: 0, "t=0": 1}
        assert store.schema_version() == db.latest_version()
    finally:
        store.close()


def test_fragments_are_kept_for_keyword_search_but_marked(tiny_library, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("Harbour\n\n" + "\n\n".join(BODY) + "\n", encoding="utf-8")
    tiny_library.add_folder(folder)
    tiny_library.indexer.index()
    noise = tiny_library.catalog.noise_ids()
    texts = {c.id: c.text for c in tiny_library.catalog.chunks_of(tiny_library.catalog.documents()[0].id)}
    assert [texts[i] for i in noise] == ["Harbour"]
    found = tiny_library.searcher.search("harbour", mode="keyword", k=20)
    assert any(r.chunk_id in noise for r in found)                  # words still find it
    by_meaning = tiny_library.searcher.search("harbour", mode="meaning", k=20)
    assert by_meaning and not any(r.chunk_id in noise for r in by_meaning)
    for r in by_meaning:
        assert 0.0 <= r.strength <= 1.0 and r.cosine is not None and "cosine" in r.explanation


def test_keyword_results_carry_an_absolute_score(tiny_library, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("\n\n".join(BODY) + "\n", encoding="utf-8")
    tiny_library.add_folder(folder)
    tiny_library.indexer.index()
    found = tiny_library.searcher.search("harbour shelter", mode="keyword")
    assert found[0].strength == 1.0 and found[0].bm25 is not None        # both words
    assert {r.strength for r in found[1:]} == {0.5} and "1 of the 2 words" in found[1].explanation
    nothing = tiny_library.searcher.search("zeppelin", mode="keyword")
    assert nothing == [] and nothing.reason.startswith("nothing matches")


def test_titles_are_real_titles_or_the_file_name():
    path = Path("/docs/report-2019.pdf")
    assert meaningful("Microsoft Word - report.doc", path) is None
    assert meaningful("", path) is None and meaningful("Untitled", path) is None
    assert meaningful("report-2019", path) is None and meaningful("slides.pptx", path) is None
    assert meaningful("Trace-based Just-in-Time Type Specialization", path) == \
        "Trace-based Just-in-Time Type Specialization"
    redbook = [Block("ibm.com/redbooks Redpaper Front cover", page=1),
               Block("IBM Power Systems Performance Guide", page=1, kind="heading")]
    assert choose_title(None, redbook, path) == "IBM Power Systems Performance Guide"
    register = [Block("This section of the FEDERAL REGISTER contains notices to the public of the "
                      "proposed issuance of rules and regulations.", page=1)]
    assert choose_title("", register, path) == "report-2019"
    paper = [Block("A Study of Harbour Walls", page=1), Block(BODY[0], page=1)]
    assert choose_title("Microsoft Word - draft3.doc", paper, path) == "A Study of Harbour Walls"


def test_long_passages_are_never_compared_fuzzily_only_short_ones(monkeypatch):
    """A running header is a line: only passages that short are compared with difflib (on a
    long document's paragraphs that cost seconds per file and made indexing 3x slower).
    A long passage repeated with the same letters on most pages is still noise."""
    import core.extract.furniture as furniture

    compared: list[int] = []
    real = furniture.SequenceMatcher

    def counting(junk, a, b, **kw):
        compared.append(max(len(a), len(b)))
        return real(junk, a, b, **kw)

    monkeypatch.setattr(furniture, "SequenceMatcher", counting)
    disclaimer = "This report is confidential and meant only for the members of the harbour board. " * 3
    chunks = []
    for page in range(1, 7):
        chunks.append(_chunk(len(chunks), ["Proceedings of the Harbour Board, volume three",
                                           "Proceedings of the Harb0ur Board, volume three"][page % 2], page))
        body = " ".join(BODY[(page + j) % 6] for j in range(4))      # long paragraphs sharing many trigrams
        chunks.append(_chunk(len(chunks), body, page))
        chunks.append(_chunk(len(chunks), disclaimer.replace("report", "Report") if page % 2 else disclaimer, page))
    flags = noise_flags(chunks)
    assert compared and max(compared) <= 200
    for c, flag in zip(chunks, flags, strict=True):
        assert flag == (c.text.startswith(("Proceedings", "This"))), c.text
