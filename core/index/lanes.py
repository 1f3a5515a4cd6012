"""Files read ahead of the encoder: one extraction lane, and a second while the first reads scans.

The first lane takes file jobs in order and prepares them (extraction in the isolated
worker, then chunking) into a bounded queue that the encoder drains. A scanned document
can keep one worker busy for minutes (TAMReview.pdf: 21 pages by OCR, about 50 s while
the encoder runs beside it), and with a single lane every file behind it waited while
the encoder ran dry. So when the first lane's worker starts reading scanned pages, a
second lane, with a worker of its own, takes the next jobs until that OCR ends; when no
scan is being read it waits, so that ordinary runs keep their order and one worker.

Documents stay independent: each is written complete, in whichever group it arrives.
The second lane counts into its own IndexReport, added to the run's when the lanes end,
so the two threads never update one counter. ``get`` gives the prepared items and
returns None only after every lane that started has ended.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from core.extract.options import Extractor
from core.index.jobs import FileJobCursor
from core.index.prepare import Prepared
from core.index.progress import Tracker
from core.index.seams import IndexerParts
from core.types import IndexReport

POLL_S = 0.2


class ExtractionLanes:
    def __init__(self, indexer: IndexerParts, report: IndexReport, tracker: Tracker, extractor: Extractor,
                 new_extractor: Callable[[], Extractor], read_ahead: int) -> None:
        self.indexer = indexer
        self.report = report
        self.tracker = tracker
        self.extractors = [extractor]
        self.new_extractor = new_extractor
        self.work: queue.Queue = queue.Queue(maxsize=read_ahead)
        self.stop = threading.Event()
        self.cursor = FileJobCursor(indexer.jobs)    # each file job to one lane
        self.reading_scans = threading.Event()     # the first lane's worker is doing OCR
        self.first_done = threading.Event()
        self.reports = [report]
        self.threads: list[threading.Thread] = []
        self.started = 0
        self.ended = 0
        self.lock = threading.Lock()               # starting a lane vs closing them all

    # -- the consumer's side -----------------------------------------------------------
    def start(self) -> None:
        self._start_lane(0)

    def get(self, timeout: float) -> Any:
        """The next prepared item (or an exception a lane raised); None once all lanes
        have ended. Raises queue.Empty after ``timeout`` with nothing new."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.work.get(timeout=max(deadline - time.monotonic(), 0.001))
            if item is not None:
                return item
            self.ended += 1
            if self.ended >= self.started:
                return None

    def close(self) -> bool:
        """Stop the lanes. A lane still extracting (cancel, error) has its worker ended at
        once; returns False when that was the first lane's worker, which the indexer
        keeps between runs and must now start afresh. The second lane's worker always
        ends here; its counts join the run's report."""
        with self.lock:
            self.stop.set()
        first_busy = bool(self.threads) and self.threads[0].is_alive()
        if first_busy:
            self.extractors[0].close()
        for extractor in self.extractors[1:]:
            extractor.close()
        for thread in self.threads:
            thread.join(timeout=5)
        for extra in self.reports[1:]:
            _add_into(self.report, extra)
        return not first_busy

    # -- the lanes -----------------------------------------------------------------------
    def _start_lane(self, lane: int) -> None:
        if lane > 0:
            self.extractors.append(self.new_extractor())
            self.reports.append(IndexReport())
        self.started += 1
        thread = threading.Thread(target=self._run, args=(lane,), name=f"likewise-extract-{lane}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _scanned(self, lane: int) -> Callable[[str, int, int], None]:
        def hear(path: str, n: int, total: int) -> None:
            """OCR progress from a worker: "reading scanned page n/total"."""
            tracker = self.tracker
            tracker.ocr_page(path, n, total)
            if total or tracker.p.scanned_pages:
                tracker.emit(current_file=path, scanned_page=n, scanned_pages=total,
                             message=f"reading scanned page {n}/{total}" if total else None)
            if lane == 0:
                if total:
                    self.reading_scans.set()
                    with self.lock:
                        if self.started == 1 and not self.stop.is_set():
                            self._start_lane(1)
                else:
                    self.reading_scans.clear()
        return hear

    def _run(self, lane: int) -> None:
        extractor, report, scanned = self.extractors[lane], self.reports[lane], self._scanned(lane)
        try:
            while not self.stop.is_set():
                if lane > 0 and not self.reading_scans.wait(POLL_S):
                    if self.first_done.is_set():
                        break
                    continue
                job = self.cursor.claim()
                if job is None:
                    break
                began = time.monotonic()
                item = self.indexer.preparer.prepare(job, extractor, report, self.stop, scanned, self._put)
                if item is None:
                    break
                passages = len(item.chunks) if isinstance(item, Prepared) else None
                self.tracker.read(job.path or "", passages, time.monotonic() - began)
                self._put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self.work.put(exc)
        finally:
            if lane == 0:
                self.first_done.set()
            self.work.put(None)

    def _put(self, item: Any) -> None:
        while not self.stop.is_set():
            try:
                self.work.put(item, timeout=POLL_S)
                return
            except queue.Full:
                continue


def _add_into(report: IndexReport, extra: IndexReport) -> None:
    for f in fields(IndexReport):
        value = getattr(extra, f.name)
        if f.name == "failures":
            report.failures.extend(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            setattr(report, f.name, getattr(report, f.name) + value)
