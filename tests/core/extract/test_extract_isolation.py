"""Extraction in worker processes: every real hostile file ends with a final status, and a
hang, a crash, memory exhaustion or a huge file costs only that file."""

from __future__ import annotations

import csv
import os
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from core.errors import ExtractionError
from core.extract.isolated import IsolatedExtractor, extract_many
from core.extract.options import ExtractOptions

FINAL = {"indexed", "encrypted", "no_text", "error"}


def _manifest(folder: Path) -> dict[str, dict]:
    with open(folder / "manifest.tsv", encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)}


def _children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]


def test_every_shared_file_gets_a_final_status(shared_data):
    files = []
    for sub in ("pdf_real", "pdf_edgecases", "docx"):
        files += sorted(p for p in (shared_data / sub).rglob("*") if p.suffix.lower() in (".pdf", ".docx"))
    assert len(files) > 450
    started = time.monotonic()
    # OCR off: this is about every file ending well; tests/core/extract/test_ocr.py reads scans.
    results = dict(extract_many(files, workers=2, timeout_s=20, memory_mb=1024,
                                options=ExtractOptions(ocr=False)))
    elapsed = time.monotonic() - started
    assert list(results) == [str(p) for p in files]

    for path, result in results.items():
        assert result.status in FINAL, path
        if result.status == "indexed":
            assert result.blocks and all(b.text.strip() for b in result.blocks), path
        else:
            assert result.error and len(result.error) > 8, (path, result.error)
            assert not result.blocks

    edge = shared_data / "pdf_edgecases"
    for name, row in _manifest(edge).items():
        result = results[str(edge / name)]
        if row["category"] == "encrypted":
            assert result.status == "encrypted", name          # a password we do not have
        if row["category"] == "encrypted_empty_user_pw":
            assert result.status != "encrypted", name          # opened with the empty password
            if int(row["words_first40pages_pypdf"] or 0) > 0:
                assert result.status == "indexed", name
        if row["category"] in ("scanned", "image_only"):
            assert result.status == "no_text", name
    bomb = results[str(edge / "resource_bomb/pdfjs__bomb_giant.pdf")]
    assert bomb.status in ("error", "no_text")
    docx_root = shared_data / "docx"
    for name in _manifest(docx_root):
        result = results[str(docx_root / name)]
        assert (result.status == "error") == name.startswith("malformed/"), (name, result.error)

    by_status: dict[str, int] = {}
    for result in results.values():
        by_status[result.status] = by_status.get(result.status, 0) + 1
    assert by_status["indexed"] > 250 and by_status["encrypted"] >= 20 and by_status["no_text"] >= 10

    # A phrase from a known page of a known PDF keeps its page number.
    tracemonkey = results[str(shared_data / "pdf_real/pdfjs/tracemonkey.pdf")]
    pages = {b.page for b in tracemonkey.blocks if "Acknowledgments" in b.text}
    assert pages == {13}
    assert tracemonkey.blocks[0].page == 1 and "Trace-based Just-in-Time" in tracemonkey.blocks[0].text
    print(f"\n{len(files)} files in {elapsed:.1f} s with 2 workers: {by_status}")
    assert _children() == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_hanging_file_times_out_and_the_next_file_works(tmp_path):
    fifo = tmp_path / "never-written.txt"
    os.mkfifo(fifo)                      # opening it for reading blocks forever
    good = tmp_path / "good.txt"
    good.write_text("Still working after the hang.", encoding="utf-8")
    with IsolatedExtractor(timeout_s=2, memory_mb=1024) as ex:
        hung = ex.extract(fifo)
        assert hung.status == "error" and hung.error == "timed out after 2 s"
        after = ex.extract(good)
        assert after.status == "indexed" and after.blocks[0].text == "Still working after the hang."
        assert ex.workers_started == 2
    assert _children() == []


def _wait_for_reader(fifo, timeout: float = 60.0) -> int:
    """Proof that a worker is reading the FIFO: a writer can open it only once a reader
    has. The writer is kept open (and writes nothing), so the reader stays blocked until
    the test closes it."""
    import errno

    deadline = time.monotonic() + timeout
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_crashing_worker_costs_one_file(tmp_path):
    fifo = tmp_path / "stuck.txt"
    os.mkfifo(fifo)
    good = tmp_path / "good.md"
    good.write_text("# Fine\n\nText.", encoding="utf-8")
    with IsolatedExtractor(timeout_s=60, memory_mb=1024) as ex:
        box = {}
        thread = threading.Thread(target=lambda: box.update(result=ex.extract(fifo)))
        thread.start()
        writer = _wait_for_reader(fifo)       # the worker is inside the file now
        try:
            os.kill(ex._proc.pid, signal.SIGSEGV)
            thread.join(timeout=30)
        finally:
            os.close(writer)
        crashed = box["result"]
        assert crashed.status == "error" and crashed.error.startswith("extractor crashed (signal 11")
        assert ex.extract(good).status == "indexed"


def test_memory_limit_and_size_limit(tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as fh:          # sparse: costs no disk
        fh.truncate(400 * 1024 * 1024)
    small = tmp_path / "small.txt"
    small.write_text("small and fine", encoding="utf-8")
    with IsolatedExtractor(timeout_s=60, memory_mb=256, max_file_mb=1024) as ex:
        result = ex.extract(huge)
        assert result.status == "error" and result.error == "ran out of memory (limit 256 MB)"
        assert ex.extract(small).status == "indexed"
    with IsolatedExtractor(max_file_mb=100) as ex:
        result = ex.extract(huge)
        assert result.status == "error" and result.error.startswith("file too large (400 MB")
        assert ex.workers_started == 0        # refused without starting a worker
    assert _children() == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_close_from_another_thread_ends_a_running_extraction(tmp_path):
    fifo = tmp_path / "stuck.txt"
    os.mkfifo(fifo)
    ex = IsolatedExtractor(timeout_s=60)
    errors = []

    def run() -> None:
        try:
            ex.extract(fifo)
        except ExtractionError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    writer = _wait_for_reader(fifo)           # the extraction is under way, blocked reading
    started = time.monotonic()
    try:
        ex.close()
        thread.join(timeout=10)
    finally:
        os.close(writer)
    assert not thread.is_alive() and time.monotonic() - started < 5
    assert len(errors) == 1
    with pytest.raises(ExtractionError):
        ex.extract(fifo)
    assert _children() == []


def test_an_idle_worker_exits_and_the_next_file_starts_a_fresh_one(tmp_path):
    """The worker held ~1 GB for ever after a scan's OCR; now it ends after a while
    without a file, and the next file is read by a new worker, all the same."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("First file.", encoding="utf-8")
    b.write_text("Second file.", encoding="utf-8")
    with IsolatedExtractor(timeout_s=30, memory_mb=1024, idle_exit_s=3600) as ex:
        assert ex.extract(a).status == "indexed"
        pid = ex._proc.pid
        assert ex.worker_running
        assert not ex.end_if_idle(now=time.monotonic() + 10)        # not idle long enough
        assert ex.end_if_idle(now=time.monotonic() + 3601)
        assert not ex.worker_running and pid not in [p.pid for p in _children()]
        assert ex.extract(b).blocks[0].text == "Second file."
        assert ex.workers_started == 2
    assert _children() == []


def test_the_idle_timer_ends_the_worker_by_itself(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Text.", encoding="utf-8")
    with IsolatedExtractor(timeout_s=30, memory_mb=1024, idle_exit_s=0.2) as ex:
        assert ex.extract(f).status == "indexed"
        deadline = time.monotonic() + 30          # a deadline for the condition, not a guess
        while (ex.worker_running or _children()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not ex.worker_running and _children() == []
        assert ex.extract(f).status == "indexed"
