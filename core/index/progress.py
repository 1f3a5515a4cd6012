"""Indexing progress of the two durable stages: words (files read and written) and
meaning (passages encoded), the passage total estimated, each stage's rate and ETA
(core.index.indexer's run tells its Tracker what happens; the Tracker tells the window
through ``events.index_progress`` and the caller's ``progress``). Passages a stopped run
left to encode are counted in from the start (``backlog``), so a resumed run's ETA covers
them too."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from core.events import Events
from core.index.calibrate import EncoderPace
from core.index.stage_costs import StageCosts
from core.types import IndexProgress

ProgressFn = Callable[[IndexProgress], None]

BASIS_FILES = 3           # the passage total and the ETA are told once this many files were read
BASIS_SHARE = 0.25        # ... or this share of the bytes to read (one big file is a basis)
RATE_WINDOW_S = 12.0      # the ETA's speed is that of the last dozen seconds (the start is slower)
ENCODER_PACE_S = 4.0      # the encoder's pace is that of its last 4 s of work


class Tracker:
    """Progress accounting: files, passages, rate and ETA; told to ``progress`` and to
    ``events.index_progress``.

    Passages count as done when encoded (after each encoder batch, so a long document's
    progress moves while it is encoded), and the total is estimated from the bytes of the
    files still to read times the passages per byte of the files read so far (per file
    type).

    The ETA is the longer of the two stages' remaining work, each at its own measured
    pace: the encoder's (passages left / passages per second of encoding, its idle time
    not counted) and the extraction's (bytes left x seconds per byte of the files read,
    per type, plus the pages left of a file being read by OCR x seconds per OCR page).
    One pace alone misled: a scanned file read by OCR for 50 s stalls the passage count
    while the extraction is what is left, and once the extraction has run ahead the
    encoder's pace is all that matters. A large run, its encoder calibrated, counts the
    encoder's work left kind by kind instead (core/index/stage_costs.py)."""

    def __init__(self, total: int, progress: ProgressFn | None, events: Events | None = None) -> None:
        self.lock = threading.RLock()    # the extraction thread reports scanned pages too
        self.p = IndexProgress(files_total=total, phase="indexing")
        self.fn = progress
        self.events = events
        self.start = time.monotonic()
        self.sizes: dict[str, int] = {}              # stored path -> bytes, files not read yet
        self.left_by_type: dict[str, int] = {}       # suffix -> bytes not read yet
        # suffix -> [bytes read, passages, seconds extracting (OCR apart)]
        self.read_by_type: dict[str, list[float]] = {}
        self.passages_read = 0                       # passages of the files read (exact)
        self.passages_left_over = 0                  # of them, those a stopped run left to encode
        self.planned_files = 0                       # file jobs planned and their bytes
        self.planned_bytes = 0
        self.files_read = 0                          # of those, read with passages, and their bytes
        self.bytes_read = 0
        self.committed = 0                           # passages written
        self.in_flight = 0                           # passages of the group being encoded, encoded so far
        self._history: list[tuple[float, int]] = []     # (time, passages done), the last RATE_WINDOW_S
        self._file_history: list[tuple[float, int]] = []  # (time, files done), the same for the first stage
        self.ocr_s = 0.0                             # seconds of OCR, all files
        self.ocr_pages = 0                           # pages those seconds read
        self._ocr_now: tuple[str, int, int, float] | None = None  # file, page, pages, since
        self._ocr_s_of: dict[str, float] = {}        # OCR seconds of files not read yet
        self._batches: list[tuple[float, int]] = []  # (seconds, passages) of the last encoder batches
        self._batch_from: tuple[float, int] | None = None  # (time, passages) the next batch starts at
        self._group_work: tuple[float, int] = (0.0, 0)   # (seconds, passages) of the group in hand
        self._groups: list[tuple[float, int]] = []       # (seconds, passages) of the last groups
        self.encoded = 0                             # passages through the second stage in this run,
        self.really_encoded = 0                      # of them read by the encoder (not a known text),
        self.reused_n = 0                            # and those written with a known vector (copies)
        self.costs: StageCosts | None = None         # the second stage's work left (calibrated runs)
        self._group_counts = (0, 0)                  # (passages, of them encoded) of the group in hand
        self._committed_at_group = 0                 # passages written when the last group ended
        self.words_over = False                      # every planned file was read

    # -- what the indexer tells it --------------------------------------------------------
    def plan(self, sizes: dict[str, int]) -> None:
        """The file jobs to read and their sizes in bytes (for the passage estimate)."""
        with self.lock:
            self.sizes = dict(sizes)
            self.planned_files, self.planned_bytes = len(sizes), sum(sizes.values())
            self.left_by_type = {}
            for path, size in sizes.items():
                t = _file_type(path)
                self.left_by_type[t] = self.left_by_type.get(t, 0) + size

    def calibrated(self, pace: EncoderPace | None) -> None:
        """The encoder's pace with the machine to itself, measured before the files are
        read (core/index/calibrate.py): from here the ETA counts the second stage's work
        left kind by kind (core/index/stage_costs.py)."""
        with self.lock:
            self.costs = StageCosts(pace) if pace is not None else None

    def queued(self, codes: list[int], tokens: list[int]) -> None:
        """A document was written whose passages with these text codes (and tokens) wait
        for a vector."""
        with self.lock:
            if self.costs is not None:
                self.costs.queued(codes, tokens, self.passages_read)

    def texts_encoded(self, codes: list[int]) -> None:
        """A group's texts have their vectors now."""
        with self.lock:
            if self.costs is not None:
                self.costs.encoded(codes)

    def read(self, path: str, passages: int | None, seconds: float) -> None:
        """A file was read (``passages`` None: unchanged or failed; it needs no encoding)
        in ``seconds`` (its OCR included)."""
        with self.lock:
            self._read(path, passages, seconds)
            if not self.words_over and self.planned_files and not any(self.left_by_type.values()):
                # every file is read: the encoder has the machine now, its pace starts afresh
                self.words_over = True
                self._groups.clear()
                self._batches.clear()

    def _read(self, path: str, passages: int | None, seconds: float) -> None:
        size = self.sizes.pop(path, None)
        ocr_s = self._ocr_s_of.pop(path, 0.0)
        if self._ocr_now is not None and self._ocr_now[0] == path:
            self._ocr_now = None
        if size is None:
            return
        t = _file_type(path)
        self.left_by_type[t] = max(self.left_by_type.get(t, 0) - size, 0)
        if passages is not None:
            seen = self.read_by_type.setdefault(t, [0, 0, 0.0])
            seen[0] += size
            seen[1] += passages
            seen[2] += max(seconds - ocr_s, 0.0)
            self.passages_read += passages
            self.files_read += 1
            self.bytes_read += size
        else:                    # unchanged or failed: one file fewer to sample
            self.planned_files -= 1
            self.planned_bytes -= size

    def encoding(self, done: int) -> None:
        """The encoder finished a batch: ``done`` passages of the current group. Every
        batch is told (batches are sized to about a second: Indexer.encode); dropping one
        could leave a stale count on screen while the next batch runs."""
        with self.lock:
            now = time.monotonic()
            if self._batch_from is not None and done > self._batch_from[1]:
                took, n = now - self._batch_from[0], done - self._batch_from[1]
                self._batches.append((took, n))
                del self._batches[:-256]
                self._group_work = (self._group_work[0] + took, self._group_work[1] + n)
            self._batch_from = (now, done)
            self.in_flight = max(self.in_flight, done)
            self._emit()

    def ocr_page(self, path: str, page: int, pages: int) -> None:
        """The worker started OCR page ``page`` of ``pages`` of ``path`` ((0, 0): done)."""
        now = time.monotonic()
        with self.lock:
            held = self._ocr_now
            if held is not None and held[0] == path and page != held[1]:
                took = now - held[3]
                self.ocr_s += took
                self.ocr_pages += 1
                self._ocr_s_of[path] = self._ocr_s_of.get(path, 0.0) + took
            self._ocr_now = (path, page, pages, now) if pages else None

    def encode_began(self) -> None:
        """The encoder starts on a group (its batches are timed from here)."""
        with self.lock:
            self._batch_from = (time.monotonic(), 0)

    def encoder_pace(self) -> float | None:
        """Seconds per passage of the encoder's work (its idle time, waiting for the
        extraction, not counted): over its last whole groups, RATE_WINDOW_S of them, once
        one is done; before, over its last ENCODER_PACE_S of batches. A group's batches
        go longest passages first, so a batch's pace says little about the group's."""
        seconds = passages = 0.0
        window = RATE_WINDOW_S if self._groups else ENCODER_PACE_S
        for s, n in reversed(self._groups or self._batches):
            seconds += s
            passages += n
            if seconds >= window:
                break
        return seconds / passages if passages else None

    def backlog(self, passages: int) -> None:
        """Passages a stopped run left without vectors (or a model switch queued): known
        exactly, to be encoded in this run."""
        with self.lock:
            self.passages_read += passages
            self.passages_left_over += passages

    def reused(self, passages: int) -> None:
        """A document's passages that need no encoding (vectors known by text hash, or a
        copy's) were written: they count as encoded."""
        with self.lock:
            self.committed += passages
            self.reused_n += passages
            self._emit()

    def written(self, passages: int, encoded: int | None = None) -> None:
        """A group's passages were written with their vectors; ``encoded`` of them went
        through the encoder (the others took the vector of a text encoded before)."""
        with self.lock:
            self.committed += passages
            self.encoded += passages
            fresh = passages if encoded is None else min(encoded, passages)
            self.really_encoded += fresh
            self._group_counts = (passages, fresh)
            self.in_flight = max(self.in_flight - passages, 0)

    def group_done(self, seconds: float | None = None, graph_s: float = 0.0) -> None:
        """The group in hand is done; ``seconds``: all it took the encoder's thread, of
        which ``graph_s`` keeping the search graph up to date."""
        with self.lock:
            self.in_flight = 0
            self._batch_from = None
            if self.costs is not None and seconds is not None:
                passages, fresh = self._group_counts
                self.costs.group(self.words_over, seconds, self._group_work[0], graph_s, passages, fresh,
                                 self.committed - self._committed_at_group)
            self._committed_at_group = self.committed
            self._group_counts = (0, 0)
            if self._group_work[1]:
                self._groups.append(self._group_work)
                del self._groups[:-256]
            self._group_work = (0.0, 0)

    def has_basis(self) -> bool:
        """Whether enough was read for an estimate that is not a wild guess: BASIS_FILES
        files (or all there are), or BASIS_SHARE of the bytes. Until then the window says
        "estimating…" (the first file alone once promised 10,396 passages for 3,395)."""
        if not self.files_read:
            return False
        return (self.files_read >= min(BASIS_FILES, max(self.planned_files, 1))
                or self.bytes_read >= BASIS_SHARE * self.planned_bytes)

    def estimated_total(self) -> int | None:
        """Passages of this run: those read plus bytes left times passages per byte."""
        bytes_read = sum(b for b, _, _ in self.read_by_type.values())
        if not bytes_read:
            return self.passages_read or None
        overall = sum(n for _, n, _ in self.read_by_type.values()) / bytes_read   # the backlog apart
        rest = 0.0
        for t, left in self.left_by_type.items():
            b, n, _ = self.read_by_type.get(t, (0, 0, 0.0))
            rest += left * (n / b if b else overall)
        return int(round(self.passages_read + rest))

    def emit(self, **changes: Any) -> None:
        with self.lock:
            self._emit(**changes)

    def _emit(self, **changes: Any) -> None:
        for k, v in changes.items():
            setattr(self.p, k, v)
        if self.committed or self.in_flight:
            self.p.chunks_done = max(self.p.chunks_done, self.committed + self.in_flight)
        now = time.monotonic()
        elapsed = max(now - self.start, 1e-6)
        self.p.chunks_per_s = self.p.chunks_done / elapsed
        basis = self.has_basis() or not self.planned_files
        # before a basis, only what is known exactly: passages a stopped run left to encode
        total = self.estimated_total() if basis else (self.passages_left_over or None)
        if total is not None:
            self.p.chunks_total = max(total, self.p.chunks_done)
        rate = self._recent_rate(now)
        left = self.p.files_total - self.p.files_done
        self._words_stage(now, elapsed, left)
        staged = self._stage_eta(now) if basis else None
        if left <= 0 and (total is None or self.p.chunks_done >= self.p.chunks_total):
            self.p.eta_s = 0.0
        elif not basis:
            self.p.eta_s = None
        elif staged is not None:
            self.p.eta_s = staged
        elif total is not None and rate:
            self.p.eta_s = max(self.p.chunks_total - self.p.chunks_done, 0) / rate
        elif total is not None:
            # passages are coming but none is encoded yet (a scan read by OCR first):
            # files done say nothing of the time left ("ETA 1 h 24 min" after 2 files)
            self.p.eta_s = None
        elif self.p.files_done:
            self.p.eta_s = elapsed / self.p.files_done * left
        self.p.meaning_eta_s = self.p.eta_s
        if self.events is not None:
            self.events.index_progress.emit(self.p)
        if self.fn:
            self.fn(self.p)

    def _words_stage(self, now: float, elapsed: float, left: int) -> None:
        """The first stage's rate (files per second over the last RATE_WINDOW_S) and ETA
        (the extraction's measured pace on the bytes left; files left at the files' rate
        until one file is measured)."""
        done = self.p.files_done
        if not self._file_history or self._file_history[-1][1] != done:
            self._file_history.append((now, done))
        while len(self._file_history) > 2 and now - self._file_history[1][0] >= RATE_WINDOW_S:
            self._file_history.pop(0)
        t0, d0 = self._file_history[0]
        self.p.files_per_s = (done - d0) / (now - t0) if done > d0 and now > t0 else done / elapsed
        if left <= 0:
            self.p.words_eta_s = 0.0
            return
        extracting = self._extraction_left(now)
        if extracting is not None:
            self.p.words_eta_s = extracting
        elif self.p.files_per_s > 0:
            self.p.words_eta_s = left / self.p.files_per_s
        else:
            self.p.words_eta_s = None

    def _extraction_left(self, now: float) -> float | None:
        """Seconds of extraction left: bytes left x seconds per byte of the files read (per
        type), plus the OCR left of the file in hand. None until a file was measured."""
        spent = sum(s for _, _, s in self.read_by_type.values())
        read = sum(b for b, _, _ in self.read_by_type.values())
        if not read:
            return None
        extracting = 0.0
        for t, left in self.left_by_type.items():
            b, _, s = self.read_by_type.get(t, (0, 0, 0.0))
            extracting += left * (s / b if b else spent / read)
        return self._ocr_left(now) + extracting

    def _ocr_left(self, now: float) -> float:
        if self._ocr_now is None or not self.ocr_pages:
            return 0.0
        _path, page, pages, since = self._ocr_now
        per_page = self.ocr_s / self.ocr_pages
        return max(max(pages - page + 1, 0) * per_page - min(now - since, per_page), 0.0)

    def _stage_eta(self, now: float) -> float | None:
        """Seconds left (None until the encoder's pace is measured). Calibrated: the work
        left kind by kind (core/index/stage_costs.py). Without a calibration (short runs):
        the longer of the encoding at the encoder's pace and the extraction; of the
        passages still to read, only the share that needed encoding so far will (the rest
        reuse a known vector)."""
        waiting = max(self.passages_read - self.p.chunks_done, 0)
        unread_all = max(self.p.chunks_total - max(self.passages_read, self.p.chunks_done), 0)
        over = not any(self.left_by_type.values())
        if self.costs is not None:
            backlog = max(self.passages_left_over - self.encoded, 0)
            return self.costs.seconds_left(None if over else self._extraction_left(now), over,
                                           self.passages_read, unread_all, waiting, backlog)
        pace = self.encoder_pace()
        handled = self.encoded + self.reused_n
        unread = unread_all * (self.encoded / handled if handled else 1.0)
        if over:
            return None if pace is None else (waiting + unread) * pace
        extraction = self._extraction_left(now)
        if pace is None or extraction is None:
            return None
        ocr = self._ocr_left(now)
        return max((waiting + unread) * pace, ocr + max(extraction - ocr, unread * pace))

    def _recent_rate(self, now: float) -> float | None:
        """Passages per second over the last RATE_WINDOW_S (the start, model loading and
        the first extraction, is not the pace of the rest)."""
        done = self.p.chunks_done
        if not done:
            return None
        if not self._history or self._history[-1][1] != done:
            self._history.append((now, done))
        while len(self._history) > 2 and now - self._history[1][0] >= RATE_WINDOW_S:
            self._history.pop(0)
        t0, d0 = self._history[0]
        if done > d0 and now - t0 > 0:
            return (done - d0) / (now - t0)
        return done / max(now - self.start, 1e-6)


def _file_type(path: str) -> str:
    return os.path.splitext(path)[1].lower()
