"""Entry point of the window (``likewise-gui``, ``make run``)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import cast

import core.offline  # noqa: F401  (no network, before anything imports transformers)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="likewise-gui", description="The Likewise window.")
    p.add_argument("--library", help="library file (default: from the settings)")
    p.add_argument("--model", help="model folder (default: from the settings)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="encoder device")
    p.add_argument("--no-watch", action="store_true", help="do not follow the folders")
    p.add_argument("--similar", metavar="FILE",
                   help="open on the documents and passages like FILE "
                        "(any file; one outside the library is read, not saved)")
    return p


def platform_libraries_present() -> bool:
    """On Linux with xcb, name the system libraries Qt would miss, instead of letting it
    abort with a misleading message. On a Wayland session Qt may not need them: warn only."""
    from app.xcb_check import check_xcb

    check = check_xcb()
    if check.ok or not check.missing:
        return True
    wayland = bool(os.environ.get("WAYLAND_DISPLAY")) and not os.environ.get("QT_QPA_PLATFORM")
    print(check.message(), file=sys.stderr)
    if wayland:
        print("(Trying Wayland instead.)", file=sys.stderr)
    return wayland


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    raw = sys.argv[1:] if argv is None else argv
    if raw[:1] == ["--likewise-extract-worker"]:
        # The packaged app runs its extraction worker as itself (core/extract/isolated.py).
        from core.extract.worker import main as worker_main

        return worker_main(["worker", *raw[1:]])
    args = build_parser().parse_args(argv)
    if not platform_libraries_present():
        return 1
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.resources import app_icon
    from app.gui.single_instance import claim_or_hand_over, library_of, server_name
    from core.settings import Settings

    # The app is always a QApplication (this process creates it, or a test did).
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    app.setApplicationName("Likewise")
    app.setOrganizationName("Likewise")
    app.setDesktopFileName("likewise")
    app.setWindowIcon(app_icon())
    settings = Settings.load()
    if args.device:
        settings.device = args.device
    # One window per library: a window already open on it takes this launch's request.
    name = server_name(library_of(args.library, settings))
    server = claim_or_hand_over(name, {"similar": os.path.abspath(args.similar) if args.similar else None})
    if server is None:
        return 0
    window = MainWindow(settings=settings, library_path=args.library, model_path=args.model,
                        watch=not args.no_watch)
    server.request.connect(window.take_request)
    window.show()
    window.start()
    if os.environ.get("LIKEWISE_SHOWN_RESULTS"):    # a test hook (app/gui/shown_results.py)
        from app.gui.shown_results import record_shown_results

        record_shown_results(window, os.environ["LIKEWISE_SHOWN_RESULTS"])
    if args.similar:
        window.find_similar_to_file(os.path.abspath(args.similar))
    if os.environ.get("LIKEWISE_STARTUP_TRACE"):
        print(f"window shown after {time.monotonic() - started:.3f} s", file=sys.stderr)
    code = app.exec()
    server.close()
    if window.runner.running():
        # A worker that would not stop (a hung extraction or model load): the library
        # was closed or its journal protects it; do not hang the user's desktop.
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
