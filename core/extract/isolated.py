"""Extraction in a worker process, so that one hostile file costs only itself.

    with IsolatedExtractor(timeout_s=60, memory_mb=4096) as ex:
        result = ex.extract(path)          # core.types.ExtractResult, never raises for a bad file

    for path, result in extract_many(paths, workers=2):   # a small pool, results in input order
        ...

How and why:

- The worker is a plain child process running ``python -m core.extract.worker``, talking
  length-prefixed pickles over its stdin/stdout (core/extract/worker.py). Not
  multiprocessing: "fork" would copy a parent that holds torch's threads, and "spawn"
  re-imports the parent's __main__ (which may import torch); a fresh interpreter that
  imports only pypdf and python-docx starts in well under a second. A frozen
  (PyInstaller) app starts ``sys.executable --likewise-extract-worker`` instead and must
  dispatch that argument to core.extract.worker.main.
- The worker is long-lived: one process extracts file after file. It limits its own
  address space (RLIMIT_AS, where the OS has it) to memory_mb.
- Per file: a file larger than max_file_mb is refused ("file too large") without being
  read (not an mbox, read message by message). The answer must come within timeout_s,
  otherwise the worker is killed and the file is an error "timed out after 60 s". OCR has a
  budget per scanned page instead: the worker reports each page it starts ("reading scanned page 3/40", passed to the
  caller's progress callback), and each report restarts the clock with
  max(timeout_s, OCR_PAGE_TIMEOUT_S), so a 40-page scan is never killed by a limit meant
  for one text PDF, while one page that hangs still is ("timed out after 180 s reading
  scanned page 3/40"). A dense page (a form, a typed bulletin) costs about 20 CPU
  seconds on two cores; 180 s leaves room for a busy machine. A worker that runs out of memory answers
  "ran out of memory (limit N MB)" and exits; one that dies (a segfault, a kill) makes
  the file an error "extractor crashed (signal N)". Either way the next file starts a
  fresh worker.
- extract() may be called from one thread while close() is called from another (the
  indexer's cancel): close() kills the worker at once and the waiting extract() raises
  core.errors.ExtractionError("the extractor was closed").
- Idle, the worker goes: IDLE_EXIT_S after its last file it is ended (its memory, up to a
  GB after a large scan's OCR, goes back to the system) and the next file starts a fresh
  one (well under a second). A file being read is never cut short by this.
- close() (also on __exit__, garbage collection and interpreter exit) ends the worker and
  reaps it: no zombies, no leaked processes. A worker also exits by itself when its
  parent dies.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import overload

from core.errors import ExtractionError
from core.extract.options import ExtractOptions, MemberFn, PageProgress
from core.extract.worker import read_message, write_message
from core.types import ERROR, Block, ExtractResult, MailFacts, Member

_ROOT = str(Path(__file__).resolve().parents[2])
OCR_PAGE_TIMEOUT_S = 180.0
IDLE_EXIT_S = 60.0         # an idle worker is ended after this long (None: kept)
_LIVE: weakref.WeakSet = weakref.WeakSet()
_EOF = object()


def _streamed(path: str) -> bool:
    """An mbox is read message by message, each one bounded: no limit on the whole file."""
    from core.extract.containers import container_kind

    return container_kind(path) == "mbox"
ANSWERS_AHEAD = 64          # worker messages read ahead of the caller (a container's members)


def _format_seconds(seconds: float) -> str:
    return f"{seconds:g}"


def _worker_command(memory_mb: int) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, "--likewise-extract-worker", str(memory_mb)]
    return [sys.executable, "-m", "core.extract.worker", str(memory_mb)]


def _crash_reason(returncode: int | None, memory_mb: int) -> str:
    if returncode is not None and returncode < 0:
        number = -returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = ""
        reason = f"extractor crashed (signal {number}{': ' + name if name else ''})"
        if number in (getattr(signal, "SIGKILL", 9), getattr(signal, "SIGABRT", 6)):
            reason += f"; it may have run out of memory (limit {memory_mb} MB)"
        return reason
    return f"extractor exited unexpectedly (exit code {returncode})"


def from_plain(answer: dict) -> ExtractResult:
    mail = answer.get("mail")
    return ExtractResult(
        status=answer["status"],
        blocks=[Block(text=valid_text(b[0]), page=b[1], heading=valid_text(b[2]), kind=b[3],
                      ocr=bool(b[4]) if len(b) > 4 else False)
                for b in answer.get("blocks", [])],
        pages=answer.get("pages"),
        title=valid_text(answer.get("title")),
        error=valid_text(answer.get("error")),
        mail=MailFacts(valid_text(mail[0]), valid_text(mail[1]), mail[2]) if mail else None,
        notes=[valid_text(n) for n in answer.get("notes") or []],
    )


def member_from_plain(plain: dict) -> Member:
    return Member(names=tuple(valid_text(n) for n in plain["names"]), result=from_plain(plain["result"]),
                  size=int(plain.get("size") or 0), digest=plain.get("digest") or "",
                  ext=plain.get("ext") or "", span=tuple(plain["span"]) if plain.get("span") else None)


_SURROGATE = re.compile("[\ud800-\udfff]")


@overload
def valid_text(text: str) -> str: ...


@overload
def valid_text(text: None) -> None: ...


def valid_text(text: str | None) -> str | None:
    """Text that SQLite can store: lone surrogates (from a file name in a title, or a
    broken PDF text layer) become U+FFFD."""
    if text is None or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


class IsolatedExtractor:
    """One worker process at a time; extract() is serialized by a lock."""

    def __init__(self, timeout_s: float = 60, memory_mb: int = 4096, max_file_mb: int = 512,
                 idle_exit_s: float | None = IDLE_EXIT_S) -> None:
        self.timeout_s = float(timeout_s)
        self.idle_exit_s = idle_exit_s
        self._last_used = 0.0
        self._idle_timer: threading.Timer | None = None
        self.memory_mb = int(memory_mb)
        self.max_file_mb = int(max_file_mb)
        self._lock = threading.Lock()
        self._proc_lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._answers: queue.Queue = queue.Queue()
        self._closed = False
        self.workers_started = 0
        _LIVE.add(self)

    # -- public ----------------------------------------------------------------
    def __enter__(self) -> IsolatedExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def extract(self, path: str | os.PathLike, options: ExtractOptions | None = None,
                progress: PageProgress | None = None, member: MemberFn | None = None,
                start: int = 0, first: int = 1) -> ExtractResult:
        """``progress(n, total)`` is called (on this thread) before each scanned page.
        A container's documents are handed to ``member`` (on this thread) as the worker
        reads them, or, without it, gathered in ``result.members``; each one restarts
        the time limit. ``start``/``first``: where a grown mbox's new messages begin."""
        path = os.fspath(path)
        refused = self._refuse(path)
        if refused is not None:
            return refused
        request = {"path": path, "ocr": (options or ExtractOptions()).ocr, "start": start, "first": first}
        gathered: list[Member] = []
        if member is None:
            member = gathered.append
        with self._lock:
            if self._closed:
                raise ExtractionError("the extractor was closed")
            proc = self._ensure_worker()
            try:
                write_message(proc.stdin, request)
            except (BrokenPipeError, OSError, ValueError):
                # The worker died between files: start a fresh one and try once more.
                self._stop_worker(kill=True)
                if self._closed:
                    raise ExtractionError("the extractor was closed") from None
                proc = self._ensure_worker()
                write_message(proc.stdin, request)
            try:
                result = self._await_answer(proc, progress, member)
            finally:
                self._last_used = time.monotonic()
                self._arm_idle_timer()
        result.members = gathered
        return result

    @property
    def worker_running(self) -> bool:
        with self._proc_lock:
            return self._proc is not None and self._proc.poll() is None

    def end_if_idle(self, now: float | None = None) -> bool:
        """End the worker when it has had no file for ``idle_exit_s`` (the idle timer
        calls this; a file being read keeps it). True when a worker was ended."""
        if self.idle_exit_s is None or not self._lock.acquire(blocking=False):
            return False
        try:
            now = time.monotonic() if now is None else now
            if now - self._last_used < self.idle_exit_s or not self.worker_running:
                return False
            self._stop_worker(kill=False)      # stdin closed: the worker exits by itself
            return True
        finally:
            self._lock.release()

    def _arm_idle_timer(self) -> None:
        if self.idle_exit_s is None or self._closed:
            return
        timer = threading.Timer(self.idle_exit_s, self.end_if_idle)
        timer.daemon = True
        old, self._idle_timer = self._idle_timer, timer
        if old is not None:
            old.cancel()
        timer.start()

    def close(self) -> None:
        """End the worker now (an extraction in progress is abandoned)."""
        self._closed = True
        timer = self._idle_timer
        if timer is not None:
            timer.cancel()
        self._stop_worker(kill=True)

    def __del__(self) -> None:
        try:
            self._stop_worker(kill=True)
        except Exception:  # noqa: BLE001 - nothing sensible to do at collection time
            pass

    # -- internals -------------------------------------------------------------
    def _refuse(self, path: str) -> ExtractResult | None:
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            return ExtractResult(status=ERROR, error=f"cannot read the file ({exc.strerror or exc})")
        if size > self.max_file_mb * 1024 * 1024 and not _streamed(path):
            return ExtractResult(
                status=ERROR,
                error=f"file too large ({size / 1048576:.0f} MB; the limit is {self.max_file_mb} MB)",
            )
        return None

    def _await_answer(self, proc: subprocess.Popen, progress: PageProgress | None = None,
                      member: MemberFn | None = None) -> ExtractResult:
        page: tuple[int, int] | None = None
        while True:
            budget = max(self.timeout_s, OCR_PAGE_TIMEOUT_S) if page else self.timeout_s
            try:
                answer = self._answers.get(timeout=budget)
            except queue.Empty:
                self._stop_worker(kill=True)
                if self._closed:
                    raise ExtractionError("the extractor was closed") from None
                where = f" reading scanned page {page[0]}/{page[1]}" if page else ""
                return ExtractResult(status=ERROR, error=f"timed out after {_format_seconds(budget)} s{where}")
            if isinstance(answer, dict) and "member" in answer:
                if member is not None:
                    member(member_from_plain(answer["member"]))
                continue
            if not (isinstance(answer, dict) and "progress" in answer):
                break
            page = (int(answer["progress"][0]), int(answer["progress"][1]))
            if progress is not None:
                try:
                    progress(*page)
                except Exception:  # noqa: BLE001 - a caller's display never breaks the protocol
                    pass
        if answer is _EOF or not isinstance(answer, dict):
            try:
                returncode = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                returncode = None
            self._stop_worker(kill=True)
            if self._closed:
                raise ExtractionError("the extractor was closed")
            return ExtractResult(status=ERROR, error=_crash_reason(returncode, self.memory_mb))
        if answer.get("fatal"):
            self._stop_worker(kill=False)
        return from_plain(answer)

    def _ensure_worker(self) -> subprocess.Popen:
        with self._proc_lock:
            if self._proc is not None and self._proc.poll() is None:
                return self._proc
        self._stop_worker(kill=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.setdefault("OMP_NUM_THREADS", "1")
        # glibc reserves 64 MB of address space per thread arena; ONNX Runtime's threads
        # (OCR) would spend a quarter of the memory limit on reservations alone.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        proc = subprocess.Popen(
            _worker_command(self.memory_mb),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=_ROOT,
            start_new_session=(os.name == "posix"),
        )
        answers: queue.Queue = queue.Queue(maxsize=ANSWERS_AHEAD)
        threading.Thread(target=_read_answers, args=(proc, answers), daemon=True,
                         name="likewise-extract-reader").start()
        with self._proc_lock:
            self._proc, self._answers = proc, answers
            self.workers_started += 1
            if self._closed:
                self._kill(proc)
        return proc

    def _stop_worker(self, kill: bool) -> None:
        with self._proc_lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill:
            self._kill(proc)
            return
        try:
            if proc.stdin is not None:   # always a pipe (see _ensure_worker)
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._kill(proc)

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                proc.kill()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _read_answers(proc: subprocess.Popen, answers: queue.Queue) -> None:
    """Reader thread: every answer of one worker onto its queue, then _EOF. The queue is
    bounded, so a worker streaming a container's members waits for the indexer (bounded
    memory); once the worker has ended, nobody may be reading, so the thread gives up."""
    try:
        while True:
            message = read_message(proc.stdout)
            if message is None:
                break
            if not _put(proc, answers, message):
                return
    except Exception:  # noqa: BLE001 - a closed or broken pipe means the worker is gone
        pass
    _put(proc, answers, _EOF)


def _put(proc: subprocess.Popen, answers: queue.Queue, message: object) -> bool:
    while True:
        try:
            answers.put(message, timeout=1.0)
            return True
        except queue.Full:
            if proc.returncode is not None:
                return False


def extract_many(
    paths: Iterable[str | os.PathLike],
    workers: int = 2,
    timeout_s: float = 60,
    memory_mb: int = 4096,
    max_file_mb: int = 512,
    options: ExtractOptions | None = None,
) -> Iterator[tuple[str, ExtractResult]]:
    """Extract with `workers` isolated workers in parallel; yields (path, result) in the
    order of `paths`, at most 2 * workers files ahead of the consumer."""
    pool: queue.Queue = queue.Queue()
    extractors = [IsolatedExtractor(timeout_s, memory_mb, max_file_mb) for _ in range(max(1, workers))]
    for extractor in extractors:
        pool.put(extractor)

    def run(path: str) -> ExtractResult:
        extractor = pool.get()
        try:
            return extractor.extract(path, options)
        finally:
            pool.put(extractor)

    pending: deque[tuple[str, Future]] = deque()
    with ThreadPoolExecutor(max_workers=len(extractors), thread_name_prefix="likewise-extract") as executor:
        try:
            for path in paths:
                path = os.fspath(path)
                pending.append((path, executor.submit(run, path)))
                if len(pending) >= 2 * len(extractors):
                    done_path, future = pending.popleft()
                    yield done_path, future.result()
            while pending:
                done_path, future = pending.popleft()
                yield done_path, future.result()
        finally:
            for _, future in pending:
                future.cancel()
            for extractor in extractors:
                extractor.close()


@atexit.register
def _close_all() -> None:
    for extractor in list(_LIVE):
        extractor.close()
