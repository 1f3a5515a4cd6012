"""likewise addon install FILE | status | remove: the training add-on (core/addon.py),
torch and what only torch needs, which the base download leaves out."""

from __future__ import annotations

from typing import Any

from app.commands.common import add_common, print_json


def register(sub: Any) -> None:
    p = sub.add_parser(
        "addon", help="the training add-on (torch): install FILE, status, remove",
        description="Fine-tuning, fp32 precision, a GPU and making the int8 encoder of a new "
        "model need torch, which the base download leaves out: it comes as a second download, "
        "likewise-training-addon-VERSION-PLATFORM.tar.xz, installed here into your data folder.",
    )
    asub = p.add_subparsers(dest="addon_command", metavar="ACTION", required=True)
    q = asub.add_parser("install", help="check and unpack an add-on file")
    q.add_argument("file", metavar="FILE")
    add_common(q)
    q.set_defaults(func=cmd_addon_install)
    q = asub.add_parser("status", help="the installed add-ons and whether torch can be imported")
    add_common(q)
    q.set_defaults(func=cmd_addon_status)
    q = asub.add_parser("remove", help="remove the add-on installed in your data folder")
    add_common(q)
    q.set_defaults(func=cmd_addon_remove)


def cmd_addon_install(args: Any) -> int:
    from core import addon

    manifest = addon.install(args.file)
    addon.activate()
    where = addon.user_addon_dir()
    if args.json:
        print_json({"installed": str(where), "manifest": manifest})
    else:
        torch = f", torch {manifest['torch']}" if manifest.get("torch") else ""
        print(f"Training add-on installed in {where} (Likewise {manifest.get('likewise')}{torch})")
    return 0


def cmd_addon_status(args: Any) -> int:
    from core import addon

    report = addon.status()
    if args.json:
        print_json(report)
        return 0
    if not report["installed"]:
        print(f"No training add-on installed. {addon.missing_message('Fine-tuning')}")
    for found in report["installed"]:
        m = found["manifest"]
        state = "fits this app" if found["fits"] else "does not fit: " + "; ".join(found["problems"])
        print(f"{found['path']}: Likewise {m.get('likewise')}, Python {m.get('python')}, "
              f"{m.get('platform')}, torch {m.get('torch', '?')} ({state})")
    print("torch: " + ("can be imported" if report["torch"] else "not available"))
    return 0


def cmd_addon_remove(args: Any) -> int:
    from core import addon

    removed = addon.remove()
    if args.json:
        print_json({"removed": removed, "path": str(addon.user_addon_dir())})
    else:
        print("Training add-on removed" if removed else "No training add-on was installed in your data folder")
    return 0
