-- Exclusions: gitignore-style patterns whose matches are never indexed. folder_id NULL is
-- a pattern for every folder; otherwise the pattern is relative to that folder's root
-- (owner: core/exclusions.py). The usual clutter is left out from the start.
CREATE TABLE exclusions (
    id        INTEGER PRIMARY KEY,
    folder_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    pattern   TEXT NOT NULL,
    added_at  REAL NOT NULL
);
CREATE UNIQUE INDEX exclusions_unique ON exclusions(coalesce(folder_id, 0), pattern);
INSERT INTO exclusions(folder_id, pattern, added_at) VALUES
    (NULL, '.git/', 0), (NULL, 'node_modules/', 0), (NULL, '__pycache__/', 0), (NULL, '*.tmp', 0);
