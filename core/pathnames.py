"""File names are bytes: how Likewise keeps any name the OS can give.

Python hands file names around as ``str`` in which bytes that are not valid UTF-8 stand
as lone surrogates (U+DC80..U+DCFF, PEP 383 "surrogateescape"); on Windows a name may
hold lone UTF-16 surrogates. SQLite text must be valid UTF-8, so such a name cannot be
stored as it is. Three forms:

- the OS form: what ``os`` functions take and give (``os.stat``, ``os.scandir``, argv);
- the stored form (``to_db``): the OS form with each lone surrogate U+D800+n written as
  the private-use character U+10F800+n, and every real character of that private block
  (and the escape U+10F7FF itself) written after the escape U+10F7FF. The mapping is a
  bijection, so nothing is lost, and it maps character by character, so a folder's
  stored prefix is the prefix of its files' stored names (range queries still work).
  A name that is valid UTF-8 and uses no character of that block (all real ones) is
  stored unchanged;
- the shown form (``display``): undecodable bytes as U+FFFD, for people to read.
"""

from __future__ import annotations

import os
import re
import sys

_ESC = "\U0010f7ff"
_BLOCK = 0x10F800          # U+10F800..U+10FFFF stand for U+D800..U+DFFF
_NEEDS_DB = re.compile("[\ud800-\udfff\U0010f7ff-\U0010ffff]")
_NEEDS_OS = re.compile("[\U0010f7ff-\U0010ffff]")


def to_db(path: str | os.PathLike) -> str:
    """The stored form of an OS path (lossless, valid UTF-8)."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if _NEEDS_DB.search(text) is None:
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            out.append(chr(_BLOCK + code - 0xD800))
        elif code >= _BLOCK - 1:
            out.append(_ESC + ch)
        else:
            out.append(ch)
    return "".join(out)


def from_db(stored: str) -> str:
    """The OS form of a stored path (inverse of ``to_db``)."""
    if _NEEDS_OS.search(stored) is None:
        return stored
    out = []
    chars = iter(stored)
    for ch in chars:
        if ch == _ESC:
            out.append(next(chars, ""))
        elif ord(ch) >= _BLOCK:
            out.append(chr(0xD800 + ord(ch) - _BLOCK))
        else:
            out.append(ch)
    return "".join(out)


_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def display(path: str) -> str:
    """A readable form of an OS path: undecodable bytes as U+FFFD, and bidirectional
    control characters left out, so that a name is shown in its real order (a name that
    reverses itself on screen can pass for another file type)."""
    if _BIDI_CONTROLS.search(path) is not None:
        path = _BIDI_CONTROLS.sub("", path)
    if _NEEDS_DB.search(path) is None:
        return path
    if sys.platform.startswith("win"):
        return path.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def display_stored(stored: str) -> str:
    """A readable form of a stored path; a document inside a container reads
    "archive.zip › folder/report.pdf"."""
    if MEMBER_SEP in stored:
        container, names = split_member(stored)
        return " › ".join([display(from_db(container)), *(display(n) for n in names)])
    return display(from_db(stored))


# A document inside a container file (a member of an archive, a message of an mbox, an
# attachment of a message) is stored under the container's stored path, then MEMBER_SEP
# and the member's name, once per level. ``to_db`` always follows the escape U+10F7FF
# by a character of the block U+10F7FF..U+10FFFF, so the escape followed by "/" never
# occurs in the stored form of a real path: a member path cannot collide with a file's.
MEMBER_SEP = _ESC + "/"


def member_path(container: str, *names: str) -> str:
    """The stored path of a member (``container`` is a stored path; names are the
    member's names inside it, outermost first)."""
    return MEMBER_SEP.join([container, *(n.replace(MEMBER_SEP, "/") for n in names)])


def split_member(stored: str) -> tuple[str, list[str]]:
    """(the container file's stored path, the member's names) of a stored path; a
    plain file gives (itself, [])."""
    parts = stored.split(MEMBER_SEP)
    return parts[0], parts[1:]


def is_member(stored: str) -> bool:
    return MEMBER_SEP in stored


def display_name(stored: str) -> str:
    """The name people know a document by: a file's name ("report.pdf"), or a member
    with the name of the file holding it ("archive.zip › folder/report.pdf")."""
    container, names = split_member(stored)
    return " › ".join([os.path.basename(display(from_db(container))), *(display(n) for n in names)])


def raw_bytes(path: str) -> bytes:
    """The exact bytes of an OS path (for --json output of names that are not UTF-8)."""
    return os.fsencode(path)


def is_clean(path: str) -> bool:
    """True when the OS path is valid text (nothing to escape or replace)."""
    return _NEEDS_DB.search(path) is None


def title_of(stored: str) -> str:
    """A document's title when its file gives none: its file name without the suffix."""
    from pathlib import Path

    return Path(display(from_db(stored))).stem


def ext_of(stored: str) -> str:
    """The suffix of a stored path, lower case (".pdf")."""
    return os.path.splitext(stored)[1].lower()
