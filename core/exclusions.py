"""Exclusions: gitignore-style patterns (matched with pathspec) whose files are never indexed.

- A pattern is global (every folder) or belongs to one folder; it is matched against the
  path relative to the folder's root, as git matches a .gitignore at that root ("*.tmp",
  "drafts/", "/notes/*.md", "!drafts/keep.pdf"). Global patterns come first, so a folder
  may re-include with "!".
- The scanner (core/index/scan.py Walk) does not enter an excluded folder nor yield an
  excluded file; the reconciler's enqueue_paths, which the watcher hands every change to,
  drops excluded paths, so a new matching file is never indexed either way.
- Adding a pattern removes the documents it matches from the library at once (one write,
  through the Catalog) and drops their queued jobs; removing one re-scans the folders it
  applied to, which brings their files back (core/library.py).
- ``kept_out`` holds, per (folder id or None, pattern), how many files and folders the
  last scan of each folder left out because of that pattern (the Library tab shows it).

This module owns the ``exclusions`` table (migration 0010).
"""

from __future__ import annotations

import builtins
import os
import time
from collections import Counter
from dataclasses import dataclass

import pathspec

from core.catalog import Catalog, FolderRow
from core.changes import reads, writes
from core.errors import InvalidInputError
from core.index.jobs import JobQueue
from core.pathnames import from_db
from core.store import Store

DEFAULTS = (".git/", "node_modules/", "__pycache__/", "*.tmp")


@dataclass(frozen=True)
class Exclusion:
    folder_id: int | None      # None: every folder
    pattern: str


class Matcher:
    """The patterns that apply to one folder, compiled once."""

    def __init__(self, root: str, patterns: list[Exclusion]) -> None:
        self.root = os.path.abspath(root).rstrip(os.sep)
        self.patterns = patterns
        self._spec = pathspec.GitIgnoreSpec.from_lines([p.pattern for p in patterns]) if patterns else None
        self.kept_out: Counter[Exclusion] = Counter()

    def __bool__(self) -> bool:
        return self._spec is not None

    def excluded(self, path: str, is_dir: bool = False) -> bool:
        """Is this OS path (below the root) left out? Counts what each pattern keeps out."""
        if self._spec is None:
            return False
        rel = _relative(path, self.root)
        if not rel:
            return False
        result = self._spec.check_file(rel + "/" if is_dir else rel)
        if not result.include:
            return False
        if result.index is not None:
            self.kept_out[self.patterns[result.index]] += 1
        return True


def _relative(path: str, root: str) -> str:
    path = os.path.abspath(path)
    if not path.startswith(root + os.sep):
        return ""
    return path[len(root) + 1:].replace(os.sep, "/")


def check_pattern(pattern: str) -> str:
    """The pattern, stripped, or InvalidInputError when it is empty or not gitignore."""
    pattern = pattern.strip()
    if not pattern or pattern.startswith("#"):
        raise InvalidInputError("an exclusion pattern cannot be empty or a comment")
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except Exception as exc:  # noqa: BLE001 - pathspec's errors differ by version
        raise InvalidInputError(f"not a gitignore pattern: {pattern!r} ({exc})") from exc
    return pattern


class Exclusions:
    def __init__(self, store: Store, catalog: Catalog, jobs: JobQueue | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.jobs = jobs
        self.kept_out: dict[tuple[int, Exclusion], int] = {}   # (folder id, pattern)

    @reads
    def list(self) -> list[Exclusion]:
        """Global patterns first, then each folder's, in the order they were added."""
        return [Exclusion(fid, pattern) for fid, pattern in self.store.query(
            "SELECT folder_id, pattern FROM exclusions ORDER BY folder_id IS NOT NULL, folder_id, id")]

    @reads
    def matcher(self, folder_id: int, root: str) -> Matcher:
        return Matcher(root, [e for e in self.list() if e.folder_id in (None, folder_id)])

    @writes()
    def remember(self, folder_id: int, matcher: Matcher) -> None:
        """What one scan of a folder left out (replaces that folder's share)."""
        for e in matcher.patterns:
            self.kept_out[(folder_id, e)] = matcher.kept_out.get(e, 0)

    @writes()
    def count_now(self, folders: builtins.list[FolderRow]) -> None:   # list: the method above
        """Walk the folders (queueing nothing) to count what each pattern keeps out."""
        from core.index.scan import Walk

        roots = [f.root for f in folders]
        for f in folders:
            if f.paused or not os.path.isdir(f.root):
                continue
            matcher = self.matcher(f.id, f.root)
            for _ in Walk(f.root, roots, f.follow_links, exclude=matcher.excluded):
                pass
            self.remember(f.id, matcher)

    @reads
    def counts(self) -> dict[Exclusion, int]:
        """Files and folders each pattern kept out in the folders' last scans."""
        out: Counter[Exclusion] = Counter()
        for (_, e), n in self.kept_out.items():
            out[e] += n
        return {e: out.get(e, 0) for e in self.list()}

    @writes()
    def add(self, pattern: str, folder_id: int | None = None) -> int:
        """Add a pattern (no-op when it is there); remove the documents it now matches
        and their queued jobs, in the same write. Returns the documents removed."""
        pattern = check_pattern(pattern)
        with self.store.write() as conn:
            conn.execute("INSERT OR IGNORE INTO exclusions(folder_id, pattern, added_at) VALUES (?,?,?)",
                         (folder_id, pattern, time.time()))
            rows = list(conn.execute("SELECT id, path FROM folders"))
            removed = 0
            for fid, root in rows:
                if folder_id not in (None, fid):
                    continue
                matcher = Matcher(from_db(root), [Exclusion(folder_id, pattern)])
                for doc_id, path in list(conn.execute(
                        "SELECT id, path FROM documents WHERE folder_id = ?", (fid,))):
                    if matcher.excluded(from_db(path)) and conn.execute(
                            "SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone():
                        self.catalog.delete_document(conn, doc_id)   # a container's members go with it
                        removed += 1
                if self.jobs is not None:
                    self.jobs.drop_index_jobs(conn, fid, matcher.excluded)
        return removed

    @writes()
    def remove(self, pattern: str, folder_id: int | None = None) -> bool:
        """Forget a pattern. The caller re-scans the folders it applied to."""
        with self.store.write() as conn:
            conn.execute("DELETE FROM exclusions WHERE coalesce(folder_id, 0) = ? AND pattern = ?",
                         (folder_id or 0, pattern.strip()))
            gone = conn.changes() > 0
        for key in [k for k in self.kept_out if k[1] == Exclusion(folder_id, pattern.strip())]:
            del self.kept_out[key]
        return gone
