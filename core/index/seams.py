"""What the indexer's stages (core/index/lanes.py, meaning.py, split.py) ask of the
Indexer that drives them: its parts and two of its controls. A Protocol, so that the
stages are typed without importing the Indexer (which imports them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from core.cancel import CancelToken
from core.catalog import Catalog
from core.events import Events
from core.index.jobs import JobQueue
from core.index.prepare import Preparer
from core.model_versions import ModelVersions
from core.settings import Settings
from core.store import Store
from core.types import IndexReport


class IndexerParts(Protocol):
    store: Store
    settings: Settings
    versions: ModelVersions
    catalog: Catalog
    events: Events
    jobs: JobQueue
    preparer: Preparer

    @property
    def paused(self) -> bool: ...

    def wait_if_paused(self, cancel: CancelToken | None) -> None: ...

    def encode_texts(self, model_id: int, texts: list[str], report: IndexReport, cancel: CancelToken | None,
                     encoded: Callable[[int], None] | None = None) -> np.ndarray: ...
