"""Paging-word mutants (R6, issue 19): a framework's own paging, sorting or filtering parameters
override the documented ones when present. Benign: unknown parameters ignored but echoed back in an
extra response field (R8 allows extra fields)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from werkzeug.wrappers import Request, Response

from modelarts_contract.reference import Group, ListQuery, ReferenceApp
from modelarts_contract.reference.app import INT32_MAX, PARAMETERS

from .base import benign, mutant


def _number(request: Request, *names: str) -> int | None:
    """The first of `names` given as a positive integer."""
    for name in names:
        value = request.args.get(name, "")
        if value.isdecimal() and 0 < int(value) <= INT32_MAX:
            return int(value)
    return None


class _PageWords(ReferenceApp):
    """A 1-based page number and a page size, under a framework's names, override limit and offset."""

    page_names: tuple[str, ...] = ()
    size_names: tuple[str, ...] = ()

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        page, size = _number(request, *self.page_names), _number(request, *self.size_names)
        if page is None or size is None:
            return q
        return replace(q, limit=size, offset=(page - 1) * size)


class CurrentSizeOverride(_PageWords):
    """current and size (MyBatis-Plus's Page) override limit and offset when present."""

    page_names, size_names = ("current",), ("size",)


class PageNumPageSizeHonoured(_PageWords):
    """pageNum (or page) and pageSize (PageHelper) override limit and offset when present."""

    page_names, size_names = ("pageNum", "page"), ("pageSize",)


class PagePerPageHonoured(_PageWords):
    """page and per_page (Rails, GitHub) override limit and offset when present."""

    page_names, size_names = ("page",), ("per_page",)


class StartCountHonoured(ReferenceApp):
    """start and count override offset and limit when present."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        count, start = _number(request, "count"), request.args.get("start", "")
        return replace(q, limit=count, offset=int(start)) if count and start.isdecimal() else q


class MarkerHonoured(ReferenceApp):
    """marker (OpenStack): the listing starts after the group of that name."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        marker = request.args.get("marker")
        if not marker:
            return q
        groups, _ = self.store.list(replace(q, limit=INT32_MAX, offset=0))
        after = next((i + 1 for i, group in enumerate(groups) if group.name == marker), None)
        return q if after is None else replace(q, offset=after)


class SortOrderHonoured(ReferenceApp):
    """sort and order (a common REST convention) override sort_key and sort_dir when present."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        key, order = request.args.get("sort"), request.args.get("order", "").upper()
        if key in ("name", "namespace", "create_at", "update_at", "version_count"):
            q = replace(q, sort_key=(key,))
        return replace(q, sort_dir=order) if order in ("ASC", "DESC") else q


class OrderByHonoured(ReferenceApp):
    """orderBy (OData, many ORMs) overrides sort_key, ascending, when present."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        key = request.args.get("orderBy")
        valid = key in ("name", "namespace", "create_at", "update_at", "version_count")
        return replace(q, sort_key=(key,), sort_dir="ASC") if valid and key else q


class SearchWordHonoured(ReferenceApp):
    """q or search filters the names (a generic search box), beside the documented name filter."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        word = request.args.get("q") or request.args.get("search")
        return replace(q, name=word, name_fuzzy_match=True) if word and not q.name else q


class UnknownParametersEchoed(ReferenceApp):
    """Unknown parameters are ignored, and echoed back in an extra "ignored_parameters" field."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._request = threading.local()  # the server's threads answer requests side by side

    def handle(self, request: Request) -> Response:
        self._request.ignored = {k: v for k, v in request.args.items() if k not in PARAMETERS}
        return super().handle(request)

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        ignored = dict(getattr(self._request, "ignored", {}))
        return {**super().envelope(groups, total, q), "ignored_parameters": ignored}


_R6 = "R6.unknown-ignored"
_PAGE = {"limit": "4", "offset": "3"}
VARIANTS = (
    mutant(
        "current-size-override", _R6, CurrentSizeOverride, probes=[{**_PAGE, "current": "3", "size": "2"}]
    ),
    mutant(
        "pagenum-pagesize-honoured",
        _R6,
        PageNumPageSizeHonoured,
        probes=[{**_PAGE, "pageNum": "3", "pageSize": "2"}],
    ),
    mutant(
        "page-per-page-honoured", _R6, PagePerPageHonoured, probes=[{**_PAGE, "page": "3", "per_page": "2"}]
    ),
    mutant("start-count-honoured", _R6, StartCountHonoured, probes=[{**_PAGE, "start": "0", "count": "2"}]),
    mutant("marker-honoured", _R6, MarkerHonoured, probes=[{**_PAGE, "marker": "pytorch"}]),
    mutant("sort-order-honoured", _R6, SortOrderHonoured, probes=[{**_PAGE, "sort": "name", "order": "asc"}]),
    mutant("order-by-honoured", _R6, OrderByHonoured, probes=[{**_PAGE, "orderBy": "name"}]),
    mutant("search-word-honoured", _R6, SearchWordHonoured, probes=[{**_PAGE, "q": "pytorch"}]),
    benign("unknown-parameters-echoed", _R6, UnknownParametersEchoed, probes=[{**_PAGE, "page": "3"}]),
)
