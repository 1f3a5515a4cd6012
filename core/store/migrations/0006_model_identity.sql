-- A model's identity is its content, not its folder's path (core/model_identity.py):
-- content_hash is a sha256 over the files that decide its vectors; content_stamp lists
-- their names, sizes and mtimes at `path`, so an unchanged folder is not hashed again.
-- Rows made before this migration have NULL here and are matched by hash when their
-- path is still there, or by name and dimension when it is gone (core/library.py).

ALTER TABLE models ADD COLUMN content_hash TEXT;
ALTER TABLE models ADD COLUMN content_stamp TEXT;
CREATE INDEX models_content_hash ON models(content_hash);
