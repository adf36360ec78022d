"""Stability mutants (R9.stable-paging, issue 19): ties in a sort key fall differently depending on
limit, offset or the request, in orderings the page walks do not take. Benign: ties broken by a
hash of the identity, odd but the same every time."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from modelarts_contract.reference import ListQuery, Store

from .base import benign, mutant
from .sort_mutants import TIE_BREAK

# A number per group that no order of the data follows, multiplied by a salt below.
_MIX = "(unicode(name) * 3 + unicode(substr(name, -1)) * 7 + length(name) * 31 + unicode(namespace) * 11)"
_PRIME = 1009


def _ties_by(order: str, salt: int) -> str:
    """The reference ORDER BY with its tie-break (namespace, name) replaced by a salted hash first."""
    if not order.endswith(TIE_BREAK):
        raise AssertionError(f"reference ORDER BY changed: {order!r}")
    return f"{order.removesuffix(TIE_BREAK)}, {_MIX} * {salt} % {_PRIME}{TIE_BREAK}"


class AscTiesByWindow(Store):
    """In ascending order, ties fall in an order that depends on limit and offset (a top-N sort)."""

    def order_by(self, q: ListQuery) -> str:
        order = super().order_by(q)
        return _ties_by(order, (q.limit * 31 + q.offset * 7) % _PRIME + 1) if q.sort_dir == "ASC" else order


class SingleKeyTiesByLimit(Store):
    """With one sort key, ties fall in an order that depends on limit (a heap of `limit` rows)."""

    def order_by(self, q: ListQuery) -> str:
        order = super().order_by(q)
        return _ties_by(order, q.limit % _PRIME + 2) if len(q.sort_key) == 1 else order


class DescTiesByOffsetParity(Store):
    """Sorted descending by a key, pages at odd offsets break ties the other way round."""

    def order_by(self, q: ListQuery) -> str:
        order = super().order_by(q)
        if q.sort_key and q.sort_dir == "DESC" and q.offset % 2:
            return order.removesuffix(TIE_BREAK) + ", namespace DESC, name DESC"
        return order


class VersionCountTiesUnstable(Store):
    """Sorted by version_count, ties fall in a new order on every request (no tie-break in SQL)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._requests = itertools.count(1)
        self._lock = threading.Lock()

    def order_by(self, q: ListQuery) -> str:
        order = super().order_by(q)
        if q.sort_key[:1] != ("version_count",):
            return order
        with self._lock:  # deterministic: the n-th request always gets the same salt
            salt = next(self._requests) * 7919 % _PRIME + 1
        return _ties_by(order, salt)


class HashedTieBreak(Store):
    """Ties broken by a hash of the identity: an odd order, but the same for every request."""

    def order_by(self, q: ListQuery) -> str:
        return _ties_by(super().order_by(q), 13)


_R9 = "R9.stable-paging"
VARIANTS = (
    mutant(
        "asc-ties-by-window",
        _R9,
        AscTiesByWindow,
        probes=[{"sort_key": "namespace", "sort_dir": "ASC", "limit": "3", "offset": "1"}],
    ),
    mutant(
        "single-key-ties-by-limit",
        _R9,
        SingleKeyTiesByLimit,
        probes=[{"sort_key": "namespace", "limit": "3"}],
    ),
    mutant(
        "desc-ties-by-offset-parity",
        _R9,
        DescTiesByOffsetParity,
        probes=[{"sort_key": "namespace", "limit": "3", "offset": "1"}],
    ),
    mutant(
        "version-count-ties-unstable",
        _R9,
        VersionCountTiesUnstable,
        probes=[{"sort_key": "version_count", "limit": "2000"}] * 3,
    ),
    benign("hashed-tie-break", _R9, HashedTieBreak, probes=[{"sort_key": "namespace", "limit": "2000"}]),
)
