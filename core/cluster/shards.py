"""Encoded shards: one Parquet file per document content, made by a cluster run
(core/cluster/pipeline.py) or elsewhere, imported into a library by
core/cluster/importer.py. Needs only pyarrow (never Ray).

Layout of a shard folder (a folder every worker and the importing machine can reach):

    <folder>/<model content hash[:16]>/<file content hash>.parquet

One row per file: the file's stored path, size, mtime and content hash; its status and
reason when it was not indexed (encrypted, no text, error: recorded as a local run
would); otherwise its title, pages, passages (ord, text, text hash, pages, heading,
character span, OCR) and one float32 vector per passage, with the model's content hash
and the precision that made them. A shard is written to a temporary name and renamed,
so a shard that exists is whole: a cluster run that is restarted skips the files whose
shard exists (core/cluster/work.py), and an interrupted write leaves no shard.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import InvalidInputError
from core.types import Chunk

FORMAT = 1
SUFFIX = ".parquet"
INSTALL_HINT = ("Reading and writing encoded shards needs pyarrow: pip install pyarrow "
                "(or pip install 'likewise[cluster]' for cluster runs too)")


@dataclass
class Shard:
    """One file's outcome: indexed with passages and vectors, or not indexed and why."""

    path: str                      # stored path (core/pathnames.py to_db)
    size: int
    mtime: float
    content_hash: str
    model_hash: str
    status: str                    # indexed | encrypted | no_text | error
    reason: str | None = None
    title: str | None = None
    pages: int | None = None
    precision: str = "fp32"
    chunks: list[Chunk] = field(default_factory=list)
    vectors: np.ndarray | None = None    # (len(chunks), dim) float32

    @property
    def dim(self) -> int:
        return 0 if self.vectors is None else int(self.vectors.shape[1])


def pyarrow_modules():
    """(pyarrow, pyarrow.parquet), or a clear error saying how to install them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InvalidInputError(INSTALL_HINT) from exc
    return pa, pq


def shard_dir(folder: Path | str, model_hash: str) -> Path:
    return Path(folder) / model_hash[:16]


def shard_path(folder: Path | str, model_hash: str, content_hash: str) -> Path:
    return shard_dir(folder, model_hash) / f"{content_hash}{SUFFIX}"


def _schema(pa):
    passage = pa.struct([
        ("ord", pa.int32()), ("text", pa.string()), ("text_hash", pa.string()),
        ("page_start", pa.int32()), ("page_end", pa.int32()), ("heading", pa.string()),
        ("char_start", pa.int32()), ("char_end", pa.int32()), ("ocr", pa.bool_()),
    ])
    return pa.schema([
        ("format", pa.int32()), ("path", pa.string()), ("size", pa.int64()), ("mtime", pa.float64()),
        ("content_hash", pa.string()), ("model_hash", pa.string()), ("precision", pa.string()),
        ("status", pa.string()), ("reason", pa.string()), ("title", pa.string()),
        ("pages", pa.int32()), ("dim", pa.int32()), ("passages", pa.list_(passage)),
        ("vectors", pa.list_(pa.list_(pa.float32()))),
    ])


def write_shard(folder: Path | str, shard: Shard) -> Path:
    """Write one shard atomically (temporary name, then rename). Returns its path."""
    from core.catalog import text_hash

    pa, pq = pyarrow_modules()
    target = shard_path(folder, shard.model_hash, shard.content_hash)
    target.parent.mkdir(parents=True, exist_ok=True)
    passages = [{
        "ord": c.ord, "text": c.text, "text_hash": text_hash(c.text), "page_start": c.page_start,
        "page_end": c.page_end, "heading": c.heading, "char_start": c.char_start,
        "char_end": c.char_end, "ocr": bool(c.ocr),
    } for c in shard.chunks]
    vectors = [] if shard.vectors is None else [row.astype(np.float32).tolist() for row in shard.vectors]
    row = {
        "format": FORMAT, "path": shard.path, "size": int(shard.size), "mtime": float(shard.mtime),
        "content_hash": shard.content_hash, "model_hash": shard.model_hash, "precision": shard.precision,
        "status": shard.status, "reason": shard.reason, "title": shard.title, "pages": shard.pages,
        "dim": shard.dim, "passages": passages, "vectors": vectors,
    }
    table = pa.Table.from_pylist([row], schema=_schema(pa))
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def read_shard(path: Path | str) -> Shard:
    """One shard, checked: a passage count that does not match the vectors, or a text
    whose hash is not the one recorded, is refused (InvalidInputError)."""
    from core.catalog import text_hash

    _, pq = pyarrow_modules()
    try:
        rows = pq.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"not a readable shard: {path} ({exc})") from exc
    if len(rows) != 1 or rows[0].get("format") != FORMAT:
        raise InvalidInputError(f"not a Likewise shard (format {FORMAT}): {path}")
    r = rows[0]
    chunks = [Chunk(p["ord"], p["text"], p["char_start"], p["char_end"], p["page_start"], p["page_end"],
                    p["heading"], bool(p["ocr"])) for p in r["passages"] or []]
    for p, c in zip(r["passages"] or [], chunks, strict=True):
        if p["text_hash"] != text_hash(c.text):
            raise InvalidInputError(f"damaged shard (a passage's text hash differs): {path}")
    vectors = None
    if chunks:
        vectors = np.asarray(r["vectors"], dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(chunks), int(r["dim"])):
            raise InvalidInputError(f"damaged shard (vectors do not match the passages): {path}")
    return Shard(r["path"], int(r["size"]), float(r["mtime"]), r["content_hash"], r["model_hash"],
                 r["status"], r["reason"], r["title"], r["pages"], r["precision"] or "fp32", chunks, vectors)


def has_shard(folder: Path | str, model_hash: str, content_hash: str) -> bool:
    return shard_path(folder, model_hash, content_hash).is_file()


def shard_files(folder: Path | str) -> list[Path]:
    """Every shard below ``folder`` (a shard folder or one model's part of it)."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInputError(f"not a folder: {root}")
    return sorted(p for p in root.rglob(f"*{SUFFIX}") if not p.name.startswith("."))
