"""Likewise engine. Never imports Qt (tests/test_architecture.py checks it).

Glossary (one word per thing, in the code, the CLI and the window):

- library: one SQLite file with everything below (core/library.py builds its parts).
- folder: a place the user chose; its files are indexed (table folders).
- document: one file of a folder, with its status (indexed, no_text, error ...).
- unsupported file: a file of a type Likewise does not read; never opened, only counted
  by extension per folder (table unsupported_files) and listed as "not a supported type".
- chunk: a piece of a document sized for the encoder (table chunks). The window and the
  CLI call a chunk a *passage*; code says chunk for the stored row, passage where it
  speaks to people. A chunk is one *paragraph* (as the extractor saw it,
  with the heading right above it); only a paragraph over the token budget is cut, at
  sentences (the setting chunk_merge_paragraphs=True groups neighbouring paragraphs instead).
- vector: a chunk's embedding under one model version (tables vec_m<id>; vec_log lists changes).
- model version: one encoder the library knows (table models); *active* is searched,
  *target* is being filled during a switch.
- job: queued indexing work (table jobs): index, reindex, delete, embed, split (the
  upgrade of migration 0009: a stored passage grouping paragraphs is cut into them).
- index (verb): turn jobs into documents, chunks and vectors (core/index/).
- reconcile: compare the folders with the library and queue the differences.
- search: passages for a query (dense, keyword or hybrid); find similar: for a passage or
  a document.
- similar paragraphs: passage pairs and clusters found by *mining*. People read this name
  (the window's "Similar paragraphs" tab, `likewise similar-paragraphs`); the code says
  *dupes* for the same thing (core/dupes/, tables dupes_*, the CLI's short alias `dupes`),
  as it says chunk for passage. "Duplicates", "discovery" and "repeated" are not names
  of it.
- label: a pair or triplet of texts marked similar or not, used by *training*.
- event: something that happened, told to subscribers (core/events.py).
"""

__version__ = "0.1.0"
