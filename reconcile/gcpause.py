"""Pausing the cyclic garbage collector for a whole command.

Loading, fetching, fingerprinting and planning a large tenant allocate millions of small
acyclic objects; each allocation burst triggers full collections that rescan every object
already alive (BENCHMARKS.md has the measurements). Reference counting still frees
everything. The pause is taken once, at the command entry (`reconcile.cli.app.root`),
never inside the library, so library callers decide for themselves; the benchmarks take
it as the command line does. The previous setting is restored afterwards, also on error,
and nesting is harmless.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
