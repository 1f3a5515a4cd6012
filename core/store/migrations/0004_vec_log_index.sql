-- Likewise schema, version 4: the vector log by model, so "the newest change to this
-- model's vectors" (asked before every mining of similar paragraphs) is an index seek
-- instead of a scan of a log that holds one row per vector ever written.
CREATE INDEX IF NOT EXISTS vec_log_model_seq ON vec_log(model_id, seq);
