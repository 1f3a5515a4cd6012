"""What a library operation changed, and whether an operation reads or writes.

Every public method of the Library and of the parts it exposes (``Library.PARTS``) is
marked: ``@reads`` (it changes nothing) or
``@writes(FOLDERS, DOCUMENTS, ...)`` (the kinds of things it may change; ``long=True``
for work that takes minutes: indexing, training, mining, a model switch). A marked
write, once it returns, tells ``events.changed`` one ``Changes`` value; a write called
inside another write tells nothing of its own (the outer one speaks for both).
``@writes()`` with no kinds marks a write that tells nothing itself: a step of a larger
operation (a row written inside the indexer's transaction, a folder added for
``Library.add_folder``), or state the views do not show (pausing, watching, closing).

Whoever shows the library (the window) subscribes to that one topic and refreshes what
shows the kinds named; nobody declares what a call changed by hand.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

# The kinds of things a write changes (what the views show).
FOLDERS = "folders"            # the chosen folders or their state (paused, available)
DOCUMENTS = "documents"        # documents added, queued again, removed; their passages
LABELS = "labels"              # labelled pairs and triplets
SIMILAR = "similar"            # similar paragraphs: the groups found and the decisions on them
MODELS = "models"              # model versions, the active one
EXCLUSIONS = "exclusions"      # the patterns that keep files out
QUEUE = "queue"                # work queued for the indexer (a scan, files, re-encoding)

KINDS = frozenset({FOLDERS, DOCUMENTS, LABELS, SIMILAR, MODELS, EXCLUSIONS, QUEUE})

@dataclass(frozen=True)
class Changes:
    """The kinds of things one write changed."""

    kinds: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *kinds: str) -> Changes:
        unknown = set(kinds) - KINDS
        if unknown:
            raise ValueError(f"not a kind of change: {sorted(unknown)}")
        return cls(frozenset(kinds))

    def touches(self, kinds: Iterable[str]) -> bool:
        """Whether any of ``kinds`` changed."""
        return not self.kinds.isdisjoint(kinds)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.kinds | other.kinds)

    def __bool__(self) -> bool:
        return bool(self.kinds)


NOTHING = Changes()


@dataclass(frozen=True)
class Operation:
    """How a method touches the library: a read (``write`` False), or a write of
    ``changes``; ``long`` writes take minutes and report progress."""

    write: bool
    changes: Changes = NOTHING
    long: bool = False


class _Topic(Protocol):
    def emit(self, value: Changes) -> None: ...


class _Events(Protocol):
    @property
    def changed(self) -> _Topic: ...


class _Owner(Protocol):
    """What a marked write belongs to: something with the library's events (core/events.py)."""

    @property
    def events(self) -> _Events: ...


F = TypeVar("F", bound=Callable[..., Any])

_OPERATION = "likewise_operation"
_inside = threading.local()      # how deep this thread is in marked writes


def reads(fn: F) -> F:
    """Mark a method as one that changes nothing."""
    setattr(fn, _OPERATION, Operation(write=False))
    return fn


def writes(*kinds: str, long: bool = False) -> Callable[[F], F]:
    """Mark a method as a write of ``kinds``: when the outermost marked write of a thread
    returns, its owner's ``events.changed`` hears one ``Changes``."""
    changes = Changes.of(*kinds)

    def mark(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(self: _Owner, *args: Any, **kwargs: Any) -> Any:
            depth = getattr(_inside, "depth", 0)
            _inside.depth = depth + 1
            try:
                result = fn(self, *args, **kwargs)
            finally:
                _inside.depth = depth
            if depth == 0 and changes:
                self.events.changed.emit(changes)
            return result

        setattr(wrapper, _OPERATION, Operation(True, changes, long))
        return wrapper  # type: ignore[return-value]

    return mark


@contextlib.contextmanager
def announced_elsewhere() -> Iterator[None]:
    """Marked writes made by this thread inside the block tell nothing: for a thread whose
    work is announced another way (the watcher's, announced by the window's session)."""
    depth = getattr(_inside, "depth", 0)
    _inside.depth = depth + 1
    try:
        yield
    finally:
        _inside.depth = depth


def operation(fn: Any) -> Operation | None:
    """The marker of a method (bound or not, or a property's getter); None if unmarked."""
    if isinstance(fn, property):
        fn = fn.fget
    return getattr(getattr(fn, "__func__", fn), _OPERATION, None)
