"""`likewise watch`: follow the watched folders in the foreground until Ctrl-C."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any

from app.commands.common import open_library, shown, to_jsonable


def register(sub: Any) -> None:
    p = sub.add_parser(
        "watch",
        help="keep the library in step with its folders until Ctrl-C",
        description="Watch every folder of the library: what is saved, moved, renamed or "
        "deleted there is indexed within seconds. A reconciling scan at start catches up "
        "on what changed while nothing watched. Ctrl-C stops cleanly.",
    )
    p.add_argument("--polling", action="store_true", help="poll every folder instead of native events")
    p.add_argument("--reconcile-interval", type=float, metavar="S", default=None,
                   help="seconds between reconciling scans (default: the setting, 600)")
    p.add_argument("--debounce", type=float, metavar="S", default=1.0,
                   help="seconds a file must stay quiet before it is indexed (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.set_defaults(func=cmd_watch)


def _printer(as_json: bool) -> Any:
    lock = threading.Lock()

    def show(event: Any) -> None:
        with lock:
            if as_json:
                print(json.dumps(to_jsonable(event), ensure_ascii=False))
            else:
                print(event.line())
            sys.stdout.flush()

    return show


def cmd_watch(args: Any) -> int:
    from core.errors import InvalidInputError

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open_library(args) as lib:
            folders = lib.folders()
            if not folders:
                raise InvalidInputError("no folders to watch: add one with `likewise add-folder PATH`")
            show = _printer(args.json)
            lib.watching.start_watching(
                on_event=show,
                reconcile_interval_s=args.reconcile_interval,
                debounce_s=args.debounce,
                use_polling=True if args.polling else None,
            )
            if not args.json:
                for f in folders:
                    print(f"watching {shown(f.path)}" + (" (paused)" if f.paused else ""))
                print("Ctrl-C stops.")
                sys.stdout.flush()
            while not stop.wait(0.5):
                if not lib.watching.is_watching:
                    break
            if not args.json:
                print("stopping...", file=sys.stderr)
            lib.watching.stop_watching(timeout=60)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if not args.json:
        print("Stopped.", file=sys.stderr)
    return 0
