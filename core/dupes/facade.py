"""Similar-paragraph discovery part of the Library facade (issue 8)."""


class DupesMixin:
    pass
