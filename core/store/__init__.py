from core.store.db import Store, vec_table

__all__ = ["Store", "vec_table"]
