"""Helpers for work over millions of small Python objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (reference counting still frees what is
    dropped): building a million tuples otherwise triggers full collections that rescan every
    object alive, which made writing a release's SDMX files about twice as slow. The collector is
    re-enabled on exit (if it was enabled), also when the block raises."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
