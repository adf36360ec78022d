"""Methods of third-party classes replaced only while someone needs them.

The transport reaches every connection in the process through two such patches (urllib3's
`HTTPConnection.getresponse`, requests' `HTTPAdapter.send`). A patch is reference-counted: nested or
parallel holders share it, and the original is back when the last one lets go. It is found on the
patched class itself, never in a module global, so importing changes nothing and nothing of a run
outlives it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

PATCH_LOCK = threading.Lock()  # no state: only one thread at a time installs, counts or restores
_HELD_BY = "_modelarts_contract_patch"  # the attribute by which a replacement names its `Patch`
_P = TypeVar("_P", bound="Patch")


class Patch:
    """`owner.name` replaced by `replacement()` while held; a subclass says which and with what."""

    owner: ClassVar[type]
    name: ClassVar[str]

    def __init__(self, original: Callable[..., Any]) -> None:
        self.original = original
        self.holders = 0

    @staticmethod
    def check() -> None:
        """Raise when the class lacks what the replacement relies on (called before installing)."""

    def replacement(self) -> Callable[..., Any]:
        raise NotImplementedError


@contextlib.contextmanager
def holding(kind: type[_P]) -> Iterator[_P]:
    """The installed patch of `kind`, installed first when nobody holds it."""
    with PATCH_LOCK:
        patch = getattr(vars(kind.owner).get(kind.name), _HELD_BY, None)
        if not isinstance(patch, kind):
            kind.check()
            patch = kind(vars(kind.owner)[kind.name])
            replacement = patch.replacement()
            setattr(replacement, _HELD_BY, patch)
            setattr(kind.owner, kind.name, replacement)
        patch.holders += 1
    try:
        yield patch
    finally:
        with PATCH_LOCK:
            patch.holders -= 1
            if patch.holders == 0:
                setattr(kind.owner, kind.name, patch.original)
