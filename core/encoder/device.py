"""Where the encoder runs: CUDA (half precision), then Apple MPS, then the CPU.

The choice comes from a setting ("auto", "cpu", "cuda", "mps"); the environment
variable LIKEWISE_DEVICE overrides the setting (useful for a one-off run or a test).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from core.errors import ModelError

DEVICE_ENV = "LIKEWISE_DEVICE"
CHOICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    dtype: torch.dtype
    requested: str   # what the setting (or the environment) asked for
    source: str      # "setting", "environment" or "default"


def cuda_available() -> bool:
    return torch.cuda.is_available()


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def cpu_cores() -> int:
    """Cores this process may use (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _requested(setting: str | None) -> tuple[str, str]:
    env = os.environ.get(DEVICE_ENV, "").strip().lower()
    if env:
        return env, "environment"
    if setting:
        return str(setting).strip().lower(), "setting"
    return "auto", "default"


def choose_device(setting: str | torch.device | None = "auto") -> DeviceChoice:
    """Resolve a device setting into a torch device and the dtype to run the model in."""
    if isinstance(setting, torch.device):
        setting = setting.type
    wanted, source = _requested(setting)
    if wanted not in CHOICES:
        where = f"the environment variable {DEVICE_ENV}" if source == "environment" else "the device setting"
        raise ModelError(f"unknown device {wanted!r} in {where}; choose one of {', '.join(CHOICES)}")
    if wanted == "auto":
        if cuda_available():
            wanted_type = "cuda"
        elif mps_available():
            wanted_type = "mps"
        else:
            wanted_type = "cpu"
    else:
        wanted_type = wanted
    if wanted_type == "cuda" and not cuda_available():
        raise ModelError("the device is set to CUDA but torch sees no CUDA GPU (is the CUDA build of torch installed?)")
    if wanted_type == "mps" and not mps_available():
        raise ModelError("the device is set to MPS but Apple Metal is not available on this machine")
    dtype = torch.float16 if wanted_type == "cuda" else torch.float32
    if wanted_type == "cpu":
        use_all_cpu_cores()
    return DeviceChoice(torch.device(wanted_type), dtype, wanted, source)


# One computation at a time through torch in this process, and torch's CPU thread pool
# resized only between them. The encoding stage, a query's encoding and a training step run
# on different threads; torch.set_num_threads called while another thread was inside a
# parallel region, and concurrent CPU forwards of one module, were seen to crash the window
# (segfaults in Linear.forward while a search and indexing overlapped). A query waits at
# most for one batch or one training step (each sized to about a second).
COMPUTE = threading.RLock()


def set_cpu_threads(count: int) -> None:
    """Resize torch's CPU thread pool, never while another thread computes."""
    with COMPUTE:
        if torch.get_num_threads() != count:
            torch.set_num_threads(count)


def use_all_cpu_cores() -> None:
    set_cpu_threads(cpu_cores())


_spare_lock = threading.Lock()
_spare_users = 0
_spare_saved = 0


@contextmanager
def one_core_spared() -> Iterator[None]:
    """Run torch on one CPU thread fewer inside the block, so that other work (the
    keyword half of a hybrid search) has a core of its own. With every core in
    torch's pool, a query's encoding and an SQLite query running at once slow each
    other down more than running one after the other (2 cores, 100k passages: hybrid
    search p50 54 ms in turn, 40 ms at once with the encoding on one thread).
    Nested and concurrent uses share one saving and restoring of the thread count."""
    global _spare_users, _spare_saved
    with _spare_lock:
        if _spare_users == 0:
            _spare_saved = torch.get_num_threads()
            if _spare_saved > 1:
                set_cpu_threads(_spare_saved - 1)
        _spare_users += 1
    try:
        yield
    finally:
        with _spare_lock:
            _spare_users -= 1
            if _spare_users == 0:
                set_cpu_threads(_spare_saved)
