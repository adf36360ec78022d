"""Sort mutants (R11, R9.stable-paging): ORDER BY is wrong, or ties are broken differently each time."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

from werkzeug.wrappers import Request

from modelarts_contract.reference import Dataset, Group, ListQuery, ReferenceApp, Store

from .base import mutant

TIE_BREAK = ", namespace ASC, name ASC"  # the end of the reference's ORDER BY


class SortDirIgnored(Store):
    """sort_dir is ignored: always DESC."""

    def order_by(self, q: ListQuery) -> str:
        return super().order_by(replace(q, sort_dir="DESC"))


class SortDirDefaultAsc(ReferenceApp):
    """Without sort_dir the order is ASC (the SQL default), not the documented DESC."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        return q if "sort_dir" in request.args else replace(q, sort_dir="ASC")


class SortPerPage(Store):
    """The page is cut in the default order, then sorted by sort_key (sorting after LIMIT/OFFSET)."""

    def fetch(self, q: ListQuery) -> list[Group]:
        page = super().fetch(replace(q, sort_key=()))
        if q.sort_key:
            page.sort(key=lambda g: tuple(getattr(g, k) for k in q.sort_key), reverse=q.sort_dir == "DESC")
        return page


class SortFirstKeyOnly(Store):
    """Only the first sort_key is applied."""

    def order_by(self, q: ListQuery) -> str:
        return super().order_by(replace(q, sort_key=q.sort_key[:1]))


class TiesRandom(Store):
    """Ties are broken by a pseudo-random number salted per request (like ORDER BY random())."""

    def __init__(self, dataset: Dataset) -> None:
        super().__init__(dataset)
        self._requests = itertools.count(1)
        self._lock = threading.Lock()

    def order_by(self, q: ListQuery) -> str:
        with self._lock:  # deterministic: the n-th request always gets the same salt
            salt = next(self._requests) * 7919 % 1009 + 1
        order = super().order_by(q)
        if not order.endswith(TIE_BREAK):
            raise AssertionError(f"reference ORDER BY changed: {order!r}")
        mix = (
            "unicode(name) * 3 + unicode(substr(name, -1)) * 7 + length(name) * 31 + unicode(namespace) * 11"
        )
        return f"{order.removesuffix(TIE_BREAK)}, ({mix} + length(namespace)) * {salt} % 1009"


VARIANTS = (
    mutant("sort-dir-ignored", "R11.order", SortDirIgnored, probes=[{"sort_key": "name", "sort_dir": "ASC"}]),
    mutant("sort-dir-default-asc", "R11.order", SortDirDefaultAsc, probes=[{"sort_key": "name"}]),
    mutant(
        "sort-per-page",
        "R11.order",
        SortPerPage,
        probes=[{"sort_key": "name", "limit": "20", "offset": "20"}],
    ),
    mutant("sort-first-key-only", "R11.order", SortFirstKeyOnly, probes=[{"sort_key": "namespace,name"}]),
    mutant("ties-random", "R9.stable-paging", TiesRandom, probes=[{"limit": "2000"}] * 3),
)
