-- Likewise schema, version 3: similar-paragraph discovery (issue 8).
-- Rows that name passages cascade when the passage goes (a document deleted or
-- re-indexed), so no pair or cluster member ever points at a passage that is gone.
-- Decisions are keyed by the texts' hashes, not passage ids: they survive re-indexing.

-- Normalized-text hash of each passage (exact duplicates are found by this alone).
CREATE TABLE dupes_norm (
    chunk_id  INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    norm_hash TEXT NOT NULL
);
CREATE INDEX dupes_norm_hash ON dupes_norm(norm_hash);

-- Passages whose neighbours have been mined, per model version.
CREATE TABLE dupes_mined (
    model_id INTEGER NOT NULL,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    PRIMARY KEY (model_id, chunk_id)
) WITHOUT ROWID;
CREATE INDEX dupes_mined_chunk ON dupes_mined(chunk_id);

-- AUTOINCREMENT: a pair id the window still shows never comes back as another pair.
CREATE TABLE dupes_pairs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id INTEGER NOT NULL,
    chunk_a  INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    chunk_b  INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    cosine   REAL NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('exact', 'near', 'related')),
    CHECK (chunk_a < chunk_b),
    UNIQUE (model_id, chunk_a, chunk_b)
);
CREATE INDEX dupes_pairs_a ON dupes_pairs(chunk_a);
CREATE INDEX dupes_pairs_b ON dupes_pairs(chunk_b);
CREATE INDEX dupes_pairs_kind ON dupes_pairs(model_id, kind, cosine);

-- A pair that goes takes its passages' "mined" marks with it, so the passage left
-- behind is mined again next time (its group may need a new partner).
CREATE TRIGGER dupes_pairs_ad AFTER DELETE ON dupes_pairs BEGIN
    DELETE FROM dupes_mined WHERE model_id = old.model_id AND chunk_id IN (old.chunk_a, old.chunk_b);
END;

CREATE TABLE dupes_clusters (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id       INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('exact', 'near')),
    representative INTEGER REFERENCES chunks(id) ON DELETE SET NULL,
    size           INTEGER NOT NULL,
    score          REAL NOT NULL,
    key            TEXT NOT NULL
);
CREATE INDEX dupes_clusters_model ON dupes_clusters(model_id);

CREATE TABLE dupes_members (
    cluster_id INTEGER NOT NULL REFERENCES dupes_clusters(id) ON DELETE CASCADE,
    chunk_id   INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    cosine     REAL NOT NULL,
    PRIMARY KEY (cluster_id, chunk_id)
) WITHOUT ROWID;
CREATE INDEX dupes_members_chunk ON dupes_members(chunk_id);

-- key: 'pair:<text_hash>:<text_hash>' (sorted) or 'cluster:<hash of its texts>'.
CREATE TABLE dupes_decisions (
    key        TEXT PRIMARY KEY,
    decision   TEXT NOT NULL CHECK (decision IN ('ignore', 'confirmed', 'rejected')),
    decided_at REAL NOT NULL
);

-- Per model version: the settings of the last mining and what the clusters were built from.
CREATE TABLE dupes_state (
    model_id      INTEGER PRIMARY KEY,
    near          REAL NOT NULL,
    related       REAL NOT NULL,
    same_document INTEGER NOT NULL,
    mined_at      REAL,
    clusters_sig  TEXT
);
