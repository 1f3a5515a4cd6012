"""likewise exclude: gitignore-style patterns whose files are never indexed."""

from __future__ import annotations

import sys
from typing import Any

from app.commands.common import add_common, open_library, print_json, shown


def register(sub: Any) -> None:
    p = sub.add_parser(
        "exclude", help="leave files out by gitignore pattern (add, remove, list)",
        description="Patterns are matched as a .gitignore at each folder's root: '*.tmp', "
        "'drafts/', '/notes/*.md', '!keep.pdf'. Without --folder a pattern applies to every "
        "folder. Adding one removes the documents it matches at once; removing one brings "
        "them back with the next indexing run.",
    )
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("patterns", nargs="*", metavar="PATTERN")
    p.add_argument("--folder", metavar="PATH", help="only for this watched folder")
    add_common(p)
    p.set_defaults(func=cmd_exclude)


def cmd_exclude(args: Any) -> int:
    with open_library(args) as lib:
        if args.action == "list":
            return _list(lib, args)
        if not args.patterns:
            print(f"likewise exclude {args.action}: give at least one PATTERN", file=sys.stderr)
            return 2
        out: dict[str, int] = {}
        for pattern in args.patterns:
            if args.action == "add":
                out[pattern] = lib.add_exclusion(pattern, folder=args.folder)
            else:
                out[pattern] = lib.remove_exclusion(pattern, folder=args.folder)
        if args.action == "remove" and any(out.values()):
            from app.commands.library import _run_index

            _run_index(lib, args.json)
        if args.json:
            print_json({"action": args.action, "patterns": out})
        else:
            where = f" in {shown(args.folder)}" if args.folder else ""
            for pattern, n in out.items():
                if args.action == "add":
                    print(f"Excluded {pattern}{where}: {n} documents left the library")
                else:
                    print(f"No longer excluded: {pattern}{where} ({n} files to index)")
    return 0


def _list(lib: Any, args: Any) -> int:
    folders = {f.id: f.path for f in lib.folders()}
    counts = lib.exclusion_counts(rescan=True)
    rows = [{"pattern": e.pattern, "folder": folders.get(e.folder_id) if e.folder_id else None,
             "kept_out": n} for e, n in counts.items()]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        where = shown(row["folder"]) if row["folder"] else "every folder"
        print(f"{row['pattern']:<24} {row['kept_out']:>6} kept out  ({where})")
    return 0
