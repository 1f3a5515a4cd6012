"""Indexing progress that does not go stale: passages move inside a long document's
encode, the total is estimated from passages, and the window shows it (pytest-qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading

import pytest

from tests.gui_shots import shot

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

WORDS = ("river bridge museum contract violin compiler pollen harvest thunder lantern garden "
         "harbour engine orbit meadow ledger canyon quartz").split()


def _long_text(paragraphs: int) -> str:
    out = []
    for i in range(paragraphs):
        words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(45)]
        out.append(f"Paragraph {i}: " + " ".join(words) + ".")
    return "\n\n".join(out) + "\n"


class EncoderGate:
    """Holds the indexer inside a long encode, after ``batches`` batches have been
    reported: the test looks at the window while a document is half encoded."""

    def __init__(self, monkeypatch, batches: int, min_texts: int) -> None:
        from core.encoder.model import SentenceEncoder

        self.reached = threading.Event()
        self.release = threading.Event()
        self.held_at = 0
        original = SentenceEncoder.encode

        def encode(enc, texts, batch_size=32, progress=None, cancel=None, normalize=None):
            if progress is None or len(texts) < min_texts:
                return original(enc, texts, batch_size=batch_size, progress=progress, cancel=cancel,
                                normalize=normalize)

            def held(done, total):
                progress(done, total)
                if done >= batches * batch_size and not self.release.is_set():
                    self.held_at = done
                    self.reached.set()
                    self.release.wait(120)

            return original(enc, texts, batch_size=batch_size, progress=held, cancel=cancel, normalize=normalize)

        monkeypatch.setattr(SentenceEncoder, "encode", encode)


def test_tracker_estimates_passages_from_bytes_and_counts_encoded_batches():
    from core.index.progress import Tracker

    seen = []
    t = Tracker(3, seen.append)
    t.plan({"/a/one.txt": 1000, "/a/two.txt": 3000, "/a/three.pdf": 5000})
    t.read("/a/one.txt", 10, 0.1)               # 10 passages per 1000 bytes of text
    assert t.estimated_total() == 10 + 30 + 50
    t.read("/a/three.pdf", 20, 0.5)             # pdf has its own rate; text keeps its own
    assert t.estimated_total() == 10 + 30 + 20
    t.encoding(8)                            # a batch of the first group is encoded
    assert seen[-1].chunks_done == 8 and seen[-1].chunks_total == 60
    t.written(10)
    t.group_done()
    t.emit()
    assert seen[-1].chunks_done == 10
    t.read("/a/two.txt", None, 0.1)             # unchanged: it needs no passages
    t.emit()
    assert seen[-1].chunks_total == 30 and seen[-1].eta_s is not None


def test_progress_moves_while_a_long_document_is_encoded(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    from app.gui.main_window import MainWindow
    from core.settings import Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a-long-report.txt").write_text(_long_text(240), encoding="utf-8")
    (docs / "b-short-note.txt").write_text(_long_text(6), encoding="utf-8")
    gate = EncoderGate(monkeypatch, batches=3, min_texts=60)
    w = MainWindow(settings=Settings(batch_size=8), library_path=tmp_path / "lib.sqlite",
                   model_path=tiny_model_dir, watch=False)
    qtbot.addWidget(w)
    w.resize(1100, 500)
    w.show()
    w.start()
    try:
        qtbot.waitUntil(lambda: w.lib is not None and w.model_loaded, timeout=120_000)
        w.add_folder(str(docs))
        qtbot.waitUntil(gate.reached.is_set, timeout=120_000)
        # held inside the long document's encode, after three batches
        qtbot.waitUntil(lambda: w.progress.last is not None and w.progress.last.chunks_done >= gate.held_at > 0,
                        timeout=30_000)
        p = w.progress.last
        # words first: the long document is written (searchable by words) before it is encoded
        assert p.files_done >= 1 and p.phase == "indexing"
        assert p.chunks_total >= 60 and p.chunks_done < p.chunks_total
        assert p.eta_s is not None and p.eta_s > 0
        text = w.progress.label.text()
        assert f"{p.chunks_done:,} of ~{p.chunks_total:,} passages" in text and "ETA" in text
        assert w.progress.bar.maximum() == p.chunks_total and w.progress.bar.value() == p.chunks_done
        shot(w, "20-indexing-progress-inside-a-long-document")
        gate.release.set()
        qtbot.waitUntil(lambda: w.progress.last.phase == "done", timeout=120_000)
        passages = sum(d.chunks for d in w.lib.catalog.documents())
        assert w.progress.last.chunks_done == passages
    finally:
        gate.release.set()
        w.close()
        qtbot.waitUntil(lambda: w.shutdown_done, timeout=60_000)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_eta_counts_the_pages_left_to_ocr_and_not_the_encoder_waiting(monkeypatch):
    """A scanned file read by OCR stalls the passage count; the ETA must come from the
    pages still to read, not from passages per second of the run (which fall towards
    zero while the OCR runs: the old ETA showed 1,060 s with 35 s left)."""
    import core.index.progress as ix

    clock = FakeClock()
    monkeypatch.setattr(ix.time, "monotonic", clock)
    seen = []
    t = ix.Tracker(3, seen.append)
    t.plan({"/a/first.pdf": 100_000, "/a/scan.pdf": 100_000, "/a/last.pdf": 100_000})
    clock.now += 1.0
    t.read("/a/first.pdf", 100, 1.0)          # 1 s for 100,000 bytes, 100 passages
    t.encode_began()
    for done in (50, 100):                    # the encoder: 50 passages per second
        clock.now += 1.0
        t.encoding(done)
    t.written(100)
    t.group_done()
    # the second file is a scan of 20 pages; each takes 2 s
    for page in range(1, 6):
        t.ocr_page("/a/scan.pdf", page, 20)
        clock.now += 2.0
    t.ocr_page("/a/scan.pdf", 6, 20)
    clock.now += 60.0                          # a minute later: nothing else happened...
    t.ocr_page("/a/scan.pdf", 7, 20)          # ...page 6 took a minute
    t.emit()
    per_page = (5 * 2.0 + 60.0) / 6
    # pages 7..20 of the scan, then the encoding of the passages of the scan and of the
    # last file (200, estimated from the first file's passages per byte: 4 s), which
    # is longer than the last file's extraction (1 s)
    assert seen[-1].eta_s == pytest.approx(14 * per_page + 4.0, rel=1e-6)
    # the scan is read: its OCR is not counted in the seconds per byte of extraction
    clock.now += 5.0
    t.ocr_page("/a/scan.pdf", 0, 0)
    t.read("/a/scan.pdf", 100, 76.0)          # 75 s of OCR and 1 s for its text layer
    t.emit()
    # 100 passages waiting (2 s), the last file's 100 (2 s); its extraction, 1 s, goes
    # on while the encoder works
    assert seen[-1].eta_s == pytest.approx(4.0, rel=1e-6)


def test_no_passage_total_nor_eta_before_a_fair_sample_was_read(monkeypatch):
    """The first file alone is no basis: one dense file once promised "~10,396 passages,
    ETA 2 min 53 s" for a run of 3,395 passages and 90 s. Until three files (or a
    quarter of the bytes) are read, the line says "estimating…"."""
    import core.index.progress as ix
    from app.gui.progress import progress_line

    clock = FakeClock()
    monkeypatch.setattr(ix.time, "monotonic", clock)
    seen = []
    t = ix.Tracker(10, seen.append)
    t.plan({f"/a/f{i}.txt": 10_000 for i in range(10)})
    clock.now += 1.0
    t.read("/a/f0.txt", 300, 1.0)               # a dense first file
    t.encode_began()
    clock.now += 1.0
    t.encoding(100)
    t.emit(files_done=1)
    assert seen[-1].chunks_total == 0 and seen[-1].eta_s is None
    assert "ETA estimating\u2026" in progress_line(seen[-1]) and "of ~" not in progress_line(seen[-1])
    t.read("/a/f1.txt", 40, 1.0)
    t.read("/a/f2.txt", 40, 1.0)                # three files: now there is a basis
    clock.now += 1.0
    t.encoding(200)
    t.emit(files_done=3)
    assert seen[-1].chunks_total == round(380 + 70_000 * 380 / 30_000)    # 1,267
    assert seen[-1].eta_s is not None and "ETA estimating" not in progress_line(seen[-1])
