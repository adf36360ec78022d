"""Benign variants: each takes a freedom the contract leaves open, and the suite must PASS it."""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from dataclasses import replace
from typing import Any

from werkzeug.wrappers import Request, Response

from modelarts_contract.reference import (
    BadParameter,
    Group,
    ListQuery,
    ReferenceApp,
    Store,
    empty_dataset,
    large_dataset,
    single_group_dataset,
)

from .base import benign
from .sort_mutants import TIE_BREAK

DOCUMENTED_NAME = re.compile(r"[a-z0-9._-]{0,512}")  # doc table 2 row name: a format, not a rule (R4)


class ExtraFields(ReferenceApp):
    """Undocumented fields like the live service: id, description, SWR ones (R8 allows extras)."""

    def render_group(self, group: Group) -> dict[str, Any]:
        gid = uuid.uuid5(uuid.NAMESPACE_URL, f"{group.namespace}/{group.name}").hex
        extra = {"id": gid, "description": "", "is_swr_enterprise": False, "swr_instance_id": ""}
        return {**super().render_group(group), **extra}

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        return {**super().envelope(groups, total, q), "is_swr_enterprise": False}


class JsonCharset(ReferenceApp):
    """Content-Type: application/json; charset=utf-8."""

    def json_response(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        response = super().json_response(status, body, headers)
        response.content_type = "application/json; charset=utf-8"
        return response


class OtherProject404(ReferenceApp):
    """Another project's path gets 404, not 403 (R1 accepts both)."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        denied = super().authenticate(request, project_id)
        if denied is not None and denied.status_code == 403:
            return self.error(404, "ModelArts.0202", "Project not found")
        return denied


class SizeIsLimit(ReferenceApp):
    """size is the limit, not len(data)."""

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        return {**super().envelope(groups, total, q), "size": q.limit}


class PagesOneWhenEmpty(ReferenceApp):
    """An empty listing reports pages = 1."""

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        body = super().envelope(groups, total, q)
        return {**body, "pages": body["pages"] or 1}


class OtherTieBreak(Store):
    """Ties broken by namespace DESC, name DESC (still deterministic)."""

    def order_by(self, q: ListQuery) -> str:
        order = super().order_by(q)
        if not order.endswith(TIE_BREAK):
            raise AssertionError(f"reference ORDER BY changed: {order!r}")
        return order.removesuffix(TIE_BREAK) + ", namespace DESC, name DESC"


class DefaultSortUpdateAt(Store):
    """Without sort_key the listing is ordered by update_at (R5 leaves the default key open)."""

    def order_by(self, q: ListQuery) -> str:
        return super().order_by(q if q.sort_key else replace(q, sort_key=("update_at",)))


class StrictNameFormat(ReferenceApp):
    """name or namespace outside the documented format ^[a-z0-9._-]{0,512}$ gets 400 (R4 allows it)."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        for name in ("name", "namespace"):
            value = request.args.get(name)
            if value is not None and not DOCUMENTED_NAME.fullmatch(value):
                raise BadParameter(name, "must match ^[a-z0-9._-]{0,512}$")
        return super().parse_query(request, project_id)


class NameTooLong400(ReferenceApp):
    """A name longer than the documented 512 characters gets 400 (R4: outside the documented format)."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        if len(request.args.get("name", "")) > 512:
            raise BadParameter("name", "at most 512 characters")
        return super().parse_query(request, project_id)


# Each free string's documented format (doc table 2; SDK ListImageGroupRequest), enforced (R4 allows it).
DOCUMENTED_FORMATS = {
    "name": re.compile(r"[a-z0-9._-]{0,512}"),
    "namespace": re.compile(r"[a-z][a-z0-9._-]{0,63}"),
    "workspace_id": re.compile(r"0|[0-9a-z]{32}"),
}


class StrictDocumentedFormats(ReferenceApp):
    """A non-empty name, namespace or workspace_id outside its own documented format gets 400 (R4 allows it)."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        for name, pattern in DOCUMENTED_FORMATS.items():
            value = request.args.get(name)
            if value and not pattern.fullmatch(value):  # empty: no filter (R4), never refused here
                raise BadParameter(name, f"must match ^{pattern.pattern}$")
        return super().parse_query(request, project_id)


class ErrorSolutionField(ReferenceApp):
    """Error bodies add error_solution, as newer OTC APIs do."""

    def error(self, status: int, code: str, msg: str) -> Response:
        body = {"error_code": code, "error_msg": msg, "error_solution": "Check the request and retry."}
        return self.json_response(status, body)


class Throttled(ReferenceApp):
    """Every 7th request is answered 429 ModelArts.6101 with Retry-After: 0 (R15: retry, not a failure)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._requests = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        with self._lock:
            n = next(self._requests)
        if n % 7 == 0:
            body = {"error_code": "ModelArts.6101", "error_msg": "The system is busy. Try again later."}
            return self.json_response(429, body, {"Retry-After": "0"})
        return super().handle(request)


VARIANTS = (
    benign("extra-fields", "R8.body-schema", ExtraFields, probes=[{}]),
    benign("json-charset", "R8.content-type", JsonCharset, probes=[{}]),
    benign("other-project-404", "R1.other-project", OtherProject404, probes=[{"@project": "other"}]),
    benign("size-is-limit", "R9.size", SizeIsLimit, probes=[{"offset": "330", "limit": "20"}]),
    benign("pages-one-when-empty", "R9.pages", PagesOneWhenEmpty, probes=[{"name": "zz-no-such-image"}]),
    benign("other-tie-break", "R9.stable-paging", OtherTieBreak, probes=[{"limit": "2000"}]),
    benign("default-sort-update-at", "R11.order", DefaultSortUpdateAt, probes=[{}]),
    benign("strict-name-format", "R4.free-strings", StrictNameFormat, probes=[{"name": "PyTorch"}]),
    benign("name-too-long-400", "R4.free-strings", NameTooLong400, probes=[{"name": "a" * 513}]),
    benign(
        "strict-documented-formats",
        "R4.free-strings",
        StrictDocumentedFormats,
        probes=[{"workspace_id": "ws-1"}, {"namespace": "a" * 65}],
    ),
    benign("error-solution-field", "R13.error-body", ErrorSolutionField, probes=[{"limit": "0"}]),
    benign(
        "empty-dataset", "R9.window", dataset=empty_dataset, summary="the reference with no groups at all"
    ),
    benign("single-group", "R9.window", dataset=single_group_dataset, summary="the reference with one group"),
    benign("large-dataset", "R9.window", dataset=large_dataset, summary="the reference with 1200 groups"),
    benign("throttled", "R16.documented-status", Throttled, probes=[{}] * 7),
    benign(
        "aksk-auth", "R1.valid-credentials", auth="aksk", summary="the reference; the suite signs with AK/SK"
    ),
)
