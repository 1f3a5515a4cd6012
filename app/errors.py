"""Engine errors in words, for the command line. (The window has its own in app/gui.)"""

from core import errors as e

_PREFIX = {
    e.UnsafeWeightsError: "Refused model",
    e.ModelError: "Model problem",
    e.ExtensionError: "SQLite extension problem",
    e.StoreError: "Library file problem",
    e.ExtractionError: "Could not read document",
    e.NotFoundError: "Not found",
    e.InvalidInputError: "Invalid input",
    e.TrainingError: "Cannot train",
    e.Cancelled: "Cancelled",
}


def describe(exc: BaseException) -> str:
    for cls in type(exc).__mro__:
        if cls in _PREFIX:
            return f"{_PREFIX[cls]}: {exc}"
    return f"Error: {exc}"
