"""Find similar for any file (`likewise similar FILE`, lib.similar_file.similar_to_file): a file
outside the library is read in the extraction worker, encoded, compared, and never
written to the library; its folder is offered. (The tiny BERT: a text equal to a
document's is what "alike" means here.)"""

from __future__ import annotations

import json
import os

import pytest

from app.cli import main
from core.errors import InvalidInputError, NotFoundError

BEES = "Honey bees dance to tell the hive where the flowers are.\n\nBees carry pollen home in baskets on their legs.\n"
TEXTS = {
    "bees.txt": BEES,
    "rust.txt": "Iron rusts when water and oxygen reach the bare metal of a bridge.\n",
    "tides.md": "# Tides\n\nThe moon pulls the sea twice a day; harbours empty and fill.\n",
}


@pytest.fixture
def library(tmp_path, tiny_model_dir):
    from core.library import Library

    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    lib.add_folder(folder)
    lib.indexer.index()
    yield lib, folder
    lib.close()


def _footprint(lib) -> tuple:
    """What a read of a file would change: documents, passages, vectors, jobs, folders."""
    return tuple(lib.store.count(sql) for sql in (
        "SELECT COUNT(*) FROM documents", "SELECT COUNT(*) FROM chunks", "SELECT COUNT(*) FROM vec_log",
        "SELECT COUNT(*) FROM jobs", "SELECT COUNT(*) FROM folders", "SELECT COUNT(*) FROM scan_problems"))


def test_a_file_outside_the_library_is_read_compared_and_never_saved(tmp_path, library):
    lib, _ = library
    elsewhere = tmp_path / "Downloads"
    elsewhere.mkdir()
    copy = elsewhere / "a copy of the bee notes.txt"
    copy.write_text(BEES, encoding="utf-8")
    before = _footprint(lib)

    found = lib.similar_file.similar_to_file(copy, k=5)

    assert not found.in_library and found.document is None
    assert [p.text for p in found.passages] == [t.strip() for t in BEES.split("\n\n")]
    assert found.documents[0].document.path.endswith("bees.txt")
    assert found.documents[0].score > 0.999 and found.documents[0].matched_passages == 2
    src, tgt, cos = found.documents[0].pairs[0]
    assert found.passages[src].text == lib.catalog.chunk(tgt).text and cos > 0.999
    assert {r.path.rsplit("/", 1)[-1] for r in found.similar_passages[:2]} == {"bees.txt"}
    assert found.folder_to_add == str(elsewhere)
    assert _footprint(lib) == before          # nothing of it was written


def test_a_document_of_the_library_is_compared_with_the_others(library):
    lib, folder = library
    found = lib.similar_file.similar_to_file(folder / "bees.txt", k=5)
    assert found.in_library and found.document.path.endswith("bees.txt")
    assert found.passages == [] and found.folder_to_add is None
    names = {d.document.path.rsplit("/", 1)[-1] for d in found.documents}
    assert names == {"rust.txt", "tides.md"}                  # never the document itself
    assert all(not r.path.endswith("bees.txt") for r in found.similar_passages)


def test_a_file_left_out_of_a_library_folder_offers_no_folder(library):
    lib, folder = library
    lib.add_exclusion("private/", folder=folder)
    (folder / "private").mkdir()
    (folder / "private" / "bees.txt").write_text(BEES, encoding="utf-8")
    found = lib.similar_file.similar_to_file(folder / "private" / "bees.txt", k=3)
    assert not found.in_library and found.folder_to_add is None
    assert found.documents[0].document.path.endswith("bees.txt")


def test_unreadable_files_get_a_reason_and_cost_nothing(tmp_path, library):
    lib, _ = library
    before = _footprint(lib)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + os.urandom(2048))
    with pytest.raises(InvalidInputError, match="broken.pdf could not be read"):
        lib.similar_file.similar_to_file(broken)
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="no text"):
        lib.similar_file.similar_to_file(empty)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInputError, match="not a regular file"):
        lib.similar_file.similar_to_file(fifo)     # never opened: it would block
    with pytest.raises(NotFoundError):
        lib.similar_file.similar_to_file(tmp_path / "missing.txt")
    assert _footprint(lib) == before
    found = lib.similar_file.similar_to_file(lib.catalog.documents()[0].path, k=2)  # the library still answers
    assert found.in_library


def test_cli_similar_on_a_file_outside_the_library_hints_at_adding_its_folder(tmp_path, library, tiny_model_dir,
                                                                             capsys):
    lib, _ = library
    lib.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "note.txt").write_text(BEES, encoding="utf-8")
    base = ["--library", str(tmp_path / "lib.sqlite"), "--model", str(tiny_model_dir)]
    capsys.readouterr()
    assert main([*base, "similar", str(elsewhere / "note.txt"), "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "is not in your library: read on the spot (2 passages), nothing saved" in out
    assert out.index("bees.txt") < out.index("Passages like its passages")
    assert f"Hint: to keep it in your library, add its folder: likewise add-folder {elsewhere}" in out

    assert main([*base, "similar", str(elsewhere / "note.txt"), "-k", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["document"] is None and data["folder_to_add"] == str(elsewhere)
    assert data["documents"][0]["document"]["path"].endswith("bees.txt")
    assert len(data["passages"]) == 2 and data["similar_passages"]
