"""How the simulator keeps Python's memory management out of its way while a year runs."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import sys
from typing import Iterator

#: glibc's ``mallopt`` parameter for the size from which a block is its own mapping.
M_MMAP_THRESHOLD = -3
#: Blocks of 64 KiB and more (an Arrow batch's column, a numpy column) get their own mapping,
#: handed back to the system when freed.
MMAP_THRESHOLD = 64 * 1024
_large_blocks_returned = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off while a year runs (restored after).

    A year allocates millions of short-lived objects and keeps hundreds of thousands of
    records; the collector's passes over that growing heap cost about a quarter of the run
    while finding almost nothing (the model's garbage is freed by reference counting), so it
    runs once, afterwards, instead.  What the run made is handed to the oldest generation
    (``gc.freeze()`` then ``gc.unfreeze()``) rather than left in the youngest, whose first pass
    would otherwise walk all of it; that is skipped if the caller froze objects itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


@contextlib.contextmanager
def system_arrow_pool() -> Iterator[None]:
    """Allocate Arrow buffers from the C library's allocator while a year's rows are kept and
    its tables assembled (the default pool is restored after; each buffer is freed to the pool
    it came from).

    pyarrow's default pool (mimalloc) keeps pages it has freed for reuse, and the large
    buffers made on the way to the tables (a column's batches joined, then reordered) are freed
    at once; the C allocator hands blocks that large back to the system when they are freed.
    Measured with ``bench_simulator.py`` (ARROW_DEFAULT_MEMORY_POOL=mimalloc against system,
    the same code): peak memory 250 -> 217 MB for the mid-size year, 665 -> 585 MB for the
    large one; the same bytes in every file."""
    import pyarrow as pa

    return_large_blocks()
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def return_large_blocks() -> None:
    """Make the C library hand large blocks back to the system when they are freed (glibc on
    Linux; elsewhere nothing is done).  Once per process, and for the whole process.

    glibc maps a block of 128 KiB or more on its own and unmaps it when freed, but raises that
    threshold to the size of each such block freed, so after the first few a year's freed
    Arrow columns and numpy arrays stay in the heap as holes its resident size never gives
    back.  A fixed threshold (which also turns the raising off) keeps them returned.
    Measured with a 1,000-officer year (50,000 shifts) and its three tables assembled: peak
    resident memory 330 -> 302 MB, the same bytes in every file."""
    global _large_blocks_returned
    if _large_blocks_returned or not sys.platform.startswith("linux"):
        return
    _large_blocks_returned = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(ctypes.c_int(M_MMAP_THRESHOLD), ctypes.c_int(MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        pass
