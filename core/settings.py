"""User settings, saved as JSON in the user's config folder."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from core import paths


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

    @classmethod
    def file(cls) -> Path:
        return paths.config_dir() / "settings.json"

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or cls.file()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self, path: Path | None = None) -> None:
        path = path or self.file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=2)
        os.replace(tmp, path)

    def resolved_library_path(self) -> Path:
        return Path(self.library_path) if self.library_path else paths.default_library_path()

    def resolved_model_path(self) -> Path:
        return Path(self.model_path) if self.model_path else paths.default_model_path()
