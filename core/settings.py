"""User settings, saved as JSON in the user's config folder."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core import paths

log = logging.getLogger("likewise.settings")


@dataclass
class Settings:
    model_path: str = ""          # "" = the bundled default model
    device: str = "auto"          # auto | cpu | cuda | mps
    precision: str = "auto"       # auto | int8 | fp32 (fp32: exact torch vectors on a CPU too)
    library_path: str = ""        # "" = <user data>/library.sqlite
    chunk_max_tokens: int = 0     # 0 = the model's max_seq_length
    chunk_overlap_sentences: int = 1
    chunk_merge_paragraphs: bool = False   # True: a passage groups paragraphs up to the budget
    reconcile_interval_s: int = 600
    extract_timeout_s: float = 60.0
    extract_memory_mb: int = 4096   # address space; OCR on OpenVINO maps ~2 GB of it (core/extract/ocr.py)
    batch_size: int = 32
    follow_links: bool = False    # follow links that lead outside the chosen folders
    ocr_enabled: bool = True      # read scanned PDF pages and images by OCR
    extra: dict = field(default_factory=dict)

    # What was wrong in the file this was loaded from (not saved): Settings.load.
    problems: list[str] = field(default_factory=list, repr=False, compare=False, metadata={"saved": False})

    @classmethod
    def file(cls) -> Path:
        return paths.config_dir() / "settings.json"

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """The saved settings. A file that is not a JSON object, or a value of the wrong
        type, is reported (logged, and listed in ``problems``), the default is used for
        what is wrong, and the file is kept aside as settings.json.bad-<time>: nothing the
        person wrote is lost, and the next save writes a good file."""
        path = path or cls.file()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return cls()
        try:
            raw = json.loads(text)
        except ValueError as exc:
            return cls._bad(path, [f"{path} is not valid JSON ({exc}): using the default settings"])
        if not isinstance(raw, dict):
            return cls._bad(path, [f"{path} holds a {type(raw).__name__}, not an object of settings: "
                                   "using the default settings"])
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            if f.name not in raw or not f.metadata.get("saved", True):
                continue
            value, default = raw[f.name], _default_of(f)
            if _fits(value, default):
                values[f.name] = float(value) if isinstance(default, float) else value
            else:
                problems.append(f"{path}: {f.name} is {value!r} ({type(value).__name__}), "
                                f"expected {type(default).__name__}: using the default {default!r}")
        if not problems:
            return cls(**values)
        return cls._bad(path, problems, cls(**values))

    @classmethod
    def _bad(cls, path: Path, problems: list[str], settings: Settings | None = None) -> Settings:
        settings = settings or cls()
        aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        n = 1
        while aside.exists():
            n += 1
            aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        try:
            os.replace(path, aside)
            problems.append(f"the file as it was is kept as {aside}")
        except OSError as exc:
            problems.append(f"could not keep the file aside ({exc}); it is left as it is")
        for line in problems:
            log.warning("settings: %s", line)
        settings.problems = problems
        return settings

    def save(self, path: Path | None = None) -> None:
        path = path or self.file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            saved = {f.name for f in fields(self) if f.metadata.get("saved", True)}
            json.dump({k: v for k, v in asdict(self).items() if k in saved}, fh, indent=2)
        os.replace(tmp, path)

    def resolved_library_path(self) -> Path:
        return Path(self.library_path) if self.library_path else paths.default_library_path()

    def resolved_model_path(self) -> Path:
        return Path(self.model_path) if self.model_path else paths.default_model_path()


def _default_of(f) -> object:
    return f.default_factory() if f.default is MISSING else f.default


def _fits(value: object, default: object) -> bool:
    """Whether a value read from the file has the type of the setting's default (an int
    where a float is expected is fine; a bool is never a number)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))
