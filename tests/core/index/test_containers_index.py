"""Mail and archives in a library: their documents are indexed under the container,
found and shown by their member names, opened from a private copy, and follow the
container when it changes, grows, moves or goes (issue 28)."""

from __future__ import annotations

import os
import stat
import zipfile

from core.extract.isolated import IsolatedExtractor
from core.members import member_file, remove_member_files
from core.pathnames import display_name, display_stored, member_path, to_db
from core.search import SearchFilters
from tests.mail_files import docx_bytes, mbox_bytes, message, write_eml, zip_bytes


def _docs(lib):
    return {display_name(d.path): d for d in lib.catalog.documents()}


def _make_folder(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write_eml(folder / "plan.eml", message(
        "Harbour plan", "The breakwater zqbreakwater needs repair before winter.\n\n"
        "On Mon, Bob wrote:\n> an old line about zqquotedword\n",
        attachments=[("budget.txt", b"The budget zqbudget covers stone and labour.")]))
    docx = docx_bytes(tmp_path, "The keeper zqkeeper trims the wick at dusk.")
    (folder / "a.zip").write_bytes(zip_bytes({"dir/b.docx": docx, "dir/c.txt": b"Gulls zqgulls nest here."}))
    (folder / "Inbox").write_bytes(mbox_bytes([
        message("Tide tables", "High water zqhighwater at noon.", sender="Carol <carol@example.org>"),
        message("Lamp oil", "Order more oil zqoil.", sender="Dan <dan@example.org>")]))
    return folder


def test_mail_and_zip_members_are_found_shown_and_opened(tiny_library, tmp_path):
    lib = tiny_library
    folder = _make_folder(tmp_path)
    lib.add_folder(folder)
    report = lib.indexer.index()
    assert report.indexed == 3 and report.failed == 0
    docs = _docs(lib)
    assert docs["plan.eml"].sender == "Alice Example <alice@example.org>"
    assert docs["plan.eml › budget.txt"].container_id == docs["plan.eml"].id
    assert docs["Inbox › message 1"].title == "Tide tables"
    assert docs["a.zip"].status == "indexed" and docs["a.zip"].pages == 2

    hit = lib.searcher.search("zqhighwater", mode="keyword")[0]
    assert (hit.title, hit.sender) == ("Tide tables", "Carol <carol@example.org>")
    assert display_stored(hit.path).endswith("Inbox › message 1")
    assert lib.searcher.search("zqquotedword", mode="keyword") == []  # quoted replies are not its text
    assert display_name(lib.searcher.search("zqbudget", mode="keyword")[0].path) == "plan.eml › budget.txt"
    only_dan = lib.searcher.search("zqoil zqhighwater", mode="keyword", filters=SearchFilters(sender="DAN@"))
    assert {r.title for r in only_dan} == {"Lamp oil"}

    hit = lib.searcher.search("zqkeeper", mode="keyword")[0]
    assert display_name(hit.path) == "a.zip › dir/b.docx"
    opened = member_file(hit.path)
    try:
        assert os.path.basename(opened) == "b.docx"
        assert stat.S_IMODE(os.stat(os.path.dirname(os.path.dirname(opened))).st_mode) == 0o700
        with zipfile.ZipFile(folder / "a.zip") as z:
            assert open(opened, "rb").read() == z.read("dir/b.docx")
        message_copy = member_file(lib.searcher.search("zqoil", mode="keyword")[0].path)
        assert b"Subject: Lamp oil" in open(message_copy, "rb").read()
    finally:
        remove_member_files()
    assert not os.path.exists(opened)


def test_unchanged_run_keeps_members_and_changed_container_rereads(tiny_library, tmp_path):
    lib = tiny_library
    folder = _make_folder(tmp_path)
    lib.add_folder(folder)
    lib.indexer.index()
    before = _docs(lib)
    again = lib.indexer.index()
    assert again.removed == 0 and again.indexed == 0
    assert _docs(lib).keys() == before.keys()

    (folder / "a.zip").write_bytes(zip_bytes({"dir/c.txt": b"Gulls zqgulls nest here.",
                                              "new.txt": b"Terns zqterns arrived."}))
    lib.indexer.index()
    docs = _docs(lib)
    assert "a.zip › dir/b.docx" not in docs and "a.zip › new.txt" in docs
    assert docs["a.zip › dir/c.txt"].indexed_at == before["a.zip › dir/c.txt"].indexed_at   # not read again
    assert lib.searcher.search("zqkeeper", mode="keyword") == []

    os.rename(folder / "a.zip", folder / "moved.zip")
    lib.indexer.index()
    docs = _docs(lib)
    assert "moved.zip › new.txt" in docs and not any(k.startswith("a.zip") for k in docs)

    (folder / "moved.zip").unlink()
    lib.indexer.index()
    assert not any(k.startswith("moved.zip") for k in _docs(lib))


def test_growing_mbox_reads_only_the_new_messages(tiny_library, tmp_path, monkeypatch):
    lib = tiny_library
    folder = _make_folder(tmp_path)
    lib.add_folder(folder)
    lib.indexer.index()
    first = _docs(lib)
    size = (folder / "Inbox").stat().st_size
    with open(folder / "Inbox", "ab") as fh:
        fh.write(mbox_bytes([message("Storm warning", "Gale zqgale tonight.")]))
    calls = []
    real = IsolatedExtractor.extract

    def spy(self, path, *args, **kwargs):
        calls.append((os.path.basename(path), kwargs.get("start"), kwargs.get("first")))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(IsolatedExtractor, "extract", spy)
    lib.indexer.index()
    assert calls == [("Inbox", size, 3)]
    docs = _docs(lib)
    assert docs["Inbox › message 3"].title == "Storm warning"
    assert docs["Inbox › message 1"].indexed_at == first["Inbox › message 1"].indexed_at
    assert docs["Inbox"].pages == 3


def test_exclusion_and_folder_removal_take_members(tiny_library, tmp_path):
    lib = tiny_library
    folder = _make_folder(tmp_path)
    lib.add_folder(folder)
    lib.indexer.index()
    lib.exclusions.add("*.docx")
    docs = _docs(lib)
    assert "a.zip › dir/b.docx" not in docs and "a.zip › dir/c.txt" in docs
    (folder / "a.zip").write_bytes((folder / "a.zip").read_bytes() + b"")
    os.utime(folder / "a.zip", (1, 1))
    lib.indexer.index()
    assert "a.zip › dir/b.docx" not in _docs(lib)            # reading the zip again leaves it out
    assert lib.catalog.remove_folder(folder) >= 1
    assert lib.catalog.documents() == []


def test_member_paths_cannot_collide_with_files(tmp_path):
    odd = tmp_path / "a.zip\udcff"                            # a name that needs escaping
    stored = member_path(to_db(str(odd)), "x.txt")
    assert display_name(stored) == "a.zip\ufffd › x.txt"
    assert to_db(str(tmp_path / "a.zip") + "/x.txt") != member_path(to_db(str(tmp_path / "a.zip")), "x.txt")


def test_window_opens_a_zip_member_from_its_private_copy(tmp_path, monkeypatch):
    from app.gui import viewer

    (tmp_path / "a.zip").write_bytes(zip_bytes({"dir/b.txt": b"member text", "../evil.txt": b"x"}))
    opened: list[str] = []
    monkeypatch.setattr(viewer, "open_document", lambda path, page=None, tried=False: opened.append(path) or True)
    stored = member_path(to_db(str(tmp_path / "a.zip")), "dir/b.txt")
    try:
        assert viewer.open_document_why(stored, None) is None
        assert opened and opened[0].endswith(os.sep + "b.txt") and not opened[0].startswith(str(tmp_path))
        assert open(opened[0], "rb").read() == b"member text"
        why = viewer.open_document_why(member_path(to_db(str(tmp_path / "a.zip")), "../evil.txt"), None)
        assert why and "path traversal" in why
        assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    finally:
        remove_member_files()


def test_killed_while_writing_an_mbox_resumes_without_reading_again(tmp_path, tiny_model_dir):
    import subprocess
    import sys
    from pathlib import Path

    from core.library import Library

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "box.mbox").write_bytes(mbox_bytes([message(f"Note {i}", f"Body {i} zqnote{i}.") for i in range(5)]))
    db = tmp_path / "lib.sqlite"
    root = Path(__file__).resolve().parents[3]
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from core.library import Library; "
              "lib = Library(path=sys.argv[2], model_path=sys.argv[3]); lib.add_folder(sys.argv[4]); "
              "lib.indexer.index()")
    env = dict(os.environ, LIKEWISE_KILL_AT="write:3", LIKEWISE_TEST_HOOKS="1")
    proc = subprocess.run([sys.executable, "-c", script, str(root), str(db), str(tiny_model_dir), str(folder)],
                          env=env, timeout=300)
    assert proc.returncode == -9                      # killed inside the third message's write
    with Library(path=db, model_path=tiny_model_dir) as lib:
        before = {display_name(d.path): d for d in lib.catalog.documents()}
        assert before["box.mbox"].status == "pending"
        assert {"box.mbox › message 1", "box.mbox › message 2"} <= before.keys()
        assert "box.mbox › message 3" not in before
        lib.indexer.index()
        assert lib.indexer.pending_jobs() == 0
        after = _docs(lib)
        assert after["box.mbox"].status == "indexed" and after["box.mbox"].pages == 5
        assert [after[f"box.mbox › message {i}"].status for i in range(1, 6)] == ["indexed"] * 5
        assert after["box.mbox › message 1"].indexed_at == before["box.mbox › message 1"].indexed_at
        assert len(lib.searcher.search("zqnote3", mode="keyword")) == 1


def test_message_with_a_thousand_attachments_in_a_library(tiny_library, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    atts = [(f"part{i}.txt", f"attachment number {i} zqpart{i}".encode()) for i in range(1000)]
    write_eml(folder / "many.eml", message("Many parts", "The covering note.", attachments=atts))
    tiny_library.add_folder(folder)
    report = tiny_library.indexer.index()
    assert report.indexed == 1 and report.failed == 0
    docs = _docs(tiny_library)
    assert docs["many.eml"].status == "indexed"
    assert "800 more attachments not read (at most 200 per message)" in docs["many.eml"].error
    assert sum(1 for k in docs if k.startswith("many.eml › ")) == 200
    assert display_name(tiny_library.searcher.search("zqpart199", mode="keyword")[0].path) == "many.eml › part199.txt"
