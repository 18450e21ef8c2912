"""How the simulator keeps Python's memory management out of its way while a year runs."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


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
