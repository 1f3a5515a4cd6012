"""Finding what changed: scan the chosen folders (core/index/scan.py) and queue every
difference with the catalog as a job (core/index/jobs.py). Also remembers the places a
scan could not look at (table ``scan_problems``) and counts the files of a type Likewise
does not read, per extension (table ``unsupported_files``), so the user is told."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from core import faults
from core.catalog import Catalog
from core.changes import reads, writes
from core.index.jobs import JobQueue
from core.index.scan import Walk, link_allowed
from core.index.skip import should_skip
from core.pathnames import from_db, to_db
from core.store import Store

if TYPE_CHECKING:
    from core.exclusions import Exclusions, Matcher


class Reconciler:
    def __init__(self, store: Store, catalog: Catalog, jobs: JobQueue,
                 exclusions: Exclusions | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.jobs = jobs
        self.exclusions = exclusions

    def _matcher(self, folder_id: int, root: str) -> Matcher | None:
        return self.exclusions.matcher(folder_id, root) if self.exclusions is not None else None

    @writes()
    def reconcile(self, folder_id: int | None = None) -> int:
        """Scan folders and queue every difference with the library. Returns jobs queued."""
        rows = self.catalog.folder_rows()
        roots = [r.root for r in rows]
        queued = 0
        for f in rows:
            if (folder_id is not None and f.id != folder_id) or f.paused:
                continue
            if not os.path.isdir(f.root):
                self.catalog.mark_folder_available(f.id, False)
                continue
            self.catalog.mark_folder_available(f.id, True)
            matcher = self._matcher(f.id, f.root)
            walk = Walk(f.root, roots, f.follow_links, exclude=matcher.excluded if matcher else None)
            queued += self._reconcile_folder(f.id, walk)
            if matcher is not None and self.exclusions is not None:
                self.exclusions.remember(f.id, matcher)
        return queued + self.requeue_needing_programs()

    @writes()
    def requeue_needing_programs(self) -> int:
        """Queue again the old Office files that "need antiword" (or catdoc) when that
        program is installed now (core/extract/legacy_office.py). Returns the jobs queued."""
        from core.extract.legacy_office import find_program
        from core.types import OLD_OFFICE_EXTENSIONS

        marks = ",".join("?" * len(OLD_OFFICE_EXTENSIONS))
        rows = self.store.query(
            f"SELECT path, folder_id, ext FROM documents WHERE status = 'error' AND error LIKE 'needs %' "
            f"AND ext IN ({marks})", OLD_OFFICE_EXTENSIONS)
        ready = {ext: find_program(ext) is not None for ext in OLD_OFFICE_EXTENSIONS}
        return self.jobs.put_many_stored("reindex", [(p, f) for p, f, ext in rows if ready.get(ext)])

    @writes()
    def enqueue_paths(self, paths: Iterable[Path | str]) -> int:
        """Queue index or delete jobs for these paths (files or folders, present or gone;
        OS paths, as the file system or the user gives them). A paused folder's paths are
        queued too: they wait, counted, until it resumes (core/index/jobs.py RUNNABLE)."""
        rows = self.catalog.folder_rows()
        roots = [r.root for r in rows]
        jobs: list[tuple[str, str, int | None]] = []
        matchers: dict[int, Matcher | None] = {}
        for raw in paths:
            path = os.path.abspath(os.fspath(raw))
            found = folder_of(path, [(r.id, r.root) for r in rows])
            if found is None:
                continue
            fid, root = found
            follow = next(r.follow_links for r in rows if r.id == fid)
            if fid not in matchers:
                matchers[fid] = self._matcher(fid, root)
            matcher = matchers[fid]
            if matcher and matcher.excluded(path, os.path.isdir(path)):
                continue           # never indexed (what it held went when the pattern came)
            if os.path.isdir(path) and link_allowed(path, roots, follow):
                walk = Walk(path, roots, follow, exclude=matcher.excluded if matcher else None)
                jobs.extend(("index", fpath, fid) for fpath, _, _ in walk)
                self.note_problems(fid, walk.problems)
                jobs.extend(("delete", p, fid) for p in self.catalog.known_under(path)
                            if not os.path.lexists(p))
            elif os.path.isfile(path):
                if not should_skip(path, root) and link_allowed(path, roots, follow):
                    jobs.append(("index", path, fid))
            else:
                known = self.catalog.known_under(path)
                if self.catalog.known(to_db(path)) is not None:
                    known.append(path)
                jobs.extend(("delete", p, fid) for p in set(known))
        return self.jobs.put(jobs)

    def _reconcile_folder(self, fid: int, walk: Walk) -> int:
        known = self.catalog.sizes_in_folder(fid)
        jobs: list[tuple[str, str, int | None]] = []
        seen: set[str] = set()
        for path, size, mtime in walk:
            faults.checkpoint("scan")
            stored = to_db(path)
            seen.add(stored)
            old = known.get(stored)
            if old is None or old[0] != size or old[1] != mtime:
                jobs.append(("index", path, fid))
        jobs.extend(("delete", from_db(path), fid) for path in known if path not in seen)
        queued = self.jobs.put(jobs)
        with self.store.write() as conn:
            self.catalog.note_reconciled(conn, fid)
            conn.execute("DELETE FROM scan_problems WHERE folder_id = ?", (fid,))
        self.note_problems(fid, walk.problems)
        self.note_unsupported(fid, walk)
        return queued

    @writes()
    def note_problems(self, fid: int, problems: list[tuple[str, str]]) -> None:
        """Remember what a walk could not look at (a folder it cannot list, a link it
        does not follow), so that the user is told."""
        if not problems:
            return
        now = time.time()
        with self.store.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO scan_problems(path, folder_id, reason, seen_at) VALUES (?,?,?,?)",
                [(to_db(path), fid, reason, now) for path, reason in problems],
            )

    @writes()
    def note_unsupported(self, fid: int, walk: Walk) -> None:
        """Replace the folder's counts of unsupported files with what ``walk`` saw."""
        now = time.time()
        with self.store.write() as conn:
            conn.execute("DELETE FROM unsupported_files WHERE folder_id = ?", (fid,))
            conn.executemany(
                "INSERT INTO unsupported_files(folder_id, ext, files, bytes, example, seen_at) "
                "VALUES (?,?,?,?,?,?)",
                [(fid, ext, n, size, to_db(example), now) for ext, (n, size, example) in walk.unsupported.items()],
            )

    @writes()
    def recount_unsupported(self, folder_id: int | None = None) -> None:
        """Walk the folders (queueing nothing) and count their unsupported files again
        (after an exclusion is added, so that what it matches is no longer listed)."""
        rows = self.catalog.folder_rows()
        roots = [r.root for r in rows]
        for f in rows:
            if (folder_id is not None and f.id != folder_id) or f.paused or not os.path.isdir(f.root):
                continue
            matcher = self._matcher(f.id, f.root)
            walk = Walk(f.root, roots, f.follow_links, exclude=matcher.excluded if matcher else None)
            for _ in walk:
                pass
            self.note_unsupported(f.id, walk)

    @reads
    def unsupported(self) -> list[tuple[str, int, int, str]]:
        """(extension, files, bytes, an example stored path) of the files of a type
        Likewise does not read, over every folder, the most numerous first."""
        return [(ext, files, size, example) for ext, files, size, example in self.store.query(
            "SELECT ext, SUM(files), SUM(bytes), MIN(example) FROM unsupported_files "
            "GROUP BY ext ORDER BY SUM(files) DESC, ext")]

    @reads
    def scan_problems(self) -> list[tuple[str, str]]:
        """(stored path, reason) of every place the last scans could not look at."""
        return [(p, r) for p, r in self.store.query(
            "SELECT path, reason FROM scan_problems ORDER BY path")]


def folder_of(path: str, roots: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The innermost chosen folder holding ``path``: (id, root)."""
    best: tuple[int, str] | None = None
    for fid, root in roots:
        r = root.rstrip(os.sep)
        if path == r or path.startswith(r + os.sep):
            if best is None or len(r) > len(best[1]):
                best = (fid, r)
    return best
