-- Likewise schema, version 9: a passage is one paragraph (issue 16).
-- Libraries made before this version hold passages that group several paragraphs, joined
-- by a blank line (core/chunk.py keeps that separator in the stored text). Each such
-- document gets a 'split' job: the indexer cuts its stored passages at the blank lines and
-- encodes the new paragraphs, reusing vectors by text hash (core/index/split.py). The file
-- is not read again. One document per transaction, so the upgrade resumes after a crash.
INSERT OR IGNORE INTO jobs(kind, document_id, created_at)
    SELECT 'split', d.id, CAST(strftime('%s', 'now') AS REAL) FROM documents d
    WHERE d.status = 'indexed' AND EXISTS (
        SELECT 1 FROM chunks c WHERE c.document_id = d.id AND instr(c.text, char(10) || char(10)) > 0);

-- Mining starts again on paragraphs (trivial paragraphs are now left out: they get their
-- normalized hash afresh). Decisions are keyed by texts and stay.
DELETE FROM dupes_pairs;
DELETE FROM dupes_mined;
DELETE FROM dupes_clusters;
DELETE FROM dupes_norm;
UPDATE dupes_state SET clusters_sig = NULL;
