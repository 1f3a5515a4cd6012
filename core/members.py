"""Opening a document that lives inside a container file (core/pathnames.py member_path):
that one member is written to a private temporary folder and opened from there as any
document.

    path = member_file(stored)       # an OS path under a folder only this user can read

- The folder is made once per process with mode 0700 and removed when the process ends
  (``remove_member_files`` also removes it at once); each member goes into a fresh
  sub-folder, under its own name made safe (no folders, no control characters), so a
  viewer shows "report.pdf", never a name taken from the archive as a path.
- Levels are followed one by one (a message of an mbox, then its attachment; a zip
  inside a zip), each with the same guard as indexing: archive.py's bomb checks, names
  with ".." or absolute names refused, links and devices refused, sizes bounded.
"""

from __future__ import annotations

import atexit
import shutil
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

from core.errors import NotFoundError
from core.extract.archive import MAX_MEMBER_BYTES, Refused, check_members, read_member
from core.extract.containers import container_kind, unique_names, unsafe_name
from core.extract.mail import read_mail, safe_name
from core.extract.mbox import iter_mbox, read_span
from core.pathnames import from_db, split_member

SpanOf = Callable[[str], "tuple[int, int] | None"]
_lock = threading.Lock()
_root: Path | None = None
_count = 0


def member_file(stored: str, span_of: SpanOf | None = None) -> str:
    """The OS path of a private copy of the member at stored path ``stored``;
    ``span_of(stored)`` gives an mbox message's recorded byte range (faster than
    reading the mailbox up to it). Raises NotFoundError or Refused with a reason."""
    container, names = split_member(stored)
    if not names:
        return from_db(stored)
    current = Path(from_db(container))
    if not current.is_file():
        raise NotFoundError(f"the file holding it is gone: {current}")
    for depth, name in enumerate(names):
        span = span_of(_joined(container, names[: depth + 1])) if span_of and depth == 0 else None
        data = _member_bytes(current, name, span)
        ext = ".eml" if container_kind(current) == "mbox" else ""
        current = _private_copy(safe_name(name, ext), data)
    return str(current)


def remove_member_files() -> None:
    """Remove every member copy this process made."""
    global _root
    with _lock:
        root, _root = _root, None
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


atexit.register(remove_member_files)


def _joined(container: str, names: list[str]) -> str:
    from core.pathnames import member_path

    return member_path(container, *names)


def _private_copy(name: str, data: bytes) -> Path:
    global _root, _count
    with _lock:
        if _root is None:
            _root = Path(tempfile.mkdtemp(prefix="likewise-open-"))   # mode 0700
        _count += 1
        folder = _root / str(_count)
    folder.mkdir(mode=0o700)
    target = folder / name
    with open(target, "xb") as fh:
        fh.write(data)
    return target


def _member_bytes(path: Path, name: str, span: tuple[int, int] | None) -> bytes:
    kind = container_kind(path)
    if kind == "zip":
        return _zip_member(path, name)
    if kind == "tar":
        return _tar_member(path, name)
    if kind == "mbox":
        return _mbox_message(path, name, span)
    if kind in ("eml", "msg"):
        if kind == "msg":
            from core.extract.msg_reader import read_msg

            attachments = read_msg(path).attachments
        else:
            attachments = read_mail(path.read_bytes()).attachments
        for found, data in unique_names(attachments):
            if found == name:
                return data
    raise NotFoundError(f"{name} is no longer in {path.name}")


def _zip_member(path: Path, name: str) -> bytes:
    refusal = unsafe_name(name)
    if refusal:
        raise Refused(refusal)
    with zipfile.ZipFile(path) as archive:
        check_members(archive.infolist(), "zip")
        try:
            return read_member(archive, name)
        except KeyError:
            raise NotFoundError(f"{name} is no longer in {path.name}") from None


def _tar_member(path: Path, name: str) -> bytes:
    refusal = unsafe_name(name)
    if refusal:
        raise Refused(refusal)
    with tarfile.open(path, "r|*") as archive:
        for info in archive:
            if info.name != name:
                continue
            if not info.isreg():
                raise Refused("a link or special member is never opened")
            if info.size > MAX_MEMBER_BYTES:
                raise Refused(f"the member is too large ({info.size // 1048576:,} MB)")
            fh = archive.extractfile(info)
            return fh.read(info.size) if fh is not None else b""
    raise NotFoundError(f"{name} is no longer in {path.name}")


def _mbox_message(path: Path, name: str, span: tuple[int, int] | None) -> bytes:
    if span is not None:
        return read_span(path, *span)
    number = int(name.rsplit(" ", 1)[-1]) if name.startswith("message ") else 0
    for n, message in enumerate(iter_mbox(path), 1):
        if n == number:
            if message.data is None:
                raise Refused("the message is too large to open")
            return message.data
    raise NotFoundError(f"{name} is no longer in {path.name}")
