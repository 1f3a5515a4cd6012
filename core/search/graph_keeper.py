"""The search graph made ready by the indexing run, not by the first search after it.

The encoder (core/index/meaning.py) tells ``vectors_written`` after each group it writes.
Every ``SYNC_EVERY`` vectors the keeper brings the active model's accelerator (core/search/
accel.py) up to date in the encoder's thread: the graph grows as the vectors come (built
once the library reaches the graph's size, then added to), and it is saved next to the
library whenever it grew by a quarter since the last save (at least ``SAVE_MIN`` vectors),
so that after a kill the next process opens a graph of most of what was encoded and adds
only the rest. When the run ends (finished or stopped: ``index_finished``) the graph is
brought up to date and saved, so the first search of the next process opens it instead of
building it. A library below the graph's size keeps nothing on disk (its exact matrix is
read in a moment). A graph that cannot be saved (a full disk) is reported in the log and
costs nothing else: the next process builds it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from core.store import count_vectors

SYNC_EVERY = 8192      # vectors written between two catch-ups during a run
SAVE_MIN = 50_000      # vectors added before a save during a run (and a quarter of the saved graph)

log = logging.getLogger("likewise.search")


class GraphKeeper:
    def __init__(self, store: Any, active_model: Callable[[], int], accelerator: Callable[[int], Any]) -> None:
        self.store = store
        self.active_model = active_model
        self.accelerator = accelerator      # model id -> its Accelerator (made, not synced)
        self._lock = threading.Lock()
        self._pending: dict[int, int] = {}  # vectors written since the last catch-up, by model
        self._written: set[int] = set()     # models that got vectors in this run

    def vectors_written(self, written: tuple[int, int]) -> None:
        model_id, count = int(written[0]), int(written[1])
        with self._lock:
            self._written.add(model_id)
            self._pending[model_id] = self._pending.get(model_id, 0) + count
            due = self._pending[model_id] >= SYNC_EVERY
            if due:
                self._pending[model_id] = 0
        if due and model_id == self.active_model():
            self._keep(model_id, final=False)

    def index_finished(self, _report: Any = None) -> None:
        with self._lock:
            written, self._written, self._pending = self._written, set(), {}
        model_id = self.active_model()
        if model_id in written:
            self._keep(model_id, final=True)

    def _keep(self, model_id: int, final: bool) -> None:
        try:
            acc = self.accelerator(model_id)
            if not acc.uses_ann and len(acc) == 0 and self._vectors(model_id) < acc.ann_threshold:
                return       # small: nothing to save, and the first search reads it at once
            acc.sync(wait=final)
            grown = len(acc) - acc.saved_count
            if final or grown >= max(SAVE_MIN, acc.saved_count // 4):
                acc.save()
        except Exception as exc:  # noqa: BLE001 - a cache: the run it follows never fails for it
            log.warning("the search graph could not be kept up to date: %s", exc)

    def _vectors(self, model_id: int) -> int:
        return count_vectors(self.store.reader(), model_id) if self.store.vec_table_exists(model_id) else 0
