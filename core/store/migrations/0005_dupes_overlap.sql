-- Likewise schema, version 5: the share of words two paired passages have in common.
-- A pair is "near" only when its cosine reaches the near threshold AND its passages
-- share enough words (see core/dupes/engine.py, NEAR_MIN_OVERLAP). Pairs stored before
-- this version count as sharing all their words until the library is mined again.
ALTER TABLE dupes_pairs ADD COLUMN overlap REAL NOT NULL DEFAULT 1.0;
