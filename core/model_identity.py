"""A model's identity in a library: what it computes, not where it lies.

The application folder moves (an upgrade, a renamed or copied folder, an AppImage
mount, macOS App Translocation), and a library may be opened by a venv and by a
packaged app in turn; the bundled model then sits under another path with the very
same bytes. So a library recognizes a model by a hash of the files that decide its
vectors (weights, configurations, tokenizer), and keeps the path only as the last
place it was seen.

    digest = content_hash(folder)        # hex sha256, ~0.2 s for an 88 MB model
    mark = stamp(folder)                 # cheap: names, sizes, mtimes of those files

A library stores both; when the stamp of the path it remembers is unchanged, the
hash is not computed again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Files that decide a model's vectors. Reports, READMEs and caches do not.
_WEIGHT_SUFFIXES = (".safetensors",)
_TOKENIZER_FILES = ("vocab.txt", "merges.txt", "spiece.model", "sentencepiece.bpe.model")
_IGNORED_JSON = ("training_report.json",)
_CHUNK = 1 << 20


def model_files(folder: Path | str) -> list[Path]:
    """The files of a model folder that decide its vectors, in a stable order."""
    root = Path(folder)
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        name = path.name
        if (
            name.endswith(_WEIGHT_SUFFIXES)
            or name in _TOKENIZER_FILES
            or (name.endswith(".json") and name not in _IGNORED_JSON)
        ):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def content_hash(folder: Path | str) -> str:
    """sha256 over the relative names and bytes of ``model_files(folder)``."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in model_files(root):
        rel = path.relative_to(root).as_posix().encode("utf-8")
        digest.update(len(rel).to_bytes(4, "big") + rel)
        digest.update(path.stat().st_size.to_bytes(8, "big"))
        with path.open("rb") as fh:
            while block := fh.read(_CHUNK):
                digest.update(block)
    return digest.hexdigest()


def stamp(folder: Path | str) -> str:
    """Names, sizes and modification times of the model's files: equal stamps of one
    path mean its hash need not be computed again."""
    root = Path(folder)
    parts = []
    for path in model_files(root):
        st = path.stat()
        parts.append(f"{path.relative_to(root).as_posix()}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


# -- the models table ---------------------------------------------------------------
@dataclass
class Found:
    """A models row that holds the chosen folder's model."""

    id: int
    previous_path: str   # where the row said the model was before this match
    digest: str | None   # None only when the folder does not exist


def find_model(store: Any, folder: Path, key: str) -> tuple[Found | None, str | None]:
    """The row of the model in ``folder`` (``key``: its resolved path), found by content.

    Returns (row or None, the folder's content hash or None when the folder is missing).
    A row found elsewhere is moved to ``key``; rows from before content hashes (NULL)
    whose folder still exists are hashed on the way, so they are matched too.
    """
    if not folder.is_dir():
        row = store.query_one("SELECT id FROM models WHERE path = ?", (key,))
        return (Found(int(row[0]), key, None) if row else None), None
    mark = stamp(folder)
    row = store.query_one(
        "SELECT id, content_hash FROM models WHERE path = ? AND content_stamp = ? "
        "AND content_hash IS NOT NULL ORDER BY id LIMIT 1", (key, mark))
    if row:
        return Found(int(row[0]), key, row[1]), row[1]
    digest = content_hash(folder)
    _hash_legacy_rows(store, key, digest, mark)
    row = store.query_one(
        "SELECT id, path FROM models WHERE content_hash = ? ORDER BY (path = ?) DESC, id LIMIT 1",
        (digest, key))
    if row is None:
        return None, digest
    set_location(store, int(row[0]), key, digest, mark)
    return Found(int(row[0]), row[1], digest), digest


def _hash_legacy_rows(store: Any, key: str, digest: str, mark: str) -> None:
    """Fill content_hash of rows made before it existed, where their folder still is."""
    for model_id, path in store.query("SELECT id, path FROM models WHERE content_hash IS NULL"):
        if path == key:
            set_location(store, int(model_id), key, digest, mark)
        elif Path(path).is_dir():
            set_location(store, int(model_id), path, content_hash(path), stamp(path))


def adopt_lost_row(store: Any, name: str, dim: int, key: str, digest: str | None) -> Found | None:
    """A base model row from before content hashes whose folder is gone (the app that
    held it moved): the chosen model of the same name and dimension takes it over."""
    for model_id, path in store.query(
        "SELECT id, path FROM models WHERE content_hash IS NULL AND kind = 'base' "
        "AND name = ? AND dim = ? ORDER BY id", (name, dim)):
        if not Path(path).exists():
            set_location(store, int(model_id), key, digest, stamp(key) if digest else None)
            return Found(int(model_id), path, digest)
    return None


def relocate(store: Any, model_id: int, candidates: list[Path]) -> Path | None:
    """Find the folder of a model whose remembered path is gone among ``candidates``
    (the bundled model, the chosen one, the user's models folder), by content."""
    row = store.query_one("SELECT content_hash FROM models WHERE id = ?", (model_id,))
    if row is None or row[0] is None:
        return None
    for folder in candidates:
        if folder.is_dir() and content_hash(folder) == row[0]:
            found = folder.resolve()
            set_location(store, model_id, str(found), row[0], stamp(found))
            return found
    return None


def set_location(store: Any, model_id: int, path: str, digest: str | None, mark: str | None) -> None:
    with store.write() as conn:
        conn.execute(
            "UPDATE models SET path = ?, content_hash = ?, content_stamp = ? WHERE id = ?",
            (path, digest, mark, model_id))
