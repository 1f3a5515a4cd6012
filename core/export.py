"""Search results written out for people: CSV (a spreadsheet) or Markdown (a note),
with the file, the page, the score and the best sentence of each result."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from core.pathnames import display_stored
from core.types import SearchResult

COLUMNS = ("rank", "file", "page", "score", "best sentence", "passage")


def best_sentence(r: SearchResult) -> str:
    """The sentence the result is shown for (the whole passage when none was marked)."""
    if r.best_sentence is not None:
        start, end = r.best_sentence
        return r.text[start:end].strip()
    return r.text.strip()


def _page(r: SearchResult) -> str:
    if r.page_start is None:
        return ""
    if r.page_end is not None and r.page_end != r.page_start:
        return f"{r.page_start}-{r.page_end}"
    return str(r.page_start)


def _rows(results: Sequence[SearchResult]) -> list[tuple[str, ...]]:
    return [(str(i), display_stored(r.path), _page(r), f"{r.score:.4g}", best_sentence(r), r.text.strip())
            for i, r in enumerate(results, 1)]


def results_markdown(results: Sequence[SearchResult], title: str = "") -> str:
    """A Markdown note: one numbered item per result, its file and page, the best
    sentence quoted."""
    lines = [f"# {title}", ""] if title else []
    for rank, path, page, score, sentence, _text in _rows(results):
        where = os.path.basename(path) + (f", page {page}" if page else "")
        lines.append(f"{rank}. **{where}** (score {score})  ")
        lines.append(f"   `{path}`")
        lines.append("")
        lines.extend("   > " + part for part in sentence.splitlines() or [""])
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_results(results: Sequence[SearchResult], path: Path | str, title: str = "") -> int:
    """Write ``results`` to ``path``: Markdown for .md/.markdown, CSV otherwise.
    Returns how many were written. The file is replaced whole (written aside first)."""
    out = Path(path)
    tmp = out.with_name(out.name + ".part")
    if out.suffix.lower() in (".md", ".markdown"):
        tmp.write_text(results_markdown(results, title), encoding="utf-8")
    else:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(_rows(results))
    os.replace(tmp, out)
    return len(results)
