"""Files that hold documents: mail (.eml, .msg, mbox) and archives (.zip, .tar, .tar.gz).

``extract_container(path, options, emit)`` reads the container's own text (a message's
body; an archive has none) into the returned result, and hands every document inside
it to ``emit`` as a core.types.Member as soon as it is read, so that a 100,000-message
mbox is never held whole (the worker streams each member to the indexer).

Safety, for every member at every level:
- archives pass core/extract/archive.py's bomb guard (members, sizes, ratio), and the
  members read from all levels together stop at MAX_TOTAL_BYTES;
- a member name is never used as a path: an absolute name, a ".." part, a link or a
  device member is refused with its reason; a member's bytes are written only to
  "m<n><ext>" inside a private temporary folder (mode 0700, removed at the end), read
  there by the ordinary reader, and deleted;
- archives nest to MAX_DEPTH levels; one deeper is listed with the reason, not read;
- members of types Likewise does not read are counted in the container's notes.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from core.extract.archive import (
    MAX_MEMBER_BYTES,
    MAX_TOTAL_BYTES,
    Refused,
    check_members,
    read_member,
)
from core.extract.clean import short_reason
from core.extract.mail import MailRead, read_mail
from core.extract.mbox import MAX_MESSAGE_BYTES, iter_mbox, looks_like_mbox
from core.extract.options import ExtractOptions
from core.types import (
    ARCHIVE_EXTENSIONS,
    ENCRYPTED,
    ERROR,
    INDEXED,
    NO_TEXT,
    SUPPORTED_EXTENSIONS,
    ExtractResult,
    Member,
)

MAX_DEPTH = 2                        # an archive inside an archive is read; one more level is not
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
Emit = Callable[[Member], None]
FileReader = Callable[[Path, ExtractOptions], ExtractResult]


def container_kind(path: str | os.PathLike) -> str | None:
    """"zip", "tar", "mbox", "eml", "msg", or None for a file that is not a container."""
    name = os.fspath(path).lower()
    for kind, ends in (("zip", (".zip",)), ("tar", (".tar", ".tgz", ".tar.gz")), ("mbox", (".mbox",)),
                       ("eml", (".eml",)), ("msg", (".msg",))):
        if name.endswith(ends):
            return kind
    if not os.path.splitext(os.path.basename(name))[1] and looks_like_mbox(path):
        return "mbox"
    return None


def extract_container(path: str | os.PathLike, options: ExtractOptions, emit: Emit, read_file: FileReader,
                      start: int = 0, first: int = 1) -> ExtractResult:
    """Read a container; ``start``/``first``: for an mbox that grew, the byte offset and
    the number of the first message not read before."""
    p = Path(path)
    with tempfile.TemporaryDirectory(prefix="likewise-members-") as tmp:
        os.chmod(tmp, 0o700)
        reader = _Reader(options, emit, read_file, Path(tmp))
        kind = container_kind(p)
        if kind == "mbox":
            return reader.mbox(p, start, first)
        if kind in ("eml", "msg"):
            return reader.mail_file(p, kind, (), 0)
        return reader.archive(p, (), 1, p.stem)


class _Reader:
    def __init__(self, options: ExtractOptions, emit: Emit, read_file: FileReader, tmp: Path) -> None:
        self.options = options
        self.emit = emit
        self.read_file = read_file
        self.tmp = tmp
        self.counter = 0
        self.total = 0
        self.not_read: dict[str, int] = {}       # extension -> members of a type not read

    # -- mail -----------------------------------------------------------------------------
    def mbox(self, path: Path, start: int, first: int) -> ExtractResult:
        n = first - 1
        for n, message in enumerate(iter_mbox(path, start), first):
            names = (f"message {n}",)
            span = (message.start, message.end)
            if message.data is None:
                self.emit(Member(names, ExtractResult(
                    status=ERROR, error=f"message too large (over {MAX_MESSAGE_BYTES // 1048576} MB)"),
                    size=message.end - message.start, ext=".eml", span=span))
                continue
            read = self._mail(message.data, names, f"message {n}")
            self.emit(Member(names, read.result, len(message.data), _digest(message.data), ".eml", span))
            self._attachments(read, names, 0)
        count = n - first + 1
        title = path.stem or path.name
        if count == 0 and start == 0:
            return ExtractResult(status=NO_TEXT, title=title, error="the mailbox holds no message")
        return ExtractResult(status=INDEXED, title=title, pages=n)

    def mail_file(self, path: Path, kind: str, names: tuple[str, ...], depth: int) -> ExtractResult:
        if kind == "msg":
            from core.extract.msg_reader import read_msg

            read = read_msg(path)
        else:
            read = self._mail(path.read_bytes(), names, path.stem)
        self._attachments(read, names, depth)
        read.result.pages = len(read.attachments)
        return read.result

    def _mail(self, data: bytes, names: tuple[str, ...], fallback: str) -> MailRead:
        try:
            return read_mail(data, fallback)
        except Exception as exc:  # noqa: BLE001 - a message the parser cannot take costs itself
            return MailRead(ExtractResult(status=ERROR, title=fallback,
                                          error=f"could not read the message ({short_reason(exc)})"))

    def _attachments(self, read: MailRead, names: tuple[str, ...], depth: int) -> None:
        for name, data in unique_names(read.attachments):
            self.member((*names, name), data, depth)

    # -- archives -------------------------------------------------------------------------
    def archive(self, path: Path, names: tuple[str, ...], depth: int, title: str) -> ExtractResult:
        count = 0
        opener = self._zip_members if zipfile.is_zipfile(path) else self._tar_members
        for name, data, refusal in opener(path):
            if refusal is not None:
                self.emit(Member((*names, name), refusal, ext=_ext_of(name)))
                continue
            if data is None:
                continue
            count += self.member((*names, name), data, depth)
        notes = self._not_read_note()
        if count == 0:
            return ExtractResult(status=NO_TEXT, title=title, notes=notes, error="; ".join(
                ["the archive holds no document of a type Likewise reads", *notes]))
        return ExtractResult(status=INDEXED, title=title, pages=count, notes=notes,
                             error="; ".join(notes) or None)

    def _zip_members(self, path: Path):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise Refused(f"not a readable zip archive ({exc})") from None
        with archive:
            infos = archive.infolist()
            check_members(infos, "zip")
            for info in infos:
                if info.is_dir():
                    continue
                mode = info.external_attr >> 16
                refusal = unsafe_name(info.filename) or (
                    "a link inside the archive (not followed)" if stat.S_ISLNK(mode) else None)
                if refusal is None and info.flag_bits & 0x1:
                    yield info.filename, None, ExtractResult(status=ENCRYPTED, error="the member is encrypted")
                    continue
                if refusal is not None:
                    yield info.filename, None, ExtractResult(status=ERROR, error=refusal)
                    continue
                if not self._wanted(info.filename):
                    continue
                self._count(info.file_size)
                yield info.filename, read_member(archive, info.filename), None

    def _tar_members(self, path: Path):
        try:
            archive = tarfile.open(path, "r|*")
        except (tarfile.TarError, OSError) as exc:
            raise Refused(f"not a readable zip or tar archive ({short_reason(exc)})") from None
        with archive:
            for n, info in enumerate(archive):
                if n >= 20_000:
                    raise Refused("tar archive with over 20,000 members (the limit)")
                if info.isdir():
                    continue
                refusal = unsafe_name(info.name)
                if refusal is None and (info.issym() or info.islnk()):
                    refusal = "a link inside the archive (not followed)"
                elif refusal is None and not info.isreg():
                    refusal = "a device or special member (never read)"
                if refusal is not None:
                    yield info.name, None, ExtractResult(status=ERROR, error=refusal)
                    continue
                if info.size > MAX_MEMBER_BYTES:
                    raise Refused(f"archive bomb refused: {info.name!r} would inflate to "
                                  f"{info.size // 1048576:,} MB (the limit is {MAX_MEMBER_BYTES // 1048576} MB); "
                                  "the rest of the archive is not read")
                if not self._wanted(info.name):
                    continue
                self._count(info.size)
                fh = archive.extractfile(info)
                data = fh.read(info.size + 1) if fh is not None else b""
                if len(data) > info.size:
                    raise Refused(f"{info.name!r} inflates past its declared size")
                yield info.name, data, None

    def _count(self, size: int) -> None:
        self.total += size
        if self.total > MAX_TOTAL_BYTES:
            raise Refused(f"archive bomb refused: the members would inflate to over "
                          f"{MAX_TOTAL_BYTES // 1048576} MB in all")

    def _wanted(self, name: str) -> bool:
        ext = _ext_of(name)
        if ext != ".gz" and (ext in SUPPORTED_EXTENSIONS or not ext and not name.endswith("/")):
            return True
        self.not_read[ext] = self.not_read.get(ext, 0) + 1
        return False

    def _not_read_note(self) -> list[str]:
        if not self.not_read:
            return []
        kinds = ", ".join(f"{n:,} {ext}" for ext, n in sorted(self.not_read.items(), key=lambda kv: -kv[1])[:6])
        total = sum(self.not_read.values())
        self.not_read = {}
        return [f"{total:,} members of types Likewise does not read ({kinds})"]

    # -- one member -------------------------------------------------------------------------
    def member(self, names: tuple[str, ...], data: bytes, depth: int) -> bool:
        """Read one member's bytes (written to the private folder only) and emit it;
        False for a member of a type Likewise does not read (counted, not emitted)."""
        ext = _ext_of(names[-1])
        self.counter += 1
        local = self.tmp / f"m{self.counter}{ext if _SUFFIX.match(ext.replace('.tar', '')) else ''}"
        fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        stem = PurePosixPath(names[-1]).name
        stem = stem[: -len(ext)] if ext and stem.lower().endswith(ext) else stem
        try:
            result = self._read_member(local, names, depth, stem)
        except Refused as exc:
            result = ExtractResult(status=ERROR, error=str(exc))
        except MemoryError:
            raise
        except RecursionError:
            result = ExtractResult(status=ERROR, error="nested too deeply to read (RecursionError)")
        except Exception as exc:  # noqa: BLE001 - one member never stops its container
            result = ExtractResult(status=ERROR, error=f"could not read the member ({short_reason(exc)})")
        finally:
            local.unlink(missing_ok=True)
        if result is None:
            self.not_read[ext or "(no extension)"] = self.not_read.get(ext or "(no extension)", 0) + 1
            return False
        if not result.title or result.title == local.stem:
            result.title = stem
        self.emit(Member(names, result, len(data), _digest(data), ext))
        return True

    def _read_member(self, local: Path, names: tuple[str, ...], depth: int, stem: str) -> ExtractResult | None:
        kind = container_kind(local)
        if kind in ("zip", "tar"):
            if depth >= MAX_DEPTH:
                return ExtractResult(status=ERROR, error=f"an archive nested more than {MAX_DEPTH} levels "
                                                         "deep is not read")
            return self.archive(local, names, depth + 1, stem)
        if kind in ("eml", "msg"):
            return self.mail_file(local, kind, names, depth)
        if kind == "mbox":
            return ExtractResult(status=ERROR, error="a mailbox inside a container is not read")
        if _ext_of(names[-1]) not in SUPPORTED_EXTENSIONS or _ext_of(names[-1]) == ".gz":
            return None
        return self.read_file(local, self.options)


def unique_names(attachments: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Attachments under names that tell them apart ("a.pdf", "a (2).pdf")."""
    seen: dict[str, int] = {}
    out = []
    for name, data in attachments:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            stem, ext = os.path.splitext(name)
            name = f"{stem} ({seen[name]}){ext}"
        out.append((name, data))
    return out


def unsafe_name(name: str) -> str | None:
    """Why a member name must not be used (an absolute name, a ".." part), or None."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or re.match(r"^[A-Za-z]:", clean):
        return "an absolute member name (refused: it points outside the archive)"
    if ".." in clean.split("/"):
        return "a member name with '..' (refused: path traversal outside the archive)"
    if "\x00" in clean:
        return "a member name with a NUL character (refused)"
    return None


def _ext_of(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".tar.gz"):
        return ".tar.gz"
    return os.path.splitext(PurePosixPath(lower.replace("\\", "/")).name)[1]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["ARCHIVE_EXTENSIONS", "MAX_DEPTH", "container_kind", "extract_container"]
