"""The search graph's file next to the library (``<library>.m<ID>.usearch`` and its ``.json``).

The graph is written whole under a temporary name, flushed to disk and renamed; then the
JSON that describes it (the ``vec_log`` seq it reflects, the model's fingerprint, how many
vectors, the file's size and a digest of its first and last bytes) is written the same
way. A graph is opened only when every one of those agrees: a kill between the two renames,
a truncated or foreign file, or a graph of another model (or of a model row that was
deleted and made again) is refused, and the caller builds a new one. Nothing here decides
what the graph answers: core/search/accel.py checks the opened graph against the store
(count and a sample of ids) before it uses it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIGEST_SPAN = 1 << 16     # bytes read from each end of the file for its digest


@dataclass(frozen=True)
class GraphMeta:
    seq: int          # the vec_log seq the graph reflects
    model_id: int
    model_key: str    # fingerprint of the model row (core/search/graph_file.model_key)
    dim: int
    count: int        # vectors in the graph


def meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def model_key(conn: Any, model_id: int) -> str:
    """What identifies a model version beyond its id (a row deleted and made again, or
    another library's model with the same id, gets another key)."""
    row = conn.execute("SELECT name, path, dim, created_at FROM models WHERE id = ?", (model_id,)).fetchone()
    return hashlib.blake2b(repr(tuple(row) if row else None).encode(), digest_size=12).hexdigest()


def _digest(path: Path, size: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as f:
        h.update(f.read(DIGEST_SPAN))
        if size > DIGEST_SPAN:
            f.seek(max(size - DIGEST_SPAN, DIGEST_SPAN))
            h.update(f.read(DIGEST_SPAN))
    return h.hexdigest()


def _durable_replace(tmp: Path, final: Path) -> None:
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)
    try:
        fd = os.open(final.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_graph(path: Path, index: Any, meta: GraphMeta) -> None:
    """Save ``index`` (a usearch Index) at ``path`` with its description, crash-safely."""
    tmp = path.with_name(path.name + ".tmp")
    index.save(str(tmp))
    size = tmp.stat().st_size
    described = {"seq": meta.seq, "model_id": meta.model_id, "model_key": meta.model_key, "dim": meta.dim,
                 "count": meta.count, "bytes": size, "digest": _digest(tmp, size)}
    _durable_replace(tmp, path)
    mtmp = path.with_name(path.name + ".json.tmp")
    mtmp.write_text(json.dumps(described), encoding="utf-8")
    _durable_replace(mtmp, meta_path(path))


def read_graph(path: Path, model_id: int, key: str) -> tuple[Any, GraphMeta] | None:
    """The saved graph (opened memory-mapped) and what it holds, or None when there is
    none or it is not exactly the graph its description names."""
    mpath = meta_path(path)
    try:
        if not path.exists() or not mpath.exists():
            return None
        raw = json.loads(mpath.read_text(encoding="utf-8"))
        meta = GraphMeta(int(raw["seq"]), int(raw["model_id"]), str(raw["model_key"]), int(raw["dim"]),
                         int(raw["count"]))
        size = path.stat().st_size
        if meta.model_id != model_id or meta.model_key != key or size != int(raw["bytes"]) \
                or _digest(path, size) != raw["digest"]:
            return None
        from usearch.index import Index

        index = Index.restore(str(path), view=True)
        if index is None or index.ndim != meta.dim or len(index) != meta.count:
            return None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):
        return None
    return index, meta
