"""Search: dense, keyword and hybrid; find similar; snippets; the vector accelerator."""

from core.search.accel import Accelerator
from core.search.filters import SearchFilters

__all__ = ["Accelerator", "SearchFilters"]
