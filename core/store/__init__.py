from core.store.db import Store, count_vectors, vec_table

__all__ = ["Store", "count_vectors", "vec_table"]
