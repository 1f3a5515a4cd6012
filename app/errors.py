"""Engine errors in words, for the command line. (The window has its own in app/gui.)"""

from core import errors as e

_PREFIX = {
    e.UnsafeWeightsError: "Refused model",
    e.ModelError: "Model problem",
    e.ExtensionError: "SQLite extension problem",
    e.DiskFullError: "Stopped",
    e.LibraryBusyError: "Library busy",
    e.LibraryTooNewError: "Library file from a newer Likewise",
    e.LibraryDamagedError: "Library file damaged",
    e.StoreError: "Library file problem",
    e.ExtractionError: "Could not read document",
    e.NotFoundError: "Not found",
    e.InvalidInputError: "Invalid input",
    e.TrainingError: "Cannot train",
    e.AddonMissingError: "Not in this download",
    e.Cancelled: "Cancelled",
}


def describe(exc: BaseException) -> str:
    text = f"Error: {exc}"
    for cls in type(exc).__mro__:
        if cls in _PREFIX:
            text = f"{_PREFIX[cls]}: {exc}"
            break
    if isinstance(exc, e.LibraryUnusableError):
        text += (
            ".\nTo move it aside (it is kept, renamed .damaged-DATE) and build a new library "
            f"from the same folders, run:\n  likewise --library {_quoted(exc.path)} rebuild"
        )
    return text


def _quoted(path: object) -> str:
    import shlex

    return shlex.quote(str(path))
