-- Links that leave the chosen folders are not followed unless a folder allows it, and
-- what a scan could not look at (a folder it cannot list, a link it does not follow)
-- is kept, with its reason, until the next scan of that folder (owner: core/index).
ALTER TABLE folders ADD COLUMN follow_links INTEGER NOT NULL DEFAULT 0;

CREATE TABLE scan_problems (
    path      TEXT PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    reason    TEXT NOT NULL,
    seen_at   REAL NOT NULL
);
CREATE INDEX scan_problems_folder ON scan_problems(folder_id);
