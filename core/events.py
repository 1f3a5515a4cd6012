"""What happened in a library, told to whoever listens (the parts, the window).

Parts never look each other up by name: a part that needs to react to another
subscribes to one of these topics when the Library is built.

    events.documents_indexed.subscribe(lambda ids: ...)

Subscribers run on the thread that emits, in the order they subscribed; an exception
in a subscriber reaches the emitter (``document_deleted`` runs inside the write that
deletes, so a failing subscriber rolls that write back).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core.changes import Changes
from core.types import IndexProgress, IndexReport

T = TypeVar("T")


class Topic(Generic[T]):
    """One kind of event: subscribe a function, emit a value to every subscriber."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[Callable[[T], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Callable[[T], None]) -> Callable[[], None]:
        """Call ``fn`` with every value emitted from now on. Returns the unsubscribe."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def emit(self, value: T) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            fn(value)

    def __len__(self) -> int:
        return len(self._subscribers)


@dataclass(frozen=True)
class DocumentDeleted:
    """A document is being deleted: ``conn`` is the open write, before its chunks go."""

    conn: Any
    document_id: int


@dataclass(frozen=True)
class ModelPreparing:
    """First-use work on a model (its int8 export): what is being done, step of steps."""

    text: str
    step: int
    total: int


class Events:
    """Every topic of one library."""

    def __init__(self) -> None:
        # Inside the write that deletes a document, before its chunks and row go.
        self.document_deleted: Topic[DocumentDeleted] = Topic("document deleted")
        # After an indexing run wrote these documents (ids), outside any write.
        self.documents_indexed: Topic[list[int]] = Topic("documents indexed")
        # A folder was added, removed, paused or resumed, or came and went.
        self.folders_changed: Topic[None] = Topic("folders changed")
        # An indexing run's progress (the same object, mutated: copy it to keep it).
        self.index_progress: Topic[IndexProgress] = Topic("index progress")
        # An indexing run ended (also when cancelled); not emitted when it raised.
        self.index_finished: Topic[IndexReport] = Topic("index finished")
        # The encoder wrote vectors: (model id, how many), outside the write.
        self.vectors_written: Topic[tuple[int, int]] = Topic("vectors written")
        # Another model version became the searched one (its id).
        self.model_switched: Topic[int] = Topic("model switched")
        # A model is prepared for its first use (the int8 export, a minute or more).
        self.model_preparing: Topic[ModelPreparing] = Topic("model preparing")
        # A marked write of the Library returned: what it changed (core/changes.py).
        self.changed: Topic[Changes] = Topic("changed")
