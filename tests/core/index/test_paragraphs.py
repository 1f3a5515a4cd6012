"""Issue 16: a paragraph is a unit of its own. A passage is one paragraph (headings go with
the paragraph under them), so a paragraph copied between different neighbours is found,
a PDF paragraph cut by a page break is one paragraph on both pages, trivial paragraphs
form no pairs, and a library made before is cut into paragraphs without reading its
files again."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.chunk import chunk_blocks, document_text
from core.dupes.normalize import is_trivial
from core.extract.lines import join_across_pages
from core.index.split import split_passages
from core.types import Block
from tests.hostile import _pdf as assemble_pdf
from tests.schema_rewind import rewind_schema


def _words(texts: list[str]) -> list[int]:
    return [len(t.split()) + 2 for t in texts]        # 2 "special tokens"


# -- the chunker ---------------------------------------------------------------------------------


def test_each_paragraph_is_its_own_passage_with_its_heading():
    blocks = [
        Block("Terms", heading="Terms", kind="heading"),
        Block("First paragraph of the terms.", heading="Terms"),
        Block("Second paragraph of the terms.", heading="Terms"),
        Block("Third one.", heading="Terms"),
    ]
    chunks = chunk_blocks(blocks, _words, max_tokens=64)
    text = document_text(blocks)
    assert [c.text for c in chunks] == [
        "Terms\n\nFirst paragraph of the terms.", "Second paragraph of the terms.", "Third one."]
    assert all(text[c.char_start:c.char_end] == c.text for c in chunks)
    merged = chunk_blocks(blocks, _words, max_tokens=64, merge_paragraphs=True)
    assert len(merged) == 1 and merged[0].text == text        # the behaviour before issue 16


def test_a_long_paragraph_is_still_cut_at_sentences():
    long = " ".join(f"Sentence number {i} says something." for i in range(30))
    chunks = chunk_blocks([Block("Short one here."), Block(long)], _words, max_tokens=40)
    assert chunks[0].text == "Short one here."
    assert len(chunks) > 3 and all(c.text in long for c in chunks[1:])


# -- PDF paragraphs over a page break --------------------------------------------------------------


def test_a_paragraph_over_a_page_break_is_one_block_on_both_pages():
    blocks = [
        Block("Intro paragraph ends here.", page=1),
        Block("The supplier shall keep all data within the", page=1),
        Block("4", page=1),                                   # the page number in the footer
        Block("union and shall notify the customer.", page=2),
        Block("Next paragraph starts on page two.", page=2),
        Block("Capitalised start of page three.", page=3),
    ]
    out = join_across_pages(blocks)
    assert [(b.text, b.page, b.page_end) for b in out] == [
        ("Intro paragraph ends here.", 1, None),
        ("The supplier shall keep all data within the union and shall notify the customer.", 1, 2),
        ("4", 1, None),
        ("Next paragraph starts on page two.", 2, None),
        ("Capitalised start of page three.", 3, None),
    ]
    chunks = chunk_blocks(out, _words, max_tokens=64)
    joined = next(c for c in chunks if c.text.startswith("The supplier"))
    assert (joined.page_start, joined.page_end) == (1, 2)
    assert next(c for c in chunks if c.text.startswith("Next")).page_start == 2


def _pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages print the given lines (Helvetica 12, 14 pt apart)."""
    n = len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(f"{3 + 2 * i} 0 R".encode() for i in range(n))
               + f"] /Count {n} >>".encode()]
    font = 3 + 2 * n
    for i, lines in enumerate(pages):
        ops = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
        content = ops.encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content
                       + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return assemble_pdf(objects)


def test_pdf_reader_joins_a_paragraph_across_the_page_break(tmp_path):
    from core.extract.pdf_reader import extract_pdf

    line = "The supplier shall keep all customer data within the European Union and shall"
    pages = [
        ["A first paragraph stands alone on the first page of this contract and it goes",
         "on here.", line, line.replace("supplier", "vendor")],
        ["notify the customer in writing within seventy-two hours of any breach and it",
         "is done.", "Another paragraph starts on the second page and it goes on for a line",
         "or so."],
    ]
    path = tmp_path / "contract.pdf"
    path.write_bytes(_pdf(pages))
    result = extract_pdf(path)
    spanning = [b for b in result.blocks if "seventy-two" in b.text]
    assert len(spanning) == 1
    assert spanning[0].text.startswith("The supplier") and spanning[0].text.endswith("is done.")
    assert (spanning[0].page, spanning[0].page_end) == (1, 2)
    alone = next(b for b in result.blocks if b.text.startswith("Another"))
    assert (alone.page, alone.page_end) == (2, None)


# -- trivial paragraphs ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["12", "Test", "Page 3 of 9", "Introduction", "1.2 Scope of work",
                                  "Terms and Conditions"])
def test_trivial_paragraphs(text):
    assert is_trivial(text)


def test_a_heading_alone_is_trivial_and_a_sentence_is_not():
    assert is_trivial("General terms of the supply contract", heading="General terms of the supply contract")
    assert not is_trivial("The supplier shall notify the customer in writing.")


# -- the upgrade: stored passages cut into paragraphs -------------------------------------------


def test_split_passages_cuts_at_blank_lines_and_keeps_headings_with_their_paragraph():
    text = "Terms\n\nFirst paragraph here.\n\nSecond paragraph here."
    rows = [(text, 10, 10 + len(text), 2, 2, "Terms", 0), ("Alone.", 70, 76, 3, 3, "Terms", 0)]
    out = split_passages(rows)
    assert [(c.text, c.char_start, c.char_end, c.page_start, c.ord) for c in out] == [
        ("Terms\n\nFirst paragraph here.", 10, 38, 2, 0),
        ("Second paragraph here.", 40, 62, 2, 1),
        ("Alone.", 70, 76, 3, 2),
    ]


# -- end to end with the real model ----------------------------------------------------------------

CLAUSE = ("The supplier shall keep all customer data within the European Union and shall notify "
          "the customer in writing within seventy-two hours of becoming aware of any personal data breach.")
REWORDED = ("All client data must be stored by the vendor inside the EU, and the vendor has to inform "
            "the client in writing no later than 72 hours after it learns of a breach of personal data.")
NEIGHBOURS = [
    ("The orchestra rehearsed the second movement of the symphony until late in the evening.",
     "Volcanic soils are rich in minerals, which is why vineyards thrive on the slopes of Etna."),
    ("Our cat prefers to sleep on the warm windowsill during the long winter afternoons.",
     "The marathon route passes the old harbour before climbing towards the cathedral square."),
    ("Photosynthesis converts light energy into chemical energy stored in glucose molecules.",
     "The recipe calls for two cups of flour, a pinch of salt and three tablespoons of butter."),
]
QUOTED = ("Quarterly revenue grew by twelve percent, driven mostly by strong subscription sales "
          "in the Nordic countries.")
QUOTING = ("In his letter to shareholders the chairman wrote: " + QUOTED + " He added that the board "
           "expects growth to continue next year.")


@pytest.fixture(scope="module")
def shared_encoder(shipped_encoder):
    """The precision the product ships (int8 on this CPU); fp32: tests/core/search/test_fp32_quality.py."""
    return shipped_encoder


def _library(path: Path, model_dir: Path, encoder, merge: bool = False):
    from core.library import Library
    from core.settings import Settings

    return Library(path=path, model_path=model_dir, settings=Settings(chunk_merge_paragraphs=merge),
                   encoder_factory=lambda _path: encoder)


def _write_corpus(folder: Path) -> None:
    folder.mkdir()
    for i, (before, after) in enumerate(NEIGHBOURS):
        (folder / f"contract{i}.txt").write_text(f"{before}\n\n{CLAUSE}\n\n{after}\n", encoding="utf-8")
    (folder / "reworded.txt").write_text(f"Summary of obligations\n\n{REWORDED}\n", encoding="utf-8")
    (folder / "report.txt").write_text(f"{QUOTED}\n", encoding="utf-8")
    (folder / "letter.md").write_text(f"{QUOTING}\n", encoding="utf-8")


def _check_discovery(lib) -> None:
    lib.discovery.mine_duplicates()
    clusters = lib.discovery.duplicate_clusters()
    exact = [c for c in clusters if c.kind == "exact"]
    assert len(exact) == 1
    assert exact[0].size == 3 and {m.text for m in exact[0].members} == {CLAUSE}
    pairs = lib.discovery.duplicate_pairs()
    assert any({p.a.text, p.b.text} == {CLAUSE, REWORDED} for p in pairs)
    assert any({p.a.text, p.b.text} == {QUOTED, QUOTING} for p in pairs)
    shown = {p.a.text for p in pairs} | {p.b.text for p in pairs}
    shown |= {m.text for c in clusters for m in c.members}
    for before, after in NEIGHBOURS:
        assert not any(before in t or after in t for t in shown)


def test_clause_copied_between_different_neighbours_is_one_exact_cluster(tmp_path, default_model_dir,
                                                                       shared_encoder):
    folder = tmp_path / "docs"
    _write_corpus(folder)
    lib = _library(tmp_path / "lib.sqlite", default_model_dir, shared_encoder)
    try:
        lib.add_folder(folder)
        lib.indexer.index()
        _check_discovery(lib)
        hits = lib.searcher.search("notify the customer within seventy-two hours", mode="hybrid", k=3)
        assert hits[0].text == CLAUSE          # the card shows the paragraph that answered
        # Find similar on a document: a near copy (one line added) scores above a file sharing
        # one paragraph. (An exact copy is the same document in another place: core/copies.py.)
        text = (folder / "contract0.txt").read_text(encoding="utf-8")
        (folder / "copy.txt").write_text(text + "\n\nSigned in duplicate.\n", encoding="utf-8")
        lib.indexer.index()
        source = next(d for d in lib.catalog.documents() if d.path.endswith("contract0.txt"))
        ranked = lib.searcher.similar_documents(source.id, k=5)
        assert ranked[0].document.path.endswith("copy.txt") and ranked[0].score > 0.99
        neighbour = next(r for r in ranked if r.document.path.endswith("contract1.txt"))
        assert neighbour.score < ranked[0].score - 0.2
    finally:
        lib.close()


def test_a_library_made_before_is_cut_into_paragraphs_without_reading_files(tmp_path, default_model_dir,
                                                                         shared_encoder):
    folder = tmp_path / "docs"
    _write_corpus(folder)
    path = tmp_path / "lib.sqlite"
    old = _library(path, default_model_dir, shared_encoder, merge=True)     # passages as before 16
    try:
        old.add_folder(folder)
        old.indexer.index()
        before = {d.path: (d.id, d.indexed_at) for d in old.catalog.documents()}
        assert old.store.count("SELECT COUNT(*) FROM chunks") == 6
        old.label_table.add_label("pair_binary", CLAUSE, REWORDED, label=1.0)
        with old.store.write() as conn:          # the schema as the previous version left it
            rewind_schema(conn, 9)
    finally:
        old.close()

    lib = _library(path, default_model_dir, shared_encoder)
    try:
        assert lib.store.count("SELECT COUNT(*) FROM jobs WHERE kind = 'split'") == 4
        phases = []
        report = lib.indexer.index(progress=lambda p: phases.append(p.phase))
        assert "splitting" in phases
        assert report.indexed == 0                                     # no file read again
        assert {d.path: (d.id, d.indexed_at) for d in lib.catalog.documents()} == before
        assert lib.store.count("SELECT COUNT(*) FROM chunks") == 13
        assert lib.store.count("SELECT COUNT(*) FROM chunks WHERE instr(text, char(10)||char(10)) > 0") == 0
        for d in lib.catalog.documents():
            assert lib.catalog.chunks_missing_vectors(lib.versions.active_model_id(), d.id) == []
        assert len(lib.label_table.labels()) == 1
        _check_discovery(lib)
    finally:
        lib.close()


def test_the_upgrade_killed_midway_leaves_each_document_whole_and_resumes(tmp_path, tiny_model_dir):
    import os
    import subprocess
    import sys

    from core.library import Library
    from core.settings import Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(3):
        (folder / f"n{i}.txt").write_text(f"First paragraph of note {i}.\n\nSecond paragraph of note {i}.\n\n"
                                          f"Third paragraph of note {i}.\n", encoding="utf-8")
    path = tmp_path / "lib.sqlite"
    old = Library(path=path, model_path=tiny_model_dir, settings=Settings(chunk_merge_paragraphs=True))
    try:
        old.add_folder(folder)
        old.indexer.index()
        with old.store.write() as conn:
            rewind_schema(conn, 9)
    finally:
        old.close()
    script = ("from core.library import Library; from core.settings import Settings; "
              f"Library(path={str(path)!r}, model_path={str(tiny_model_dir)!r}, settings=Settings()).indexer.index()")
    # killed inside the second document's write
    env = dict(os.environ, LIKEWISE_KILL_AT="upsert:2", LIKEWISE_TEST_HOOKS="1")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=Path(__file__).resolve().parents[3],
                          capture_output=True, timeout=600)
    assert done.returncode == -9, done.stderr.decode()[-2000:]

    lib = Library(path=path, model_path=tiny_model_dir, settings=Settings())
    try:
        per_doc = sorted(len(lib.catalog.chunks_of(d.id)) for d in lib.catalog.documents())
        assert per_doc == [1, 1, 3]                       # one document split, two untouched
        assert lib.store.count("SELECT COUNT(*) FROM jobs WHERE kind = 'split'") == 2
        lib.indexer.index()
        assert sorted(len(lib.catalog.chunks_of(d.id)) for d in lib.catalog.documents()) == [3, 3, 3]
        for d in lib.catalog.documents():
            assert lib.catalog.chunks_missing_vectors(lib.versions.active_model_id(), d.id) == []
        assert lib.store.count("SELECT COUNT(*) FROM jobs") == 0
    finally:
        lib.close()


def test_table_cells_make_one_passage_and_never_swallow_a_paragraph():
    """A PDF table comes out as one short block per cell ("Capital", "Berlin",
    "83,190,556"): each alone would be a result of its own that matches nothing. Cells in a
    row become one passage; the paragraphs around them keep passages of their own."""
    cells = ["Continent", "Asia", "Europe", "Capital", "Jakarta", "Berlin", "Currency", "Rupia",
             "EUR (\u20ac) - Population", "273.879.750", "83,190,556", "2020 estimate"]
    before = "The table below lists the countries of the example with their capitals."
    after = "If the implementation is hard to explain, it is a bad idea for everyone."
    blocks = [Block(before, page=1), *[Block(c, page=1) for c in cells], Block(after, page=1),
              Block("* now.", page=1), Block(before.replace("below", "above"), page=1)]
    chunks = chunk_blocks(blocks, _words, max_tokens=64)
    assert [c.text for c in chunks] == [before, "\n\n".join(cells), after, "* now.",
                                        before.replace("below", "above")]
    # a run longer than the budget is cut into passages that fit, still without a paragraph
    many = chunk_blocks([Block(f"cell {i}", page=1) for i in range(100)] + [Block(after, page=1)],
                        _words, max_tokens=40)
    assert len(many) > 2 and many[-1].text == after
    assert all(c.text.startswith("cell") and after not in c.text for c in many[:-1])
