"""Paging mutants (R9, R2.defaults, R12.unique): the envelope's arithmetic or the page window is off."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from werkzeug.wrappers import Request

from modelarts_contract.reference import Group, ListQuery, ReferenceApp, Store
from modelarts_contract.reference.app import INT32_MAX

from .base import mutant


class _Envelope(ReferenceApp):
    """Recomputes one envelope field from the reference's body."""

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        body = super().envelope(groups, total, q)
        return {**body, **self.fix(body, total, q)}

    def fix(self, body: dict[str, Any], total: int, q: ListQuery) -> dict[str, Any]:
        raise NotImplementedError


class PagesRoundedDown(_Envelope):
    """pages = total // limit (floor instead of ceil)."""

    def fix(self, body: dict[str, Any], total: int, q: ListQuery) -> dict[str, Any]:
        return {"pages": total // q.limit}


class PagesAlwaysOne(_Envelope):
    """pages is always 1."""

    def fix(self, body: dict[str, Any], total: int, q: ListQuery) -> dict[str, Any]:
        return {"pages": 1}


class TotalCountsPage(Store):
    """total counts only the records up to the end of this page (offset + len(data)): COUNT skipped."""

    def list(self, q: ListQuery) -> tuple[list[Group], int]:
        groups = self.fetch(q)
        return groups, q.offset + len(groups)


class CurrentZeroBased(_Envelope):
    """current is 0-based (offset // limit)."""

    def fix(self, body: dict[str, Any], total: int, q: ListQuery) -> dict[str, Any]:
        return {"current": q.offset // q.limit}


class CurrentIsOffset(_Envelope):
    """current echoes the offset."""

    def fix(self, body: dict[str, Any], total: int, q: ListQuery) -> dict[str, Any]:
        return {"current": q.offset}


class SizeIsTotal(_Envelope):
    """size is the total number of records."""

    def fix(self, body: dict[str, Any], total: int, q: ListQuery) -> dict[str, Any]:
        return {"size": total}


class _Window(Store):
    """Fetches a different (limit, offset) window than the one asked for."""

    def page(self, q: ListQuery) -> tuple[int, int]:
        return self.window(q.limit, q.offset)

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        raise NotImplementedError


class OffsetAsPageIndex(_Window):
    """offset read as a 0-based page number: the page starts at offset * limit."""

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        return limit, offset * limit


class OffsetSnappedToPage(_Window):
    """offset rounded down to a multiple of limit."""

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        return limit, offset // limit * limit


class LimitIgnored(_Window):
    """limit is ignored: every page holds up to 200 groups."""

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        return 200, offset


class LimitPlusOne(_Window):
    """One extra row fetched to see if there is a next page, and never trimmed."""

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        return limit + 1, offset


class LimitMinusOne(_Window):
    """One row short per page (an inclusive/exclusive mix-up)."""

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        return limit - 1, offset


class LimitCappedAt100(_Window):
    """limit silently capped at 100."""

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        return min(limit, 100), offset


class GroupListedTwice(_Window):
    """Every page after the first starts one record early: its first group ends the previous page."""

    def window(self, limit: int, offset: int) -> tuple[int, int]:
        return limit, max(offset - 1, 0)


class DefaultLimit10(ReferenceApp):
    """Without limit the page holds 10 groups (the framework's default, not the documented 200)."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        return q if "limit" in request.args else replace(q, limit=10)


class DefaultLimitUnbounded(ReferenceApp):
    """Without limit the whole listing comes back on one page."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        return q if "limit" in request.args else replace(q, limit=INT32_MAX)


VARIANTS = (
    mutant("pages-rounded-down", "R9.pages", PagesRoundedDown, probes=[{"limit": "7"}]),
    mutant("pages-always-one", "R9.pages", PagesAlwaysOne, probes=[{"limit": "7"}]),
    mutant("total-counts-page", "R9.total-invariant", TotalCountsPage, probes=[{"limit": "7"}]),
    mutant("current-zero-based", "R9.current", CurrentZeroBased, probes=[{"limit": "7", "offset": "14"}]),
    mutant("current-is-offset", "R9.current", CurrentIsOffset, probes=[{"limit": "7", "offset": "14"}]),
    mutant("offset-as-page-index", "R9.window", OffsetAsPageIndex, probes=[{"limit": "7", "offset": "2"}]),
    mutant(
        "offset-snapped-to-page", "R9.window", OffsetSnappedToPage, probes=[{"limit": "7", "offset": "3"}]
    ),
    mutant("limit-ignored", "R9.window", LimitIgnored, probes=[{"limit": "7"}]),
    mutant("limit-plus-one", "R9.window", LimitPlusOne, probes=[{"limit": "7"}]),
    mutant("limit-minus-one", "R9.window", LimitMinusOne, probes=[{"limit": "7"}]),
    mutant("limit-capped-at-100", "R9.window", LimitCappedAt100, probes=[{"limit": "150"}]),
    mutant("default-limit-10", "R2.defaults", DefaultLimit10, probes=[{}]),
    mutant("default-limit-unbounded", "R2.defaults", DefaultLimitUnbounded, probes=[{}]),
    mutant("size-is-total", "R9.size", SizeIsTotal, probes=[{"limit": "7"}]),
    mutant("group-listed-twice", "R12.unique", GroupListedTwice, probes=[{"limit": "7", "offset": "7"}]),
)
