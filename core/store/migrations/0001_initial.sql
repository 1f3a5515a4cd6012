-- Likewise schema, version 1: folders, documents, chunks, words (FTS5), models,
-- the persistent job queue and the vector change log. Vector tables themselves are
-- created per model version at run time (vec_m<ID>, see core/store/db.py), because a
-- vec0 table has a fixed dimension and a second model may have another one.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE folders (
    id             INTEGER PRIMARY KEY,
    path           TEXT NOT NULL UNIQUE,
    added_at       REAL NOT NULL,
    paused         INTEGER NOT NULL DEFAULT 0,
    available      INTEGER NOT NULL DEFAULT 1,
    last_reconcile REAL
);

CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    folder_id    INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    path         TEXT NOT NULL UNIQUE,
    title        TEXT,
    ext          TEXT NOT NULL,
    size         INTEGER NOT NULL,
    mtime        REAL NOT NULL,
    content_hash TEXT,
    status       TEXT NOT NULL,
    error        TEXT,
    pages        INTEGER,
    indexed_at   REAL,
    available    INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX documents_hash ON documents(content_hash);
CREATE INDEX documents_folder ON documents(folder_id);
CREATE INDEX documents_status ON documents(status);

CREATE TABLE chunks (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    text        TEXT NOT NULL,
    text_hash   TEXT NOT NULL,
    page_start  INTEGER,
    page_end    INTEGER,
    heading     TEXT,
    char_start  INTEGER NOT NULL,
    char_end    INTEGER NOT NULL
);
CREATE INDEX chunks_doc ON chunks(document_id, ord);
CREATE INDEX chunks_hash ON chunks(text_hash);

CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text, heading,
    content = 'chunks', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)
        VALUES ('delete', old.id, old.text, old.heading);
END;

CREATE TABLE models (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    path       TEXT NOT NULL,
    dim        INTEGER NOT NULL,
    kind       TEXT NOT NULL DEFAULT 'base',      -- base | finetuned | custom
    parent_id  INTEGER REFERENCES models(id),
    created_at REAL NOT NULL,
    report     TEXT                               -- JSON, for fine-tuned versions
);

-- The persistent job queue. kind: index (a path to (re)read), delete (a path gone),
-- embed (a document to encode with model_id, for re-encoding after activation).
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    path        TEXT,
    document_id INTEGER,
    model_id    INTEGER,
    folder_id   INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  REAL NOT NULL
);
CREATE UNIQUE INDEX jobs_unique ON jobs(kind, IFNULL(path, ''), IFNULL(document_id, 0), IFNULL(model_id, 0));

-- Every vector written or removed, in order, so that in-memory accelerators in any
-- process can catch up (seq greater than what they have seen) instead of rebuilding.
CREATE TABLE vec_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id INTEGER NOT NULL,
    chunk_id INTEGER NOT NULL,
    op       TEXT NOT NULL                        -- add | del
);
