"""A scanned document being read by OCR does not hold back the files behind it
(core/index/lanes.py). The extraction workers are replaced by fakes so that the scan
is held at a gate for exactly as long as the test needs: no timing involved."""

from __future__ import annotations

import threading
from pathlib import Path

from core.types import INDEXED, Block, ExtractResult


class FakeExtractor:
    """Reads a .txt file's text; "scan.txt" is "OCR'd": it reports scanned pages, then
    waits at the gate."""

    def __init__(self, gate: threading.Event, reading: threading.Event, used: list[str], name: str) -> None:
        self.gate, self.reading, self.used, self.name = gate, reading, used, name
        self.closed = False

    def extract(self, path, options, pages=None):
        self.used.append(f"{self.name}:{Path(path).name}")
        if Path(path).name == "scan.txt" and pages is not None:
            pages(1, 3)
            self.reading.set()
            assert self.gate.wait(60), "the test never released the scan"
            pages(3, 3)
        text = Path(path).read_text(encoding="utf-8")
        return ExtractResult(status=INDEXED, blocks=[Block(text=text, page=1)], pages=1, title=Path(path).stem)

    def close(self) -> None:
        self.closed = True


def test_files_behind_a_scan_are_indexed_while_it_is_read(tmp_path, tiny_library, monkeypatch):
    lib = tiny_library
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a-first.txt").write_text("The first note is about harbour pilots.", encoding="utf-8")
    (docs / "scan.txt").write_text("Scanned minutes of the rowing club.", encoding="utf-8")
    behind = [f"z-note-{i}.txt" for i in range(6)]
    for i, name in enumerate(behind):
        (docs / name).write_text(f"Note {i} on lighthouse keepers and their logs.", encoding="utf-8")
    gate, reading, used = threading.Event(), threading.Event(), []
    made: list[FakeExtractor] = []

    def fake(name):
        def make(*args, **kwargs):
            made.append(FakeExtractor(gate, reading, used, name))
            return made[-1]
        return make

    indexer = lib.indexer
    monkeypatch.setattr(indexer, "_extractor", None)
    monkeypatch.setattr(type(indexer), "_warm_extractor", lambda self: self._extractor or fake("first")())
    monkeypatch.setattr(type(indexer), "new_extractor", lambda self: fake("second")())
    lib.add_folder(docs)
    reports = []
    run = threading.Thread(target=lambda: reports.append(lib.indexer.index()))
    run.start()
    try:
        assert reading.wait(60)
        # held inside the scan: the second lane indexes everything behind it
        for _ in range(600):
            titles = {d.title for d in lib.catalog.documents() if d.status == "indexed"}
            if {Path(n).stem for n in behind} | {"a-first"} <= titles:
                break
            gate.wait(0.1)
        titles = {d.title for d in lib.catalog.documents() if d.status == "indexed"}
        assert {Path(n).stem for n in behind} | {"a-first"} <= titles and "scan" not in titles
        after_scan = used[used.index("first:scan.txt") + 1:]
        assert after_scan and all(u.startswith("second:") for u in after_scan), used
    finally:
        gate.set()
        run.join(60)
    report = reports[0]
    assert not run.is_alive() and report.files_seen == 8 and report.failed == 0
    assert {d.title for d in lib.catalog.documents() if d.status == "indexed"} == {
        "a-first", "scan", *(Path(n).stem for n in behind)}
    assert [m.closed for m in made if m.name == "second"] == [True]   # per run, ended with it


def test_without_a_scan_one_lane_reads_every_file_in_order(tmp_path, tiny_library, monkeypatch):
    lib = tiny_library
    docs = tmp_path / "docs"
    docs.mkdir()
    names = [f"note-{i}.txt" for i in range(5)]
    for i, name in enumerate(names):
        (docs / name).write_text(f"Note {i} about tides.", encoding="utf-8")
    used: list[str] = []
    never = threading.Event()
    indexer = lib.indexer
    monkeypatch.setattr(indexer, "_extractor", FakeExtractor(never, threading.Event(), used, "first"))
    monkeypatch.setattr(type(indexer), "new_extractor",
                        lambda self: (_ for _ in ()).throw(AssertionError("no second worker without a scan")))
    lib.add_folder(docs)
    report = lib.indexer.index()
    assert report.failed == 0 and sorted(used) == [f"first:{n}" for n in names]
