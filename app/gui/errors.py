"""Engine errors in words, for the window (the one place the GUI does this)."""

from __future__ import annotations

from core import errors as e

_TITLES: list[tuple[type[BaseException], str]] = [
    (e.UnsafeWeightsError, "This model was refused"),
    (e.ModelError, "The model could not be loaded"),
    (e.ExtensionError, "SQLite's vector extension is missing"),
    (e.DiskFullError, "Indexing stopped"),
    (e.LibraryBusyError, "The library is busy"),
    (e.LibraryTooNewError, "The library file is from a newer Likewise"),
    (e.LibraryDamagedError, "The library file is damaged"),
    (e.StoreError, "The library file cannot be used"),
    (e.ExtractionError, "A document could not be read"),
    (e.NotFoundError, "Not found"),
    (e.InvalidInputError, "That did not work"),
    (e.TrainingError, "Training cannot run"),
    (e.AddonMissingError, "The training add-on is not installed"),
    (e.Cancelled, "Cancelled"),
]


def title_for(exc: BaseException) -> str:
    for cls, title in _TITLES:
        if isinstance(exc, cls):
            return title
    return "Something went wrong"


def describe(exc: BaseException) -> str:
    """One line a person can read."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, e.LikewiseError):
        return f"{title_for(exc)}: {text}"
    return f"{title_for(exc)} ({type(exc).__name__}): {text}"
