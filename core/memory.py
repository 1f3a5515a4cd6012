"""Giving memory back after heavy work (training, a long indexing run): Python's garbage,
torch's CUDA cache, and the C allocator's free pages (glibc ``malloc_trim``), so that an
idle window does not keep gigabytes it no longer uses."""

from __future__ import annotations

import ctypes
import gc
import sys
import threading


def rss_mb() -> float | None:
    """This process's resident memory now, in MB (Linux; None elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def release_memory() -> None:
    """Collect garbage, empty torch's CUDA cache (when torch is loaded) and hand the C
    heap's free pages back to the system (glibc only; a no-op elsewhere).

    With automatic collection turned off (the window collects on its UI thread,
    app/gui/gc_main_thread.py), only the main thread collects: garbage holding Qt objects
    must not be destroyed in a worker."""
    if gc.isenabled() or threading.current_thread() is threading.main_thread():
        gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001 - a cache that cannot be emptied costs memory, nothing else
            pass
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
