"""Search part of the Library facade (issue 4)."""


class SearchMixin:
    pass
