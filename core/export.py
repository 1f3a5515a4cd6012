"""Exports a person can take elsewhere: search results as CSV or Markdown,
labels as CSV/TSV/JSONL. One module for the window and the CLI
(`likewise search ... --export FILE`, `likewise labels export FILE`).

A result row holds the file, its page(s), the score shown on the card (the absolute
strength in 0..1, with the cosine and BM25 behind it), the best sentence (the passage's
sentence closest to the query) and the whole passage. The file is written next to its
final name and moved into place, so a failed export never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from core.errors import InvalidInputError
from core.pathnames import display_stored

RESULT_FORMATS = {".csv": "csv", ".md": "markdown", ".markdown": "markdown"}
COLUMNS = ["rank", "file", "page", "score", "cosine", "bm25", "best_sentence", "passage", "title"]


def result_rows(results: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for i, r in enumerate(results, 1):
        span = getattr(r, "best_sentence", None)
        best = r.text[span[0]:span[1]] if span else ""
        cos, bm25 = getattr(r, "cosine", None), getattr(r, "bm25", None)
        rows.append({
            "rank": i, "file": display_stored(r.path), "page": _pages(r.page_start, r.page_end),
            "score": f"{float(getattr(r, 'strength', 0.0)):.3f}",
            "cosine": "" if cos is None else f"{cos:.3f}", "bm25": "" if bm25 is None else f"{bm25:.3f}",
            "best_sentence": best, "passage": r.text, "title": r.title or "",
        })
    return rows


def export_results(results: list[Any], path: Path | str, query: str = "") -> int:
    """Write results to ``path`` (.csv, .md or .markdown). Returns the rows written."""
    target = Path(path)
    fmt = RESULT_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise InvalidInputError(f"cannot export results to {target.name}: use a .csv or .md file")
    rows = result_rows(results)
    text = _csv(rows) if fmt == "csv" else _markdown(rows, query)
    _write_atomically(target, text)
    return len(rows)


def export_labels(lib: Any, path: Path | str, kind: str | None = None) -> int:
    """Labels of one kind to a CSV/TSV/JSONL file that ``labels import`` reads back."""
    return int(lib.label_table.export_labels(path, kind=kind))


def _pages(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    return f"{start}-{end}" if end and end != start else str(start)


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _markdown(rows: list[dict[str, Any]], query: str) -> str:
    out = [f"# Search results for “{query}”" if query else "# Search results", ""]
    if not rows:
        out.append("Nothing matches.")
    for row in rows:
        page = f", page {row['page']}" if row["page"] else ""
        out.append(f"## {row['rank']}. {row['file']}{page} — score {row['score']}")
        out.append("")
        if row["best_sentence"]:
            out.append(f"**Best sentence:** {_one_line(row['best_sentence'])}")
            out.append("")
        out += ["> " + line if line else ">" for line in row["passage"].splitlines()]
        out.append("")
    return "\n".join(out) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _write_atomically(target: Path, text: str) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".likewise-export-", dir=folder)
    except OSError as exc:
        raise InvalidInputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {target}: {exc.strerror or exc}") from exc
