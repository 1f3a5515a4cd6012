"""Watching part of the Library facade (issue 5)."""


class WatchMixin:
    pass
