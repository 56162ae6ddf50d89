"""Give large freed blocks back to the operating system.

glibc serves a large malloc with its own mmap, but after the first such block is freed it
raises the threshold (up to 32 MB), so later decoded photos land in per-thread heaps that
keep the memory after the request: eight parallel photo searches left the server 250 MB
larger for good. A fixed threshold of 1 MB keeps large blocks on mmap, returned at free()
(bench/abuse_memory.py: the server goes back to its baseline after a burst)."""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # mallopt parameter number in glibc's malloc.h
THRESHOLD_BYTES = 1024 * 1024

_done = False


def release_large_blocks() -> bool:
    """Set glibc's mmap threshold once per process; False where libc is not glibc."""
    global _done
    if _done:
        return True
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    _done = bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    return _done
