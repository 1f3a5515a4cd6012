"""Preparing a container file's job (mail: .eml, .msg, mbox; archives: .zip, .tar,
.tar.gz): the documents inside it stream out of the extraction worker one by one, each
becomes a ``Prepared`` of its own (``member`` set) handed on at once to the encoder,
and the container's own ``Prepared`` (``container`` set) comes last: writing it finishes
the job, sets the container's status and removes the members not met again.

- A member whose bytes hash as before (and whose status is the same) is not handed on:
  nothing is encoded or written for it again.
- An mbox that only grew at its end (the bytes read before are unchanged: their hash is
  the container's recorded hash, and a "From " line starts where they ended) is read
  from there: the messages read before stay, only the new ones are read.
- A run stopped half way leaves the container "pending" with the members written so
  far; its job stays queued, and the next run reads it again, skipping the members
  already written.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.extract.containers import container_kind
from core.extract.mbox import starts_message
from core.extract.options import Extractor
from core.pathnames import from_db, member_path
from core.types import INDEXED, NO_TEXT, ExtractResult, IndexReport, Member

Put = Callable[[Any], None]


@dataclass
class MemberOf:
    """How a member's Prepared is written: under which container row."""

    container_id: int
    ext: str
    span: tuple[int, int] | None


@dataclass
class ContainerEnd:
    """The container's own Prepared: its row id and the member paths met (None: keep all)."""

    container_id: int
    seen: set[str] | None
    members: int


def grown_from(ospath: str, old_size: int, old_hash: str | None, new_size: int) -> int | None:
    """Where an mbox's new messages start when it only grew at its end, else None."""
    if not old_hash or old_size <= 0 or new_size <= old_size:
        return None
    h = hashlib.sha256()
    with open(ospath, "rb") as fh:
        left = old_size
        while left:
            data = fh.read(min(left, 1 << 20))
            if not data:
                return None
            h.update(data)
            left -= len(data)
        line = fh.readline(4096)
    if h.hexdigest() != old_hash or not starts_message(line):
        return None
    return old_size


def prepare_container(preparer: Any, job: Any, extractor: Extractor, facts: Any, doc: Any, report: IndexReport,
                      stop: threading.Event, put: Put, prepared: type) -> Any:
    """The members of a container file handed to ``put``, each a ``prepared``
    (core/index/prepare.py Prepared); returns the container's own (or None when
    stopped: the job stays queued)."""
    Prepared = prepared   # noqa: N806 - the class, passed in (prepare.py imports this module)
    catalog, ospath = preparer.catalog, from_db(facts.path)
    start, first = 0, 1
    if doc is not None and doc.status == INDEXED and container_kind(ospath) == "mbox":
        grown = grown_from(ospath, doc.size, doc.content_hash, facts.size)
        if grown is not None:
            start, first = grown, catalog.members.pages(doc.id) + 1
    with preparer.store.write() as conn:
        container_id = catalog.members.begin(conn, facts)
    known = catalog.members.states(container_id)
    seen: set[str] = set()
    matcher = preparer.member_matcher(facts.folder_id)

    def member(found: Member) -> None:
        path = member_path(facts.path, *found.names)
        if matcher is not None and matcher(from_db(path)):
            return                            # an exclusion pattern leaves it out (removed at the end)
        seen.add(path)
        result = found.result
        old = known.get(path)
        if old and found.digest and old[0] == found.digest and (
                old[1] == result.status or (result.status == INDEXED and old[1] == NO_TEXT)):
            return                            # unchanged since the last reading: not chunked again
        chunks = preparer.chunker(result) if result.status == INDEXED and result.blocks else []
        status = result.status
        if status == INDEXED and not chunks and found.ext not in (".zip", ".tar", ".tgz", ".tar.gz"):
            status, result.error = NO_TEXT, result.error or "no extractable text"
        result.status = status
        item = Prepared(job.id, path, facts.folder_id, found.size, facts.mtime, found.digest, result,
                        chunks, member=MemberOf(container_id, found.ext, found.span))
        if status != INDEXED:
            report.failures.append((path, status, result.error or status))
        put(item)

    try:
        result: ExtractResult = extractor.extract(ospath, preparer.options(), None, member=member,
                                                  start=start, first=first)
    except Exception:
        if stop.is_set():
            return None                       # stopped while reading: the job stays queued
        raise
    if stop.is_set():
        return None
    chunks = preparer.chunker(result) if result.status == INDEXED and result.blocks else []
    return Prepared(job.id, facts.path, facts.folder_id, facts.size, facts.mtime, facts.content_hash, result,
                    chunks, doc.id if doc else None,
                    container=ContainerEnd(container_id, None if start else seen, len(seen)))


def is_container(ospath: str) -> bool:
    return os.path.isfile(ospath) and container_kind(ospath) is not None


def write_prepared(catalog: Any, conn: Any, p: Any, vectors: dict, reuse: Any = ()) -> int:
    """Write a member or a container's own row (inside ``conn``'s write); ``reuse``: the
    models whose vectors known by text hash the container's own passages take at once
    (a member's come with the embed jobs, core/index/meaning.py)."""
    if p.member is not None:
        return catalog.members.write(conn, p.member.container_id, p.facts, p.member.ext, p.member.span,
                                     p.result, p.chunks, vectors, status=p.result.status)
    end: ContainerEnd = p.container
    result = p.result
    status = result.status
    if status == NO_TEXT and end.members:
        status = INDEXED          # a message with attachments only, an archive: its members are read
    # An error (a time-out, a crash, a bomb refused half way) stays the container's
    # status with its reason; the members read before it stay findable.
    if status == INDEXED:
        doc_id = catalog.write_document(conn, p.facts, result.title, result.pages, p.chunks, vectors,
                                        reuse=reuse)
    else:
        doc_id = end.container_id
        catalog.write_failure(conn, p.facts, catalog.known(p.facts.path), status, result.error or status,
                              result.title, result.pages)
    catalog.members.finish(conn, doc_id, end.seen, result, status, result.error)
    return doc_id


def write_member_failure(catalog: Any, conn: Any, p: Any, reason: str) -> None:
    catalog.members.write(conn, p.member.container_id, p.facts, p.member.ext, p.member.span, p.result, [], {},
                          status="error", error=reason)
