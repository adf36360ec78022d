"""A matrix worker's heap: what the libraries load lives as long as the worker, so it is frozen out of
the garbage collector's sight (`gc.freeze`). Every run ends in full collections (pytest's, looking
for unraisable exceptions), and each would otherwise walk all of it again: a fifth of a short run's
CPU."""

from __future__ import annotations

import functools
import gc


def freeze() -> None:
    """What is alive now stays out of every later collection."""
    gc.collect()
    gc.freeze()


@functools.cache
def freeze_after_first_run() -> None:
    """The first run imports and caches what the later ones reuse. Once only: what each run leaves
    until the next one replaces it would never be collected if frozen."""
    freeze()
