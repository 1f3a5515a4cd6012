"""One error hierarchy for the engine. The GUI and the CLI turn these into words in
one place each (app/errors.py)."""


class LikewiseError(Exception):
    """Base of every error the engine raises on purpose."""


class ModelError(LikewiseError):
    """A model folder cannot be loaded or saved."""


class UnsafeWeightsError(ModelError):
    """The folder holds only pickle weights, which we refuse to load."""


class StoreError(LikewiseError):
    """The library file cannot be opened or is not usable."""


class ExtensionError(StoreError):
    """sqlite-vec could not be loaded."""


class ExtractionError(LikewiseError):
    """A document could not be read."""


class NotFoundError(LikewiseError):
    """A folder, document, chunk, label or model that was asked for does not exist."""


class InvalidInputError(LikewiseError):
    """A user-supplied value (a query, a label file, a setting) is not acceptable."""


class Cancelled(LikewiseError):
    """An operation stopped because the user cancelled it. Callers treat it quietly."""


class TrainingError(LikewiseError):
    """Fine-tuning cannot run (no labels, bad settings, ...)."""


class AddonMissingError(LikewiseError):
    """What was asked for needs torch, which the base download leaves out: it comes with
    the training add-on (core/addon.py). The message names the file and the command."""


class DiskFullError(StoreError):
    """The disk holding the library is full. What was written stays; the document being
    written was rolled back and stays queued, so a later run resumes when space is freed."""


class LibraryBusyError(StoreError):
    """Another process kept the library's write lock for longer than we wait."""


class LibraryUnusableError(StoreError):
    """The library file cannot be read as a library. It was left untouched; it can be
    moved aside and a new library rebuilt from the same folders (core.rebuild)."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path


class LibraryDamagedError(LibraryUnusableError):
    """The file is truncated, overwritten, or otherwise not a readable SQLite library."""


class LibraryTooNewError(LibraryUnusableError):
    """The file was written by a newer Likewise whose schema this program does not know."""
