-- Passages that are no answer by meaning alone (issue 30): fragments too slight to mean
-- anything ("1", "J", "Body", "3 Implementation": core.text.is_fragment) and text repeated
-- on most pages of a document (furniture the page-edge rule missed). Kept for keyword
-- search and as context; dense search and document similarity leave them out
-- (owner: core/catalog.py, which sets it as passages are written, core/chunk.py noise_flags).
-- The fragments of an existing library are marked here, with the same rule (likewise_is_noise is
-- registered on every connection by core/store/db.py); its passages are written again, with
-- the furniture rule too, when their file changes.
ALTER TABLE chunks ADD COLUMN noise INTEGER NOT NULL DEFAULT 0;
UPDATE chunks SET noise = 1 WHERE likewise_is_noise(text);
CREATE INDEX chunks_noise ON chunks(id) WHERE noise = 1;
