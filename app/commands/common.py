"""What every CLI command shares: opening the library, printing JSON, progress."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any


def add_common(parser: Any, json_flag: bool = True) -> None:
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def add_precision(parser: Any) -> None:
    """--precision on a command (also accepted before the command)."""
    import argparse

    parser.add_argument("--precision", choices=["auto", "int8", "fp32"], default=argparse.SUPPRESS,
                        help="auto: the fast int8 encoder on a CPU where it passes its quality gate; "
                             "fp32: the exact torch vectors (default: the setting, auto)")


def open_library(args: Any, path: Any = None):  # -> core.library.Library
    """The library the arguments name (or ``path``), with their model and device."""
    from core.library import Library
    from core.settings import Settings

    settings = Settings.load()
    if getattr(args, "device", None):
        settings.device = args.device
    if getattr(args, "precision", None):
        settings.precision = args.precision
    model = getattr(args, "model", None)
    return Library(path=path or getattr(args, "library", None), settings=settings, model_path=model)


def library_path(args: Any) -> Path:
    """The library file the arguments name, or the one in the settings."""
    from core.settings import Settings

    if getattr(args, "library", None):
        return Path(args.library).expanduser()
    return Settings.load().resolved_library_path()


def shown(stored_path: str) -> str:
    """A stored file name as people read it (undecodable bytes as U+FFFD)."""
    from core.pathnames import display_stored

    return display_stored(stored_path)


def _jsonable_dict(items: Any) -> dict:
    """A dict for JSON: file names readable; a name that is not valid UTF-8 also gets
    its exact bytes, base64-encoded, under "<key>_bytes_b64"."""
    import base64

    from core.pathnames import from_db, is_clean

    out: dict = {}
    for k, v in items:
        key = str(k)
        if isinstance(v, str) and key.endswith("path"):
            os_form = from_db(v)
            out[key] = shown(v)
            if not is_clean(os_form):
                out[key + "_bytes_b64"] = base64.b64encode(os.fsencode(os_form)).decode("ascii")
            continue
        out[key] = to_jsonable(v)
    return out


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable_dict(dataclasses.asdict(obj).items())
    if isinstance(obj, dict):
        return _jsonable_dict(obj.items())
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return obj


def print_json(obj: Any) -> None:
    json.dump(to_jsonable(obj), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


WAITING_TEXT = ("Another Likewise is indexing this library; this one will continue "
                "when that one ends (Ctrl+C to stop waiting).")


class TerminalProgress:
    """Indexing progress of both stages: on a terminal two bars, words (files) and
    meaning (passages), each with its rate and ETA; plain lines otherwise."""

    def __init__(self, stream: Any = None) -> None:
        from app.commands.bars import Bar

        self.stream = stream or sys.stderr
        self.bar = Bar("words", unit="file", stream=self.stream)
        self.meaning = Bar("meaning", unit="passage", stream=self.stream)
        self.tty = self.bar.tty
        self._last_plain = ""
        self._resume_told = False

    def __call__(self, p: Any) -> None:
        from app.progress_text import eta_text, meaning_text, words_text

        if p.phase == "waiting":
            self.bar.write(WAITING_TEXT)
            return
        note = p.resume_note() if hasattr(p, "resume_note") else None
        if note and not self._resume_told:
            self._resume_told = True
            self.bar.write(note)
        from core.pathnames import display_name

        name = display_name(p.current_file) if p.current_file else ""
        if getattr(p, "message", None):
            name += f" ({p.message})"             # "reading scanned page 3/40"
        if self.tty:
            words_left = p.files_total > p.files_done and p.files_done
            self.bar.update(p.files_done, p.files_total,
                            (f"ETA {eta_text(p.words_eta_s)} " if words_left else "") + name[:40])
            meaning_left = p.chunks_done and p.chunks_total > p.chunks_done
            self.meaning.update(p.chunks_done, p.chunks_total,
                                f"ETA {eta_text(p.meaning_eta_s)}" if meaning_left else "")
        else:
            line = f"{p.phase}: {words_text(p)}; {meaning_text(p)} {name}".rstrip()
            if line != self._last_plain:
                self.stream.write(line + "\n")
                self._last_plain = line

    def finish(self) -> None:
        self.meaning.close()
        self.bar.close()
