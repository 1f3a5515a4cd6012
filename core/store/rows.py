"""The row of a query that always returns one (an aggregate, a PRAGMA, a function call)."""

from __future__ import annotations

from typing import Any

import apsw

from core.errors import StoreError


def one_row(cursor: apsw.Cursor) -> tuple[Any, ...]:
    """The first row of ``cursor``; a query that returns none is a broken promise."""
    row = cursor.fetchone()
    if row is None:
        raise StoreError("an SQL query that always returns a row returned none")
    return row
