"""A test hook, off unless LIKEWISE_SHOWN_RESULTS names a file: each time the window shows
results, one JSON line is appended to that file (what the list shows, its header, and
each row's kind, path and first words). `make package-test` (packaging/package_test.sh)
runs the installed desktop entry's "Find similar" action and reads it to check what the
window showed; a person never sets it."""

from __future__ import annotations

import json
from typing import Any

SHOWN_RESULTS_ENV = "LIKEWISE_SHOWN_RESULTS"


def record_shown_results(window: Any, target: str) -> None:
    def write(view: str) -> None:
        rows = [{"kind": row.kind, "path": row.result.path, "text": " ".join(row.result.text.split())[:120]}
                for row in window.results.rows]
        line = {"view": view, "header": window.header.text(), "rows": rows}
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    window.results_shown.connect(write)
