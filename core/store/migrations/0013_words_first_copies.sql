-- Issue 27. A document is written with its passages and words as soon as it is extracted;
-- its vectors follow through 'embed' jobs (core/index/meaning.py), which already existed for
-- model switches. And a file whose content equals an indexed document's is a copy: a row
-- with copy_of = the document holding the passages, and no passages of its own
-- (core/catalog.py; see ARCHITECTURE.md "The same file in several places").
ALTER TABLE documents ADD COLUMN copy_of INTEGER;
CREATE INDEX documents_copy_of ON documents(copy_of) WHERE copy_of IS NOT NULL;
CREATE INDEX jobs_embed ON jobs(document_id) WHERE kind = 'embed';
