"""Indexing beyond one machine: encoded shards (shards.py), their import (importer.py, pyarrow
only), the actor stages (work.py) and the Ray Data run (pipeline.py, the only Ray import)."""
