"""Turn a library back into what an older release left: forget the migrations from a
version on and undo the schema changes they made (their data changes run again when the
library is opened). Every migration after the paragraph upgrade (9) (included) needs its undo here:
a new one without it fails loudly instead of leaving a half-old schema."""

from __future__ import annotations

from core.store.db import _migrations

# name of the migration -> statements that undo its schema changes, in order
UNDO: dict[str, tuple[str, ...]] = {
    "paragraph_passages": (),          # data only: it runs again
    "exclusions": ("DROP TABLE exclusions",),
    "unsupported_files": ("DROP TABLE unsupported_files",),
    "container_members": ("DROP INDEX documents_container",) + tuple(
        f"ALTER TABLE documents DROP COLUMN {c}"
        for c in ("container_id", "member_start", "member_end", "sender", "recipients", "sent_at")),
    "words_first_copies": ("DROP INDEX documents_copy_of", "DROP INDEX jobs_embed",
                           "ALTER TABLE documents DROP COLUMN copy_of"),
    "chunk_noise": ("DROP INDEX chunks_noise", "ALTER TABLE chunks DROP COLUMN noise"),
}


def rewind_schema(conn, version: int) -> None:
    """Make the library's schema that of version ``version - 1`` (inside a write)."""
    later = [(number, name) for number, name, _ in _migrations() if number >= version]
    for number, name in reversed(later):
        key = name.split("_", 1)[1].removesuffix(".sql")
        assert key in UNDO, f"migration {number} ({name}) has no undo in tests/schema_rewind.py"
        for statement in UNDO[key]:
            conn.execute(statement)
    conn.execute("DELETE FROM schema_migrations WHERE version >= ?", (version,))
