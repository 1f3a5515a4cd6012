"""Issue 30 with the real default model on real papers: a query nothing matches says so,
a fragment never tops a meaning search, Find similar documents on two unrelated papers
that share only their section headings says "not alike", and exports hold the file, the
page and the best sentence."""

from __future__ import annotations

import csv
import shutil

import pytest

from app.cli import main

pytestmark = pytest.mark.slow

PAPERS = ("pdfjs/tracemonkey.pdf", "pdfminer/nonfree__naacl06-shinyama.pdf")


@pytest.fixture(scope="module")
def papers(tmp_path_factory, shared_data, default_model_dir):
    from core.library import Library

    root = tmp_path_factory.mktemp("papers")
    folder = root / "docs"
    folder.mkdir()
    for rel in PAPERS:
        shutil.copy(shared_data / "pdf_real" / rel, folder / rel.split("/")[-1])
    lib = Library(path=root / "lib.sqlite", model_path=default_model_dir)
    lib.add_folder(folder)
    lib.indexer.index()
    yield lib, folder, root
    lib.close()


def _doc(lib, name):
    return next(d for d in lib.catalog.documents() if d.path.endswith(name))


def test_a_query_with_no_good_match_says_nothing_matches(papers, capsys):
    lib, _folder, root = papers
    for mode in ("meaning", "hybrid"):
        found = lib.searcher.search("zz", mode=mode)
        assert found == [], [r.text for r in found]
        assert found.reason.startswith("nothing matches") and "floor" in found.reason
    capsys.readouterr()
    assert main(["--library", str(root / "lib.sqlite"), "search", "zz", "--mode", "meaning"]) == 0
    assert "nothing matches" in capsys.readouterr().out


def test_a_fragment_never_tops_a_meaning_search(papers):
    lib, _folder, _root = papers
    noise = lib.catalog.noise_ids()
    assert noise      # the papers' lone headings and page numbers are marked
    for query in ("Implementation", "Introduction", "References", "Abstract", "Body", "J"):
        found = lib.searcher.search(query, mode="meaning", k=5)
        assert not {r.chunk_id for r in found} & noise, query
        for r in found:
            assert 0.0 <= r.strength <= 1.0 and r.cosine is not None


def test_unrelated_papers_sharing_headings_are_not_alike(papers):
    lib, folder, _root = papers
    trace = _doc(lib, "tracemonkey.pdf")
    body = [c.text for c in lib.catalog.chunks_of(trace.id) if c.id not in lib.catalog.noise_ids()]
    # a control: notes quoting every other paragraph of it are like it, the other paper is not
    (folder / "notes.txt").write_text("\n\n".join(body[::2]) + "\n", encoding="utf-8")
    lib.indexer.index()
    found = lib.searcher.similar_documents(trace.id, k=5)
    by_name = {s.document.path.rsplit("/", 1)[-1]: s for s in found}
    assert found[0].document.path.endswith("notes.txt")
    assert by_name["notes.txt"].alike != "not alike", by_name["notes.txt"].explanation
    naacl = by_name["nonfree__naacl06-shinyama.pdf"]
    assert naacl.alike == "not alike", naacl.explanation
    assert naacl.score < by_name["notes.txt"].score
    assert "body passages" in naacl.explanation and f"{naacl.score:.2f}" in naacl.explanation


def test_exported_results_hold_file_page_and_best_sentence(papers, tmp_path):
    from core.export import export_results

    lib, _folder, _root = papers
    found = lib.searcher.search("tracing just-in-time compiler for dynamic languages", mode="meaning", k=5)
    assert found and found[0].best_sentence is not None
    export_results(found, tmp_path / "out.csv", query="tracing jit")
    rows = list(csv.DictReader(open(tmp_path / "out.csv", encoding="utf-8")))
    assert rows[0]["file"].endswith("tracemonkey.pdf") and rows[0]["page"].isdigit()
    s, e = found[0].best_sentence
    assert rows[0]["best_sentence"] == found[0].text[s:e] and float(rows[0]["score"]) > 0
    export_results(found, tmp_path / "out.md", query="tracing jit")
    md = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert "tracemonkey.pdf, page " in md and "**Best sentence:** " + " ".join(found[0].text[s:e].split()) in md
