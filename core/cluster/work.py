"""The two stages of a cluster run, as plain callable classes: Ray Data runs them as
actors (core/cluster/pipeline.py, ``map_batches``), the tests call them directly. Neither
imports Ray.

    ExtractWork (CPU actors)   stored path -> stat, content hash; a file whose shard
                               exists is passed on as done (a restarted run encodes
                               nothing twice); otherwise extracted in the isolated worker
                               process (core/extract/isolated.py, the local limits) and
                               chunked (core/chunk.py with the model's tokenizer and the
                               library's settings, as Indexer.chunk)
    EncodeWork (model actors)  chunks -> vectors (GPU when the worker has one, else the
                               CPU int8 path where it passes its gate) -> one shard per file

Both get the model shipped from the library and check its content hash on the worker.

A batch is a dict of equal-length columns; every row leaves with: path, job_id,
folder_id, size, mtime, content_hash, status, reason, shard (its file, or "" when none
was written), passages, encoded (passages this actor encoded for it), encode_s (its share
of the actor's encoding time).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.cluster.shards import Shard, has_shard, shard_path, write_shard
from core.types import INDEXED, Chunk

READY = "ready"      # its shard exists already
OUT_COLUMNS = ("path", "job_id", "folder_id", "size", "mtime", "content_hash", "status", "reason",
               "shard", "passages", "encoded", "encode_s")


def _rows(batch: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    keys = list(batch)
    n = len(batch[keys[0]]) if keys else 0
    return [{k: _plain(batch[k][i]) for k in keys} for i in range(n)]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _columns(rows: list[dict[str, Any]], names: Sequence[str]) -> dict[str, list]:
    return {k: [r.get(k) for r in rows] for k in names}


class ExtractWork:
    """Stat, hash and extract files (one isolated extraction worker per actor)."""

    def __init__(self, shard_folder: str, model_bundle: Mapping[str, bytes], model_hash: str,
                 timeout_s: float = 60.0, memory_mb: int = 2048, ocr: bool = True,
                 max_tokens: int = 0, overlap_sentences: int = 1) -> None:
        from core.extract.isolated import IsolatedExtractor
        from core.extract.options import ExtractOptions

        self.shard_folder = shard_folder
        self.model_hash = model_hash
        self.model_dir = unpack_model(model_bundle, model_hash)   # checked here, at once
        self.options = ExtractOptions(ocr=ocr)
        self.extractor = IsolatedExtractor(timeout_s=timeout_s, memory_mb=memory_mb)
        self.max_tokens = max_tokens
        self.overlap = overlap_sentences
        self._tokens: Any = None

    @property
    def tokens(self) -> Any:
        """The model's token counter (its tokenizer, on the CPU), loaded at the first file
        to chunk; the encoder actors use the same tokenizer."""
        if self._tokens is None:
            from core.encoder.model import SentenceEncoder

            self._tokens = SentenceEncoder.load(self.model_dir, device="cpu")
        return self._tokens

    def chunk(self, blocks: list) -> list:
        from core.chunk import chunk_blocks

        return chunk_blocks(blocks, self.tokens.count_tokens,
                            max_tokens=self.max_tokens or self.tokens.max_seq_length,
                            overlap_sentences=self.overlap)

    def __call__(self, batch: Mapping[str, Sequence[Any]]) -> dict[str, list]:
        rows = [self.one(r) for r in _rows(batch)]
        return _columns(rows, (*OUT_COLUMNS, "doc"))

    def one(self, row: dict[str, Any]) -> dict[str, Any]:
        from core.index.prepare import describe
        from core.index.scan import file_hash, reason_of
        from core.pathnames import from_db

        out = {**row, "size": 0, "mtime": 0.0, "content_hash": "", "status": "error", "reason": "",
               "shard": "", "passages": 0, "encoded": 0, "encode_s": 0.0, "doc": "{}"}
        ospath = from_db(row["path"])
        try:
            st = os.stat(ospath)
            out.update(size=st.st_size, mtime=st.st_mtime)
            out["content_hash"] = file_hash(ospath)
        except OSError as exc:
            out["reason"] = reason_of(exc)
            return out
        if has_shard(self.shard_folder, self.model_hash, out["content_hash"]):
            out.update(status=READY, shard=str(shard_path(self.shard_folder, self.model_hash,
                                                          out["content_hash"])))
            return out
        try:
            result = self.extractor.extract(ospath, self.options)
        except Exception as exc:  # noqa: BLE001 - one file never stops the run
            out["reason"] = f"could not be indexed ({describe(exc)})"
            return out
        status, reason = result.status, "" if result.status == INDEXED else (result.error or result.status)
        chunks: list = []
        if status == INDEXED:
            _ = self.tokens   # a model that cannot load stops the run, never fails a file
            try:
                chunks = self.chunk(result.blocks)
            except Exception as exc:  # noqa: BLE001 - one file never stops the run
                status, reason = "error", f"could not be indexed ({describe(exc)})"
            else:
                if not chunks:
                    status, reason = "no_text", "no extractable text"
        # title, pages and chunks travel as one JSON text: no column of nulls to infer
        doc = {"title": result.title, "pages": result.pages,
               "chunks": [[c.ord, c.text, c.char_start, c.char_end, c.page_start, c.page_end,
                           c.heading, c.ocr] for c in chunks]}
        out.update(status=status, reason=reason, doc=json.dumps(doc))
        return out

    def __del__(self) -> None:
        extractor = getattr(self, "extractor", None)
        if extractor is not None:
            extractor.close()
        _remove(getattr(self, "model_dir", None))


def unpack_model(bundle: Mapping[str, bytes], expected_hash: str, into: Path | None = None) -> Path:
    """Write a shipped model folder ({relative path: bytes}) and check its content hash
    (core/model_identity.py) against the library's: a worker never encodes with another
    model than the one the library names."""
    from core.errors import ModelError
    from core.model_identity import content_hash

    folder = Path(into or tempfile.mkdtemp(prefix="likewise-model-"))
    for rel, data in bundle.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    got = content_hash(folder)
    if got != expected_hash:
        shutil.rmtree(folder, ignore_errors=True)
        raise ModelError(f"the model shipped to this worker is not the library's "
                         f"(content hash {got[:12]}, expected {expected_hash[:12]})")
    return folder


def pack_model(folder: Path | str) -> dict[str, bytes]:
    """The files of a model folder that decide its vectors, for shipping to workers."""
    from core.model_identity import model_files

    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in model_files(root)}


class EncodeWork:
    """Encode and write shards; holds the model (loaded once per actor)."""

    def __init__(self, shard_folder: str, model_bundle: Mapping[str, bytes], model_hash: str,
                 precision: str = "auto", device: str = "auto", batch_size: int = 32) -> None:
        self.shard_folder = shard_folder
        self.model_hash = model_hash
        self.model_dir = unpack_model(model_bundle, model_hash)   # checked here, at once
        self.device, self.precision = device, precision
        self._encoder: Any = None
        self.batch_size = batch_size
        self._last_encode_s = 0.0     # the last encoder call, shared out as encode_s

    @property
    def encoder(self) -> Any:
        """Loaded at the first file to encode (a restarted run whose shards all exist
        loads no model)."""
        if self._encoder is None:
            from core.encoder.precision import load_encoder

            self._encoder = load_encoder(self.model_dir, device=self.device, precision=self.precision)
        return self._encoder

    def __call__(self, batch: Mapping[str, Sequence[Any]]) -> dict[str, list]:
        rows = _rows(batch)
        if any(r["status"] == INDEXED for r in rows):
            _ = self.encoder   # a model that cannot load stops the run, never fails a file
        todo = []
        for r in rows:
            r["doc"] = json.loads(r.get("doc") or "{}")
            if r["status"] == INDEXED:
                r["chunks"] = [Chunk(o, t, cs, ce, ps, pe, h, bool(ocr))
                               for o, t, cs, ce, ps, pe, h, ocr in r["doc"].get("chunks") or []]
                todo.append(r)
            elif r["status"] not in (READY, INDEXED) and r["content_hash"]:
                self._fail(r, r["status"], r["reason"] or r["status"])
        self._encode(todo)
        return _columns(rows, OUT_COLUMNS)

    def _encode(self, rows: list[dict[str, Any]]) -> None:
        """Encode the batch's passages together (a text met twice is encoded once); when
        that fails, each file alone, so that only the one at fault fails."""
        if not rows:
            return
        try:
            mats = self._vectors([[c.text for c in r["chunks"]] for r in rows])
        except Exception as exc:  # noqa: BLE001 - narrowed to the file below
            if len(rows) == 1:
                self._fail(rows[0], "error", f"could not be indexed ({_describe(exc)})")
                return
            for r in rows:
                self._encode([r])
            return
        spent, total = self._last_encode_s, max(sum(e for _, e in mats), 1)
        for r, (mat, encoded) in zip(rows, mats, strict=True):
            shard = Shard(r["path"], r["size"], r["mtime"], r["content_hash"], self.model_hash, INDEXED,
                          None, r["doc"].get("title"), r["doc"].get("pages"),
                          getattr(self.encoder, "precision", "fp32"), r["chunks"], mat)
            r.update(shard=str(write_shard(self.shard_folder, shard)), passages=len(r["chunks"]),
                     encoded=encoded, encode_s=spent * encoded / total)

    def _vectors(self, texts_per_file: list[list[str]]) -> list[tuple[np.ndarray, int]]:
        """(matrix, passages first encoded for this file) per file."""
        from core.catalog import text_hash

        index: dict[str, int] = {}
        unique: list[str] = []
        owner: list[int] = []
        for f, texts in enumerate(texts_per_file):
            for t in texts:
                h = text_hash(t)
                if h not in index:
                    index[h] = len(unique)
                    unique.append(t)
                    owner.append(f)
        started = time.monotonic()
        mat = self.encoder.encode(unique, batch_size=self.batch_size)
        self._last_encode_s = time.monotonic() - started
        out = []
        for f, texts in enumerate(texts_per_file):
            rows = [index[text_hash(t)] for t in texts]
            out.append((np.asarray(mat[rows], dtype=np.float32), owner.count(f)))
        return out

    def _fail(self, r: dict[str, Any], status: str, reason: str) -> None:
        """A file not indexed gets a shard too (its reason), so a restart does not read
        it again, as a local run does not."""
        r.update(status=status, reason=reason)
        doc = r["doc"] if isinstance(r.get("doc"), dict) else {}
        shard = Shard(r["path"], r["size"], r["mtime"], r["content_hash"], self.model_hash, status,
                      reason, doc.get("title"), doc.get("pages"))
        r["shard"] = str(write_shard(self.shard_folder, shard))

    def __del__(self) -> None:
        _remove(getattr(self, "model_dir", None))


def _remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _describe(exc: BaseException) -> str:
    from core.index.prepare import describe

    return describe(exc)
