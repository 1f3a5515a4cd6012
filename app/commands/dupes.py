"""`likewise similar-paragraphs` (short: `dupes`): passages repeated or reworded across
the library, the window's "Similar paragraphs" tab on the command line."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from app.commands.bars import Bar, is_tty
from app.commands.common import open_library, print_json, to_jsonable

SNIPPET = 240


def register(sub: Any) -> None:
    p = sub.add_parser(
        "similar-paragraphs", aliases=["dupes"],
        help="paragraphs copied or reworded across documents (short: dupes)",
        description="Mine the passages indexed since the last run (against the whole library), "
        "then list clusters of copies (exact, near) or related pairs.",
    )
    p.add_argument("--kind", choices=["exact", "near", "related"],
                   help="exact/near: clusters of that kind; related: pairs above the related threshold")
    p.add_argument("--min-size", type=int, default=2, metavar="N", help="clusters of at least N passages")
    p.add_argument("--folder", metavar="DIR", help="only what has a passage in this watched folder")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="list at most N (0 = all)")
    p.add_argument("--near", type=float, metavar="COS", help="near-duplicate threshold (kept for next runs)")
    p.add_argument("--related", type=float, metavar="COS", help="related threshold (kept for next runs)")
    p.add_argument("--same-document", action="store_true", help="also pair passages of one document")
    p.add_argument("--mine", action="store_true",
                   help="mine the whole library again, not only passages new since the last run")
    p.add_argument("--no-mine", action="store_true", help="list what is stored, without mining")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON instead of text")
    out.add_argument("--csv", metavar="FILE", help="write the list as CSV to FILE")
    p.set_defaults(func=cmd_dupes)


class _MiningLine:
    """Mining progress on stderr: one updating line on a terminal, a few lines otherwise."""

    def __init__(self) -> None:
        self.tty = is_tty(sys.stderr)
        self.last = ""
        self.bar: Bar | None = None

    def __call__(self, p: Any) -> None:
        if self.tty:
            if self.bar is None or self.bar.desc != p.phase:
                self.finish()
                self.bar = Bar(p.phase, unit="passage")
            self.bar.update(p.done, p.total)
            return
        text = f"{p.phase}: {p.done}/{p.total}" if p.total else p.phase
        if text == self.last or (p.phase == "mining" and p.done != p.total):
            return
        self.last = text
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _snippet(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= SNIPPET else one[: SNIPPET - 1] + "…"


def cmd_dupes(args: Any) -> int:
    with open_library(args) as lib:
        report = None
        if not args.no_mine:
            line = _MiningLine()
            report = lib.discovery.mine_duplicates(near=args.near, related=args.related,
                                                   same_document=args.same_document, progress=line, full=args.mine)
            line.finish()
            print(
                f"{report.passages} passages, {report.mined} mined in {report.seconds:.1f} s: "
                f"{report.pairs_exact} exact, {report.pairs_near} near, {report.pairs_related} related pairs, "
                f"{report.clusters} clusters (near >= {report.near_threshold:.2f}, "
                f"related >= {report.related_threshold:.2f})",
                file=sys.stderr,
            )
        limit = args.limit or None
        if args.kind == "related":
            items: list = lib.discovery.duplicate_pairs(kind="related", folder=args.folder, limit=limit)
        else:
            items = lib.discovery.duplicate_clusters(kind=args.kind, folder=args.folder, min_size=args.min_size)
            items = items[:limit] if limit else items
        if args.json:
            key = "pairs" if args.kind == "related" else "clusters"
            print_json({"mining": to_jsonable(report), key: items})
        elif args.csv:
            n = _write_csv(Path(args.csv), items, args.kind == "related")
            print(f"{n} rows written to {args.csv}", file=sys.stderr)
        elif args.kind == "related":
            _print_pairs(items)
        else:
            _print_clusters(items)
    return 0


def _print_clusters(clusters: list) -> None:
    if not clusters:
        print("No repeated paragraphs found.")
        return
    for c in clusters:
        flag = f" [{c.decision}]" if c.decision else ""
        print(f"#{c.id} {c.kind}: {c.size} passages in {c.documents} documents, "
              f"similarity {c.score:.3f}{flag}")
        print(f"  \"{_snippet(c.representative.text)}\"")
        for m in c.members:
            print(f"    {m.cosine:.3f}  {m.where}")
        print()


def _print_pairs(pairs: list) -> None:
    if not pairs:
        print("No related pairs found.")
        return
    for p in pairs:
        print(f"#{p.id} {p.kind} {p.cosine:.3f}  {p.a.where}  <->  {p.b.where}")
        print(f"  a: {_snippet(p.a.text)}")
        print(f"  b: {_snippet(p.b.text)}")
        print()


def _write_csv(path: Path, items: list, pairs: bool) -> int:
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if pairs:
            w.writerow(["pair_id", "kind", "cosine", "decision", "a_path", "a_page", "a_text",
                        "b_path", "b_page", "b_text"])
            for p in items:
                w.writerow([p.id, p.kind, f"{p.cosine:.4f}", p.decision or "", p.a.path, p.a.page_start or "",
                            p.a.text, p.b.path, p.b.page_start or "", p.b.text])
                rows += 1
        else:
            w.writerow(["cluster_id", "kind", "size", "documents", "score", "decision", "representative",
                        "chunk_id", "path", "page", "cosine", "text"])
            for c in items:
                for m in c.members:
                    w.writerow([c.id, c.kind, c.size, c.documents, f"{c.score:.4f}", c.decision or "",
                                int(m.chunk_id == c.representative.chunk_id), m.chunk_id, m.path,
                                m.page_start or "", f"{m.cosine:.4f}", m.text])
                    rows += 1
    return rows
