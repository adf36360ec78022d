"""Status mutants: validation too lax (R3) or too strict (R2, R6), crashes (R14), a redirect (R16)."""

from __future__ import annotations

import json
import re

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from modelarts_contract.reference import BadParameter, ListQuery, ReferenceApp, Store
from modelarts_contract.reference.app import PARAMETERS, SERVICE_TYPES, TYPES
from modelarts_contract.reference.query import SORT_KEYS
from modelarts_contract.reference.store import SqlArgs

from .base import mutant, with_args

_LENIENT_BOOLEANS = {"1": "true", "yes": "true", "0": "false", "no": "false"}


class LimitZeroAccepted(ReferenceApp):
    """limit=0 means "use the default" (`limit or 200`)."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def edit(args: MultiDict[str, str]) -> None:
            if args.get("limit") == "0":
                del args["limit"]

        return super().parse_query(with_args(request, edit), project_id)


class NegativeOffsetAccepted(ReferenceApp):
    """A negative offset is clamped to 0 (`max(offset, 0)`)."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def edit(args: MultiDict[str, str]) -> None:
            if re.fullmatch(r"-[0-9]{1,10}", args.get("offset", "")):
                args["offset"] = "0"

        return super().parse_query(with_args(request, edit), project_id)


class UnknownEnumAccepted(ReferenceApp):
    """A type or service_type outside its enum is ignored instead of rejected."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def edit(args: MultiDict[str, str]) -> None:
            for name, allowed in (("type", TYPES), ("service_type", SERVICE_TYPES)):
                if name in args and args[name] not in allowed:
                    del args[name]

        return super().parse_query(with_args(request, edit), project_id)


class SortDirCaseInsensitive(ReferenceApp):
    """sort_dir is upper-cased before the check, so "asc" and "Desc" pass."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def edit(args: MultiDict[str, str]) -> None:
            if "sort_dir" in args:
                args["sort_dir"] = args["sort_dir"].upper()

        return super().parse_query(with_args(request, edit), project_id)


class FuzzyMatchLenient(ReferenceApp):
    """name_fuzzy_match parsed like a config flag: "1", "yes", "TRUE" are true."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def edit(args: MultiDict[str, str]) -> None:
            if "name_fuzzy_match" in args:
                value = args["name_fuzzy_match"].lower()
                args["name_fuzzy_match"] = _LENIENT_BOOLEANS.get(value, value)

        return super().parse_query(with_args(request, edit), project_id)


class SortKeyUnchecked(ReferenceApp):
    """Unknown or empty sort_key elements are dropped instead of rejected."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def edit(args: MultiDict[str, str]) -> None:
            if "sort_key" in args:
                keys = [k for k in args["sort_key"].split(",") if k in SORT_KEYS]
                args.pop("sort_key")
                if keys:
                    args["sort_key"] = ",".join(keys)

        return super().parse_query(with_args(request, edit), project_id)


class CrashOnNonIntegerLimit(ReferenceApp):
    """limit goes through a bare int(): a non-integer raises ValueError, a 500."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        if "limit" in request.args:
            int(request.args["limit"])  # the unguarded conversion, before validation
        return super().parse_query(request, project_id)


class CrashOnLargeLimit(Store):
    """limit >= 100000 trips a page-buffer guard that raises instead of answering 400: a 500."""

    def page(self, q: ListQuery) -> tuple[int, int]:
        if q.limit >= 100_000:
            raise MemoryError(f"refusing to allocate a page buffer of {q.limit} rows")
        return super().page(q)


class CrashOnNonAsciiName(Store):
    """name is encoded as ASCII for a legacy index: a non-ASCII name raises, a 500."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        if q.name:
            q.name.encode("ascii")
        return super().where(q)


class UnknownParamRejected(ReferenceApp):
    """Any query parameter outside the documented ones gets 400."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        for name in request.args:
            if name not in PARAMETERS:
                raise BadParameter(name, "unknown parameter")
        return super().parse_query(request, project_id)


class RedirectTrailingSlash(ReferenceApp):
    """The canonical route ends with '/': the documented path gets a 301 to it."""

    def handle(self, request: Request) -> Response:
        if request.path.endswith("/"):
            return super().handle(Request(dict(request.environ, PATH_INFO=request.path.rstrip("/"))))
        location = request.path + "/" + (f"?{request.query_string.decode()}" if request.query_string else "")
        return Response(status=301, headers={"Location": location})


class PagePastEnd404(ReferenceApp):
    """An offset at or past the end of the listing gets 404 instead of an empty page."""

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        if response.status_code == 200:
            total = json.loads(response.get_data())["total"]
            if int(request.args.get("offset", "0")) >= total:
                return self.error(404, "ModelArts.0104", "No image group at this offset")
        return response


VARIANTS = (
    mutant("limit-zero-accepted", "R3.invalid-rejected", LimitZeroAccepted, probes=[{"limit": "0"}]),
    mutant(
        "negative-offset-accepted", "R3.invalid-rejected", NegativeOffsetAccepted, probes=[{"offset": "-3"}]
    ),
    mutant(
        "unknown-enum-accepted",
        "R3.invalid-rejected",
        UnknownEnumAccepted,
        probes=[{"type": "PUBLIC"}, {"service_type": "train"}],
    ),
    mutant(
        "sort-dir-case-insensitive",
        "R3.invalid-rejected",
        SortDirCaseInsensitive,
        probes=[{"sort_dir": "asc"}],
    ),
    mutant(
        "fuzzy-match-lenient",
        "R3.invalid-rejected",
        FuzzyMatchLenient,
        probes=[{"name": "py", "name_fuzzy_match": "TRUE"}, {"name_fuzzy_match": "1"}],
    ),
    mutant(
        "sort-key-unchecked",
        "R3.invalid-rejected",
        SortKeyUnchecked,
        probes=[{"sort_key": "id"}, {"sort_key": "name,"}],
    ),
    mutant(
        "crash-on-non-integer-limit", "R14.no-server-error", CrashOnNonIntegerLimit, probes=[{"limit": "ten"}]
    ),
    mutant("crash-on-large-limit", "R14.no-server-error", CrashOnLargeLimit, probes=[{"limit": "100000"}]),
    mutant(
        "crash-on-non-ascii-name", "R14.no-server-error", CrashOnNonAsciiName, probes=[{"name": "pytörch"}]
    ),
    mutant(
        "unknown-param-rejected", "R6.unknown-ignored", UnknownParamRejected, probes=[{"page_size": "10"}]
    ),
    mutant("redirect-trailing-slash", "R16.documented-status", RedirectTrailingSlash, probes=[{}]),
    mutant("page-past-end-404", "R2.valid-accepted", PagePastEnd404, probes=[{"offset": "340"}]),
)
