"""Walking a watched folder: the supported files in it, and what could not be looked at.

Names are OS paths (``str`` with undecodable bytes as surrogates, see core/pathnames.py).

Links. A symbolic link, to a file or a folder, whose target lies outside every folder
the user chose is not followed unless the folder allows it (``follow_links``): a library
holds only what the user pointed it at. A link whose target lies in another chosen
folder is left to that folder. A link that stays inside this folder is followed after
every real entry has been seen, and only when its target was not reached already, so
each file is indexed once (under its real name when it has one) and loops end.

FIFOs, sockets and devices are never opened. A folder that cannot be listed, and a link
that is not followed, are reported as problems, with the reason, not raised.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.index.skip import should_skip, should_skip_dir, unsupported_kind

LINK_OUTSIDE = "a link to a place outside the chosen folders (not followed)"
PERMISSION_DENIED = "permission denied"


def reason_of(exc: OSError) -> str:
    """A short reason for an OS error on one file or folder."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PERMISSION_DENIED
    if exc.errno == errno.ELOOP:
        return "too many levels of links"
    if exc.errno == errno.ENAMETOOLONG:
        return "name too long"
    return exc.strerror or str(exc)


@dataclass
class Walk:
    """One walk of a folder. Iterate for (path, size, mtime); read ``problems`` after."""

    root: str
    roots: Iterable[str] = ()          # every chosen folder (for links between them)
    follow_links: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)   # (path, reason)
    # the user's exclusions: (path, is folder) -> left out? (core/exclusions.py Matcher.excluded)
    exclude: Callable[[str, bool], bool] | None = None
    # files of a type Likewise does not read, never opened: extension -> [files, bytes, an example path]
    unsupported: dict[str, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = os.path.abspath(self.root)
        self._real_root = os.path.realpath(self.root)
        self._other_roots = [
            os.path.realpath(r) for r in self.roots
            if os.path.realpath(r) != self._real_root
        ]
        self._seen_dirs: set[tuple[int, int]] = set()
        self._seen_files: set[tuple[int, int]] = set()
        self._links: list[str] = []

    def __iter__(self) -> Iterator[tuple[str, int, float]]:
        yield from self._walk(self.root)
        while self._links:
            link = self._links.pop(0)
            yield from self._follow(link)

    # -- the walk ------------------------------------------------------------------
    def _walk(self, top: str) -> Iterator[tuple[str, int, float]]:
        stack = [top]
        while stack:
            current = stack.pop()
            try:
                st = os.stat(current)
            except OSError as exc:
                self.problems.append((current, reason_of(exc)))
                continue
            key = (st.st_dev, st.st_ino)
            if key in self._seen_dirs:
                continue
            self._seen_dirs.add(key)
            try:
                with os.scandir(current) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.problems.append((current, reason_of(exc)))
                continue
            subdirs: list[str] = []
            for entry in entries:
                found = self._entry(entry, subdirs)
                if found is not None:
                    yield found
            stack.extend(reversed(subdirs))

    def _entry(self, entry: os.DirEntry, subdirs: list[str]) -> tuple[str, int, float] | None:
        try:
            if entry.is_symlink():
                if not should_skip_dir(entry.path):
                    self._links.append(entry.path)
                return None
            if entry.is_dir(follow_symlinks=False):
                if not should_skip_dir(entry.path) and not self._excluded(entry.path, True):
                    subdirs.append(entry.path)
                return None
            if not entry.is_file(follow_symlinks=False):
                return None      # FIFOs, sockets, devices
            if should_skip(entry.path, self.root):
                self._note_unsupported(entry)
                return None      # unsupported or hidden files
            if self._excluded(entry.path, False):
                return None
            est = entry.stat(follow_symlinks=False)
        except OSError as exc:
            self.problems.append((entry.path, reason_of(exc)))
            return None
        self._seen_files.add((est.st_dev, est.st_ino))
        return entry.path, est.st_size, est.st_mtime

    def _note_unsupported(self, entry: os.DirEntry) -> None:
        """Count a file of a type Likewise does not read (hidden, temporary and excluded
        files are not counted); only its size is looked at."""
        kind = unsupported_kind(entry.name)
        if kind is None or self._excluded(entry.path, False):
            return
        seen = self.unsupported.setdefault(kind, [0, 0, entry.path])
        seen[0] += 1
        seen[1] += entry.stat(follow_symlinks=False).st_size

    def _follow(self, link: str) -> Iterator[tuple[str, int, float]]:
        target = os.path.realpath(link)
        if not self._inside(target, self._real_root):
            if any(self._inside(target, r) for r in self._other_roots):
                return            # another chosen folder holds it
            if not self.follow_links:
                if not should_skip(link, self.root) or os.path.isdir(link):
                    self.problems.append((link, LINK_OUTSIDE))
                return
        try:
            st = os.stat(link)
        except OSError as exc:
            self.problems.append((link, "broken link" if exc.errno == errno.ENOENT else reason_of(exc)))
            return
        key = (st.st_dev, st.st_ino)
        if stat.S_ISDIR(st.st_mode):
            if key not in self._seen_dirs and not should_skip_dir(link) and not self._excluded(link, True):
                yield from self._walk(link)
            return
        if (not stat.S_ISREG(st.st_mode) or should_skip(link, self.root) or key in self._seen_files
                or self._excluded(link, False)):
            return
        self._seen_files.add(key)
        yield link, st.st_size, st.st_mtime

    def _excluded(self, path: str, is_dir: bool) -> bool:
        return self.exclude is not None and self.exclude(path, is_dir)

    @staticmethod
    def _inside(path: str, root: str) -> bool:
        return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def walk_files(root: Path | str, roots: Iterable[str] = (), follow_links: bool = False
               ) -> Iterator[tuple[str, int, float]]:
    """Yield (path, size, mtime) for every supported, non-hidden, non-temporary file."""
    yield from Walk(os.fspath(root), roots, follow_links)


def link_allowed(path: str, roots: Iterable[str], follow_links: bool) -> bool:
    """May the file at ``path`` be read? False for a link (anywhere on its way) that
    leads outside every chosen folder, unless links may be followed."""
    if follow_links:
        return True
    real = os.path.realpath(path)
    return any(Walk._inside(real, os.path.realpath(r)) for r in roots)


def file_hash(path: Path | str, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            data = fh.read(block)
            if not data:
                break
            h.update(data)
    return h.hexdigest()
