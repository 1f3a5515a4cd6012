"""A model's identity in a library: what it computes, not where it lies.

The application folder moves (an upgrade, a renamed or copied folder, an AppImage
mount, macOS App Translocation), and a library may be opened by a venv and by a
packaged app in turn; the bundled model then sits under another path with the very
same bytes. So a library recognizes a model by a hash of the files that decide its
vectors (weights, configurations, tokenizer), and keeps the path only as the last
place it was seen.

    digest = content_hash(folder)        # hex sha256, ~0.2 s for an 88 MB model
    mark = stamp(folder)                 # cheap: names, sizes, mtimes of those files

A library stores both (its ``models`` rows, owned by core/model_versions.py); when the
stamp of the path it remembers is unchanged, the hash is not computed again.

The packaged app's base download carries the bundled model without its fp32 weights
(only the torch encoder reads them; they come with the training add-on, issue 31): its
folder holds ``likewise-identity.json``, written at build time with the weights there,
and the folder's hash is the recorded one while the weights it names are absent.

    write_identity(folder, out_file)     # at build time: the hash, the files left out
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# Files that decide a model's vectors. Reports, READMEs and caches do not.
_WEIGHT_SUFFIXES = (".safetensors",)
_TOKENIZER_FILES = ("vocab.txt", "merges.txt", "spiece.model", "sentencepiece.bpe.model")
IDENTITY_FILE = "likewise-identity.json"
_IGNORED_JSON = ("training_report.json", IDENTITY_FILE)
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
    """sha256 over the relative names and bytes of ``model_files(folder)`` (or the hash
    recorded in the folder when the weights it names were left out of it)."""
    root = Path(folder)
    recorded = recorded_hash(root)
    if recorded is not None:
        return recorded
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


def recorded_hash(folder: Path | str) -> str | None:
    """The hash recorded by write_identity, when a file it names as left out is absent."""
    import json

    path = Path(folder) / IDENTITY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    left_out = data.get("left_out") or []
    if isinstance(data, dict) and any(not (Path(folder) / name).exists() for name in left_out):
        return str(data["content_hash"])
    return None


def write_identity(folder: Path | str, out_file: Path | str) -> dict:
    """Record the hash of the whole ``folder`` and which of its files (the weights) a
    copy may leave out; the copy's folder gets ``out_file`` as IDENTITY_FILE."""
    import json

    root = Path(folder)
    data = {"content_hash": content_hash(root),
            "left_out": [p.relative_to(root).as_posix() for p in model_files(root)
                         if p.name.endswith(_WEIGHT_SUFFIXES)]}
    Path(out_file).parent.mkdir(parents=True, exist_ok=True)
    Path(out_file).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data
