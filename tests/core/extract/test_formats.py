""".pptx, .epub, .html, .odt and .rtf: files made here, read in order with their headings,
found by keyword and by meaning; hostile samples end with a final status and a reason."""

from __future__ import annotations

import os

import pytest

from core.extract import extract
from tests.formats import MAKERS, PHRASES, hostile_samples

# A question in other words for each format's phrase: found by meaning.
QUESTIONS = {
    ".pptx": "who looks after the lamp in a lighthouse at night",
    ".epub": "fruit on the trees maturing as the weather turns colder",
    ".html": "animals scaling rocky mountainsides for minerals",
    ".odt": "making bread dough early in the day",
    ".rtf": "ice sheets eroding the landscape over millennia",
}
NEVER = ["zqscriptcode", "zqstylecode", "zqhiddencode"]


def _make(folder, ext):
    return MAKERS[ext](folder / f"sample{ext}", PHRASES[ext][1])


def test_pptx_slides_in_order_titles_tables_notes(tmp_path):
    result = extract(_make(tmp_path, ".pptx"))
    assert result.status == "indexed" and result.pages == 2
    assert [(b.page, b.kind, b.text) for b in result.blocks if b.kind == "heading"] == [
        (1, "heading", "Opening the season"), (2, "heading", "Keeping the light")]
    second = [b for b in result.blocks if b.page == 2]
    assert all(b.heading == "Keeping the light" for b in second)
    assert "Lamp | Oil\nNorth | 12 litres" in [b.text for b in second if b.kind == "table"]
    assert second[-1].text == "Speaker notes: mention zqnotescode storms"


def test_epub_chapters_in_spine_order_with_headings(tmp_path):
    result = extract(_make(tmp_path, ".epub"))
    assert result.status == "indexed" and result.title == "Seasons of the Orchard"
    assert [(b.kind, b.text) for b in result.blocks][:3] == [
        ("heading", "Spring"), ("paragraph", "Blossom covers the branches."), ("heading", "Autumn")]
    assert result.blocks[-1].heading == "Autumn"


def test_html_visible_text_only(tmp_path):
    result = extract(_make(tmp_path, ".html"))
    assert result.status == "indexed" and result.title == "Alpine notes"
    text = " ".join(b.text for b in result.blocks)
    assert PHRASES[".html"][1] in text and "Peak | Height\nEiger | 3967 m" in text
    assert not any(word in text for word in NEVER)
    assert [b.text for b in result.blocks if b.kind == "heading"] == ["Wildlife", "Goats"]


def test_odt_headings_tables_and_spaces(tmp_path):
    result = extract(_make(tmp_path, ".odt"))
    assert result.status == "indexed"
    assert [(b.kind, b.text) for b in result.blocks] == [
        ("heading", "Bakery"), ("paragraph", PHRASES[".odt"][1]), ("table", "Loaf | Rye"),
        ("paragraph", "Ovens are hot.")]


def test_rtf_paragraphs_title_and_accents(tmp_path):
    result = extract(_make(tmp_path, ".rtf"))
    assert result.status == "indexed" and result.title == "Ice ages"
    assert [b.text for b in result.blocks] == ["Ice shapes the land.", PHRASES[".rtf"][1], "Café naïve"]


@pytest.fixture(scope="module")
def formats_library(tmp_path_factory, default_model_dir):
    from core.library import Library

    base = tmp_path_factory.mktemp("formats")
    folder = base / "docs"
    folder.mkdir()
    for ext in MAKERS:
        _make(folder, ext)
    hostile = hostile_samples(base)
    for sample in hostile:
        (folder / sample.name).write_bytes(sample.data)
    lib = Library(path=base / "lib.sqlite", model_path=default_model_dir)
    lib.add_folder(folder)
    report = lib.indexer.index()
    yield lib, report, hostile
    lib.close()


@pytest.mark.parametrize("ext", sorted(MAKERS))
def test_each_format_is_found_by_keyword_and_by_meaning(formats_library, ext):
    lib, _, _ = formats_library
    codeword = PHRASES[ext][0]
    assert [os.path.basename(r.path) for r in lib.searcher.search(codeword, mode="keyword", k=5)] == [f"sample{ext}"]
    best = lib.searcher.search(QUESTIONS[ext], mode="dense", k=2)
    assert os.path.basename(best[0].path) == f"sample{ext}"
    # A passage is one paragraph (issue 16): the file's other paragraph on the same theme
    # ("Ice shapes the land.") may come first; the phrase's own paragraph is next to it.
    assert any(codeword in r.text for r in best if os.path.basename(r.path) == f"sample{ext}")


def test_script_style_and_hidden_text_is_never_indexed(formats_library):
    lib, _, _ = formats_library
    for word in NEVER:
        assert lib.searcher.search(word, mode="keyword", k=5) == [], word


def test_hostile_samples_end_with_a_final_status_and_a_reason(formats_library):
    lib, report, hostile = formats_library
    docs = {os.path.basename(d.path): d for d in lib.catalog.documents()}
    assert lib.indexer.pending_jobs() == 0
    for sample in hostile:
        doc = docs[sample.name]
        assert doc.status in ("indexed", "no_text", "error"), (sample.what, doc)
        if doc.status != "indexed":
            assert doc.error and len(doc.error) > 8, (sample.what, doc.error)
        if sample.codeword:
            assert lib.searcher.search(sample.codeword, mode="keyword", k=5) == [], sample.what
    for name in ("bomb.pptx", "bomb.epub", "bomb.odt"):
        assert docs[name].status == "error" and "zip bomb" in docs[name].error
    for name in ("laughs.pptx", "laughs.odt"):
        assert docs[name].status == "error" and "entities" in docs[name].error
    for name in ("truncated.pptx", "truncated.epub", "truncated.odt", "notrtf.rtf"):
        assert docs[name].status == "error", name
