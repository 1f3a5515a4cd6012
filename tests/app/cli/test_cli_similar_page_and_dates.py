"""`likewise similar --page` and a date filter that keeps some documents (issue 32)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime

from core.library import Library
from core.search import SearchFilters

DOC = "pdf_real/docling/multi_page.pdf"


def _stamp(year: int) -> float:
    return datetime(year, 6, 1, tzinfo=UTC).timestamp()


def test_a_date_filter_keeps_the_documents_changed_in_that_time(tiny_library, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for year in (2019, 2021, 2023):
        path = folder / f"minutes{year}.txt"
        path.write_text(f"Minutes of the lantern committee, meeting of {year}.\n\n"
                        f"The lantern committee met again in {year} to count the lanterns.\n", encoding="utf-8")
        os.utime(path, (_stamp(year), _stamp(year)))
    lib = tiny_library
    lib.add_folder(folder)
    lib.indexer.index()

    def names(mode: str, **window) -> set[str]:
        hits = lib.searcher.search("lantern committee", mode=mode, k=20, filters=SearchFilters(**window))
        return {os.path.basename(h.path) for h in hits}

    for mode in ("keyword", "dense", "hybrid"):
        assert names(mode) == {"minutes2019.txt", "minutes2021.txt", "minutes2023.txt"}, mode
        assert names(mode, modified_after=_stamp(2020), modified_before=_stamp(2022)) == {"minutes2021.txt"}, mode
        assert names(mode, modified_after=_stamp(2020)) == {"minutes2021.txt", "minutes2023.txt"}, mode
        assert names(mode, modified_before=_stamp(2020)) == {"minutes2019.txt"}, mode
        assert names(mode, modified_after=_stamp(2024)) == set(), mode


def test_similar_page_starts_from_a_passage_on_that_page(tmp_path, tiny_model_dir, shared_data, capsys):
    from app.cli import main

    folder = tmp_path / "docs"
    folder.mkdir()
    pdf = folder / "multi_page.pdf"
    shutil.copy(shared_data / DOC, pdf)
    (folder / "other.txt").write_text("A note about screenwriting software and film scripts.\n\n"
                                      "A second paragraph about word processors.\n", encoding="utf-8")
    lib_file = tmp_path / "lib.sqlite"
    common = ["--library", str(lib_file), "--model", str(tiny_model_dir)]
    assert main([*common, "add-folder", str(folder)]) == 0
    with Library(path=lib_file, model_path=tiny_model_dir) as lib:
        doc = lib.catalog.document(pdf)
        chunks = lib.catalog.chunks_of(doc.id)
        pages = sorted({c.page_start for c in chunks})
        assert len(pages) >= 3
        page = pages[1]
        first_on_page = next(c for c in chunks if c.page_start <= page <= (c.page_end or c.page_start))
    capsys.readouterr()

    assert main([*common, "similar", str(pdf), "--page", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Passages like #{first_on_page.id} of ") and f"multi_page.pdf:{page}" in out.splitlines()[0]
    assert main([*common, "similar", str(pdf), "--page", str(page), "--same-document", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results and first_on_page.id not in [r["chunk_id"] for r in results]
    assert main([*common, "similar", str(pdf), "--page", str(page), "--json"]) == 0
    others = json.loads(capsys.readouterr().out)
    assert others and all(not r["path"].endswith("multi_page.pdf") for r in others)

    assert main([*common, "similar", str(pdf), "--page", "999"]) != 0
    err = capsys.readouterr().err
    assert "no passage on page 999" in err and "Traceback" not in err
