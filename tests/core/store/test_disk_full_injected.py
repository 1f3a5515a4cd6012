"""The real full disk of tests/core/store/test_disk_full.py needs a tmpfs mount, refused in most
containers; here the file system's answer itself, ENOSPC, is raised inside a document's
write (core/faults.py, LIKEWISE_FAIL_AT), so the check runs everywhere (issue 32)."""

from __future__ import annotations

import pytest
from library_checks import assert_consistent, passages, write_notes

from core import faults
from core.errors import DiskFullError
from core.library import Library


@pytest.fixture
def enospc_at(monkeypatch):
    def arm(point: str) -> None:
        monkeypatch.setenv("LIKEWISE_TEST_HOOKS", "1")
        monkeypatch.setenv("LIKEWISE_FAIL_AT", point)
        faults._load()

    yield arm
    monkeypatch.delenv("LIKEWISE_FAIL_AT", raising=False)
    monkeypatch.delenv("LIKEWISE_TEST_HOOKS", raising=False)
    faults._load()


def test_enospc_in_the_document_write_stops_and_resumes(tmp_path, tiny_model_dir, enospc_at):
    clean_folder = tmp_path / "clean" / "docs"
    write_notes(clean_folder, 0, 12)
    with Library(path=tmp_path / "clean" / "lib.sqlite", model_path=tiny_model_dir) as clean:
        clean.add_folder(clean_folder)
        clean.indexer.index()
        expected = passages(clean, clean_folder)

    folder = tmp_path / "docs"
    write_notes(folder, 0, 12)
    db = tmp_path / "lib.sqlite"
    with Library(path=db, model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)                    # only adds: reconcile queues the files
        lib.indexer.reconcile()
        enospc_at("write:5")                   # the fifth document's write meets a full disk
        with pytest.raises(DiskFullError, match="the disk holding the library is full"):
            lib.indexer.process_jobs()
        assert_consistent(db)
        docs = lib.catalog.documents(status="indexed")
        assert len(docs) == 4                     # the four before it stay, searchable
        # the one in hand stays queued, not blamed; the four written may still wait for
        # their vectors (words first: the meaning stage runs beside the writes)
        assert lib.indexer.jobs.file_jobs_pending() == 12 - 4
        assert lib.indexer.pending_jobs() - (12 - 4) <= 4
        assert not [d for d in lib.catalog.documents() if d.error]
        assert lib.searcher.search("quillback ledger", mode="keyword", k=3)
        report = lib.indexer.index()              # space freed (the hook fires once)
        assert not report.cancelled and report.failed == 0 and lib.indexer.pending_jobs() == 0
        assert passages(lib, folder) == expected
    assert_consistent(db)

