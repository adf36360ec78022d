"""Schema and plausibility mutants: the 200 body, its media type, the error body, the field values."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from werkzeug.wrappers import Response

from modelarts_contract.reference import Group, ListQuery, ReferenceApp

from .base import mutant


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


class FieldMissingVersionCount(ReferenceApp):
    """ImageGroup lacks version_count (the serializer forgot one field)."""

    def render_group(self, group: Group) -> dict[str, Any]:
        item = super().render_group(group)
        del item["version_count"]
        return item


class TotalAsString(ReferenceApp):
    """total is a string, the JavaScript-safe way to send a Long."""

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        return {**super().envelope(groups, total, q), "total": str(total)}


class TimestampsIsoStrings(ReferenceApp):
    """create_at/update_at rendered as ISO-8601 strings instead of UTC milliseconds."""

    def render_group(self, group: Group) -> dict[str, Any]:
        item = super().render_group(group)
        return {**item, "create_at": _iso(group.create_at), "update_at": _iso(group.update_at)}


class DataNullOnEmptyPage(ReferenceApp):
    """An empty page serialises data as null (a nil slice in Go)."""

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        body = super().envelope(groups, total, q)
        return {**body, "data": body["data"] or None}


class ContentTypeTextPlain(ReferenceApp):
    """JSON bodies labelled text/plain."""

    def json_response(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        response = super().json_response(status, body, headers)
        response.content_type = "text/plain; charset=utf-8"
        return response


class ErrorBodyMissingMsg(ReferenceApp):
    """Error bodies say "message" instead of error_msg."""

    def error(self, status: int, code: str, msg: str) -> Response:
        return self.json_response(status, {"error_code": code, "message": msg})


class ErrorBodyHtml(ReferenceApp):
    """400s come back as the web framework's HTML error page."""

    def error(self, status: int, code: str, msg: str) -> Response:
        if status != 400:
            return super().error(status, code, msg)
        page = f"<!doctype html>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n<p>{escape(msg)}</p>"
        return Response(page, status=400, content_type="text/html; charset=utf-8")


class UpdateBeforeCreate(ReferenceApp):
    """create_at and update_at swapped (MIN/MAX mixed up)."""

    def render_group(self, group: Group) -> dict[str, Any]:
        item = super().render_group(group)
        return {**item, "create_at": group.update_at, "update_at": group.create_at}


class TimestampsInSeconds(ReferenceApp):
    """Timestamps in UTC seconds, not milliseconds."""

    def render_group(self, group: Group) -> dict[str, Any]:
        item = super().render_group(group)
        return {**item, "create_at": group.create_at // 1000, "update_at": group.update_at // 1000}


class VersionCountZeroBased(ReferenceApp):
    """version_count counts the versions besides the first one."""

    def render_group(self, group: Group) -> dict[str, Any]:
        return {**super().render_group(group), "version_count": group.version_count - 1}


VARIANTS = (
    mutant("field-missing-version-count", "R8.body-schema", FieldMissingVersionCount, probes=[{}]),
    mutant("total-as-string", "R8.body-schema", TotalAsString, probes=[{}]),
    mutant("timestamps-iso-strings", "R8.body-schema", TimestampsIsoStrings, probes=[{}]),
    mutant("data-null-on-empty-page", "R8.body-schema", DataNullOnEmptyPage, probes=[{"offset": "5000"}]),
    mutant("content-type-text-plain", "R8.content-type", ContentTypeTextPlain, probes=[{}]),
    mutant("error-body-missing-msg", "R13.error-body", ErrorBodyMissingMsg, probes=[{"limit": "0"}]),
    mutant("error-body-html", "R13.error-body", ErrorBodyHtml, probes=[{"limit": "abc"}]),
    mutant("update-before-create", "R12.plausible", UpdateBeforeCreate, probes=[{}]),
    mutant("timestamps-in-seconds", "R12.plausible", TimestampsInSeconds, probes=[{}]),
    mutant("version-count-zero-based", "R12.plausible", VersionCountZeroBased, probes=[{"limit": "2000"}]),
)
