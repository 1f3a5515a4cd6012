-- Likewise schema, version 2: the user's labels for fine-tuning (issue 7).
--   kind pair_binary : sentence1, sentence2, label 0 or 1 (similar / not similar)
--   kind pair_score  : sentence1, sentence2, label in 0-1 (scale = the file's scale, 1 or 5)
--   kind triplet     : sentence1 = anchor, sentence2 = positive, sentence3 = negative
--   kind positive_pair: sentence1, sentence2, no label (alike, negatives come from the batch)
-- chunk1/chunk2 name the passages a label was made on (no foreign key: labels outlive a
-- re-indexed document, they keep their texts). query is the search that showed the pair.

CREATE TABLE labels (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('pair_binary', 'pair_score', 'triplet', 'positive_pair')),
    sentence1  TEXT NOT NULL CHECK (length(sentence1) > 0),
    sentence2  TEXT NOT NULL CHECK (length(sentence2) > 0),
    sentence3  TEXT,
    label      REAL CHECK (label IS NULL OR (label >= 0 AND label <= 1)),
    scale      REAL,
    chunk1     INTEGER,
    chunk2     INTEGER,
    query      TEXT,
    source     TEXT NOT NULL DEFAULT 'window',
    created_at REAL NOT NULL
);
CREATE UNIQUE INDEX labels_unique ON labels(kind, sentence1, sentence2, IFNULL(sentence3, ''));
CREATE INDEX labels_kind ON labels(kind);
CREATE INDEX labels_chunk1 ON labels(chunk1);
CREATE INDEX labels_chunk2 ON labels(chunk2);
