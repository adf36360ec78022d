"""What a process that runs the suite again and again keeps between runs: the libraries, frozen out of
the garbage collector's sight (`gc.freeze`), and nothing of a finished run. Every run ends in full
collections (pytest's, looking for unraisable exceptions), and each would otherwise walk all of it
again: a fifth of a short run's CPU."""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType


def freeze() -> None:
    """What is alive now stays out of every later collection."""
    gc.collect()
    gc.freeze()


@functools.cache
def freeze_after_first_run() -> None:
    """The first run imports and caches what the later ones reuse. Once only: what each run leaves
    until the next one replaces it would never be collected if frozen."""
    freeze()


@contextlib.contextmanager
def fresh_test_modules(root: Path) -> Iterator[None]:
    """Each run imports the suite's test modules and conftests anew, as a separate process would.

    Only those: a library module imported during a run stays, or its classes would exist twice."""
    before = set(sys.modules)
    try:
        yield
    finally:
        for name in set(sys.modules) - before:
            where = str(getattr(sys.modules[name], "__file__", "") or "")
            if where.startswith(str(root)) or name.rsplit(".", 1)[-1] == "conftest":
                _drop_loader(sys.modules.pop(name))


def _drop_loader(module: ModuleType) -> None:
    """A module of a finished run lets go of its loader, pytest's assertion rewriter, which holds the
    run's config and all its state: hypothesis keeps every local module it read constants from (a
    checkout's conftest), and each run would stay in memory for the garbage collector to walk."""
    module.__loader__ = None
    if module.__spec__ is not None:
        module.__spec__.loader = None
