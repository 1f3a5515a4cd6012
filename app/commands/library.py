"""Library commands: add-folder, remove-folder, folders, index, status, copies."""

from __future__ import annotations

import sys
from typing import Any

from app.commands.common import (
    TerminalProgress,
    add_common,
    library_path,
    open_library,
    print_json,
    shown,
)


def register(sub: Any) -> None:
    p = sub.add_parser("add-folder", help="watch a folder and index its documents")
    p.add_argument("path")
    p.add_argument("--no-index", action="store_true", help="only add it; index later")
    p.add_argument("--follow-links", action="store_true",
                   help="also follow links that lead outside the folder (not followed by default)")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="leave out files matching this gitignore pattern in this folder (repeatable; "
                        "see likewise exclude)")
    add_common(p)
    p.set_defaults(func=cmd_add_folder)

    p = sub.add_parser("remove-folder", help="forget a folder and its documents")
    p.add_argument("path")
    add_common(p)
    p.set_defaults(func=cmd_remove_folder)

    p = sub.add_parser("folders", help="list watched folders")
    add_common(p)
    p.set_defaults(func=cmd_folders)

    p = sub.add_parser("index", help="bring the library up to date with its folders")
    p.add_argument("--no-ocr", action="store_true",
                   help="this run reads no scanned page or image by OCR (setting: ocr_enabled)")
    add_common(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "rebuild",
        help="move a damaged library file aside and build a new one from the same folders",
        description="Renames the damaged library file to FILE.damaged-YYYYmmdd-HHMMSS (with its "
        "-wal and -shm; nothing in it is changed), makes a new library watching the folders "
        "that could still be read from it, and indexes them. Refuses a library that is not damaged.",
    )
    p.add_argument("--no-index", action="store_true", help="only rebuild the folder list; index later")
    add_common(p)
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("status", help="counts of documents by status")
    p.add_argument("--errors", action="store_true", help="list each file not indexed, with its reason")
    add_common(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("copies", help="files that are in several places (the same content)")
    add_common(p)
    p.set_defaults(func=cmd_copies)


def _run_index(lib: Any, as_json: bool) -> Any:
    bar = TerminalProgress()
    report = lib.indexer.index(progress=_waiting_only(bar) if as_json else bar)
    if not as_json:
        bar.finish()
    return report


def _waiting_only(bar: TerminalProgress) -> Any:
    """With --json, stderr still says when the run waits for another Likewise."""
    def progress(p: Any) -> None:
        if p.phase == "waiting":
            bar(p)
    return progress


def _print_report(report: Any) -> None:
    print(
        f"{report.indexed} indexed, {report.unchanged} unchanged, {report.moved} moved, "
        f"{report.copies} copies, {report.removed} removed, {report.failed} not indexed; "
        f"{report.chunks_encoded} passages encoded, {report.chunks_reused} reused, "
        f"{report.seconds:.1f} s" + (" (cancelled)" if report.cancelled else "")
    )
    for path, status, reason in report.failures[:20]:
        print(f"  {status:<9} {shown(path)}: {reason}")
    if len(report.failures) > 20:
        print(f"  ... and {len(report.failures) - 20} more (likewise status --errors)")


def cmd_add_folder(args: Any) -> int:
    with open_library(args) as lib:
        folder = lib.add_folder(args.path, follow_links=True if args.follow_links else None)
        for pattern in args.exclude:
            lib.add_exclusion(pattern, folder=folder.path)
        report = None if args.no_index else _run_index(lib, args.json)
        if args.json:
            print_json({"folder": folder, "report": report})
        else:
            print(f"Watching {shown(folder.path)}")
            if report:
                _print_report(report)
    return 0


def cmd_remove_folder(args: Any) -> int:
    with open_library(args) as lib:
        removed = lib.catalog.remove_folder(args.path)
        if args.json:
            print_json({"removed_documents": removed})
        else:
            print(f"Removed {shown(args.path)} and its {removed} documents from the library")
    return 0


def cmd_folders(args: Any) -> int:
    with open_library(args) as lib:
        folders = lib.folders()
        if args.json:
            print_json(folders)
        else:
            if not folders:
                print("No folders yet: likewise add-folder PATH")
            for f in folders:
                print(f"{f.state:<12} {f.documents:>6} docs {f.pending:>5} pending  {shown(f.path)}")
    return 0


def cmd_index(args: Any) -> int:
    with open_library(args) as lib:
        if not lib.folders():
            print("No folders yet: likewise add-folder PATH", file=sys.stderr)
            return 1
        if args.no_ocr:
            lib.settings.ocr_enabled = False
        report = _run_index(lib, args.json)
        if args.json:
            print_json(report)
        else:
            _print_report(report)
    return 130 if report.cancelled else 0


def cmd_status(args: Any) -> int:
    with open_library(args) as lib:
        counts = lib.status_counts()
        errors = lib.catalog.errors() if args.errors else []
        problems = lib.indexer.reconciler.scan_problems() if args.errors else []
        unsupported = lib.indexer.reconciler.unsupported()
        if args.json:
            out: dict = {"library": str(lib.path), "counts": counts}
            out["unsupported_files"] = sum(n for _, n, _, _ in unsupported)
            if args.errors:
                out["errors"] = [
                    {"path": d.path, "status": d.status, "reason": d.error} for d in errors
                ]
                out["not_read"] = [{"path": p, "reason": r} for p, r in problems]
                out["unsupported"] = [{"ext": ext, "files": n, "bytes": size, "example": example}
                                      for ext, n, size, example in unsupported]
            print_json(out)
            return 0
        print(f"Library: {lib.path}")
        for key in ("documents", "unreadable", "encrypted", "no_text", "error", "unavailable", "queued", "chunks"):
            label = {"no_text": "  no text", "encrypted": "  encrypted", "error": "  error",
                     "queued": "queued jobs", "chunks": "passages"}.get(key, key)
            print(f"  {label:<12} {counts.get(key, 0)}")
        if unsupported and not args.errors:
            print(f"  {'unsupported':<12} {sum(n for _, n, _, _ in unsupported)} files "
                  "(not a supported type; see --errors)")
        if counts.get("copies"):
            print(f"  {'copies':<12} {counts['copies']} (the same file in another place: likewise copies)")
        if counts.get("chunks"):
            share = 100 * counts.get("by_meaning", 0) / counts["chunks"]
            print(f"  by meaning: {int(share)} % of passages" if share < 100 else "  by meaning: all passages")
        for d in errors:
            print(f"{d.status:<9} {shown(d.path)}: {d.error}")
        for path, reason in problems:
            print(f"{'not read':<9} {shown(path)}: {reason}")
        if unsupported and args.errors:
            print(unsupported_summary(unsupported))
    return 0


def unsupported_summary(rows: list[tuple[str, int, int, str]], shown_kinds: int = 12) -> str:
    """"unsupported: 412 files (not a supported type) - .exe 200, .iso 3, ..." """
    total = sum(n for _, n, _, _ in rows)
    kinds = ", ".join(f"{ext} {n:,}" for ext, n, _, _ in rows[:shown_kinds])
    more = f", and {len(rows) - shown_kinds} more types" if len(rows) > shown_kinds else ""
    return f"unsupported: {total:,} files (not a supported type) - {kinds}{more}"
def cmd_copies(args: Any) -> int:
    with open_library(args) as lib:
        groups = lib.catalog.copies.groups()
        if args.json:
            print_json(groups)
            return 0
        if not groups:
            print("No file is in more than one place.")
        for g in groups:
            print(f"Same file in {g.places} places: {g.title or shown(g.path)}")
            for path in [g.path, *g.copies]:
                print(f"  {shown(path)}")
    return 0


def cmd_rebuild(args: Any) -> int:
    from core.rebuild import rebuild_library

    lib, info = rebuild_library(library_path(args), lambda path: open_library(args, path))
    with lib:
        report = None if args.no_index or not info.folders else _run_index(lib, args.json)
        if args.json:
            print_json({"library": lib.path, "info": info, "report": report})
            return 0
        print(f"Moved the damaged library aside, unchanged: {info.moved_to}")
        if not info.folders_read:
            print("No folders could be read from it: the new library is empty. "
                  "Add folders with: likewise add-folder PATH")
        elif info.folders:
            print(f"The new library {lib.path} watches the same {len(info.folders)} folder(s):")
            for folder in info.folders:
                print(f"  {folder}")
        for folder in info.missing:
            print(f"  not found any more, left out: {folder}")
        if report:
            _print_report(report)
    return 0
