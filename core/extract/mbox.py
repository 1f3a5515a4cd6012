"""An mbox file read message by message in bounded memory (never the whole file at once).

A message starts at a "From " line that carries a time ("From - Sat Dec 05 07:00:00
2026", "From alice@example.org Mon Jan  1 10:00:00 2024"), whether or not a blank line
comes before it (some writers leave it out). Body lines that were escaped as ">From "
are given back their "From ". Each message is yielded with its byte range in the file,
so that a file that grew at its end can be read from where the last reading stopped
(core/index/containers.py), and a message larger than MAX_MESSAGE_BYTES is yielded as
too large instead of being held in memory.

``looks_like_mbox`` recognises an mbox by its content (Thunderbird's have no extension).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_FROM_LINE = re.compile(rb"^From \S*.*\b\d{1,2}:\d\d")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_ESCAPED_FROM = re.compile(rb"^>(>*From )")


@dataclass
class MboxMessage:
    start: int                 # byte offset of its "From " line
    end: int                   # byte offset just after it
    data: bytes | None         # None when larger than MAX_MESSAGE_BYTES


def starts_message(line: bytes) -> bool:
    """True for an mbox "From " line (one that carries a time)."""
    return _FROM_LINE.match(line) is not None


def looks_like_mbox(path: str | os.PathLike) -> bool:
    """True when a file starts with an mbox "From " line followed by a header block."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    lines = head.split(b"\n")
    if len(lines) < 2 or not _FROM_LINE.match(lines[0]):
        return False
    return _HEADER_LINE.match(lines[1]) is not None


def iter_mbox(path: str | os.PathLike, start: int = 0) -> Iterator[MboxMessage]:
    """Every message from byte ``start`` (which must be the start of a "From " line or
    the end of the file) to the end."""
    with open(path, "rb") as fh:
        fh.seek(start)
        offset = start
        begin: int | None = None
        parts: list[bytes] | None = []
        size = 0
        for line in fh:
            if _FROM_LINE.match(line) and (begin is None or size > 0 or parts is None):
                if begin is not None:
                    yield _message(begin, offset, parts)
                begin, parts, size = offset, [], 0
            elif begin is not None:
                if parts is not None:
                    size += len(line)
                    if size > MAX_MESSAGE_BYTES:
                        parts = None
                    else:
                        parts.append(_ESCAPED_FROM.sub(rb"\1", line))
            offset += len(line)
        if begin is not None:
            yield _message(begin, offset, parts)


def _message(begin: int, end: int, parts: list[bytes] | None) -> MboxMessage:
    if parts is None:
        return MboxMessage(begin, end, None)
    data = b"".join(parts)
    if data.endswith(b"\n\n"):
        data = data[:-1]        # the blank line that separates messages
    return MboxMessage(begin, end, data)


def read_span(path: str | os.PathLike, start: int, end: int) -> bytes:
    """One message's bytes (its "From " line left out) by its recorded byte range."""
    if end - start > MAX_MESSAGE_BYTES:
        raise ValueError("the message is too large to open")
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    first, _, rest = data.partition(b"\n")
    lines = rest.splitlines(keepends=True)
    return b"".join(_ESCAPED_FROM.sub(rb"\1", line) for line in lines)
