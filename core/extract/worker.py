"""The extraction worker process (run as ``python -m core.extract.worker MEMORY_MB``; a
frozen app calls ``main(sys.argv)`` when started with ``--likewise-extract-worker MEMORY_MB``).

Protocol on stdin/stdout: each message is an 8-byte big-endian length followed by a
pickle. The parent sends a request {"path": str, "ocr": bool} (a bare path str means
OCR on; a container may carry "start" and "first": where a grown mbox's new messages
begin); while OCR reads scanned pages the worker sends {"progress": (n, total)} before
each page, and a container (mail, archive) sends {"member": ...} for each document
inside it as soon as it is read; then it answers with a plain dict (status, blocks as
(text, page, heading, kind, ocr) tuples, pages, title, error, mail facts, notes, and
"fatal" when the worker is about to exit). End of input ends the worker.

Before the first file the worker imports pypdf and python-docx (so each file costs only
its own work), then limits its address space with RLIMIT_AS to MEMORY_MB where the OS
supports it. The OCR engine (ONNX Runtime, OpenCV, PDFium and the models, about 300 MB
resident) is loaded inside that limit, on the first scanned page, so a worker that never
meets a scan never pays for it. A MemoryError is answered with "ran out of memory" and the worker exits so
that the next file gets a fresh process. Anything the libraries print goes to stderr,
never into the protocol stream. A watchdog thread ends the worker if its parent dies.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
import time

import core.offline  # noqa: F401  (no network from anything the readers import)

HEADER = struct.Struct(">Q")


def read_message(stream) -> object | None:
    header = _read_exact(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    payload = _read_exact(stream, size)
    if payload is None:
        return None
    return pickle.loads(payload)


def write_message(stream, message: object) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read_exact(stream, size: int) -> bytes | None:
    chunks = []
    while size:
        data = stream.read(size)
        if not data:
            return None
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


def limit_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the time limit still applies
        return
    limit = memory_mb * 1024 * 1024
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError, AttributeError):
        pass  # macOS may refuse RLIMIT_AS; go on without it


def _watch_parent() -> None:
    parent = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def to_plain(result) -> dict:
    mail = result.mail
    return {
        "status": result.status,
        "blocks": [(b.text, b.page, b.heading, b.kind, b.ocr) for b in result.blocks],
        "pages": result.pages,
        "title": result.title,
        "error": result.error,
        "mail": (mail.sender, mail.recipients, mail.sent_at) if mail is not None else None,
        "notes": list(result.notes),
    }


def member_to_plain(member) -> dict:
    """A document inside a container, sent ahead of the container's answer."""
    return {"names": member.names, "result": to_plain(member.result), "size": member.size,
            "digest": member.digest, "ext": member.ext, "span": member.span}


def main(argv: list[str]) -> int:
    memory_mb = int(argv[-1]) if len(argv) > 1 and argv[-1].isdigit() else 0
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                       # stray prints go to stderr, not the protocol
    inp = os.fdopen(os.dup(0), "rb")
    threading.Thread(target=_watch_parent, daemon=True).start()

    import docx  # noqa: F401 - imported once, before the memory limit
    import pypdf  # noqa: F401

    from core.extract import ExtractOptions, extract, extract_members
    from core.extract.containers import container_kind

    if memory_mb > 0:
        limit_memory(memory_mb)
    while True:
        request = read_message(inp)
        if request is None:
            return 0
        if isinstance(request, dict):
            path, options = request["path"], ExtractOptions(ocr=bool(request.get("ocr", True)))
        else:
            path, options = request, ExtractOptions()

        def progress(n: int, total: int) -> None:
            write_message(out, {"progress": (n, total)})

        def member(found) -> None:
            write_message(out, {"member": member_to_plain(found)})

        try:
            if container_kind(path) is not None:
                start, first = (int(request.get("start", 0)), int(request.get("first", 1))) \
                    if isinstance(request, dict) else (0, 1)
                answer = to_plain(extract_members(path, member, options, start, first))
            else:
                answer = to_plain(extract(path, options, progress))
        except MemoryError:
            answer = None
        if answer is None:
            write_message(out, {"status": "error", "error": f"ran out of memory (limit {memory_mb} MB)",
                                "fatal": True})
            return 3
        write_message(out, answer)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
