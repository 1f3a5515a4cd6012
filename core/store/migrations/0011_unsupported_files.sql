-- Files of a type Likewise does not read are never opened, but they are counted, per folder
-- and extension, by each scan of the folder (replacing the last scan's counts), so that a
-- person can see what was left out (owner: core/index/reconcile.py). One row per
-- extension, not per file: a home folder may hold 100,000 such files.
CREATE TABLE unsupported_files (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    ext       TEXT NOT NULL,
    files     INTEGER NOT NULL,
    bytes     INTEGER NOT NULL,
    example   TEXT NOT NULL,
    seen_at   REAL NOT NULL,
    PRIMARY KEY (folder_id, ext)
);
