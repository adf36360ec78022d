"""WSGI application of the reference server: GET /v1/{project_id}/images/group per rulings R1-R15.

SEAMS for mutants (subclass ``ReferenceApp`` and override): ``handle``, ``authenticate``,
``parse_query``, ``render_group``, ``envelope``, ``error``, ``json_response``.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from . import signing
from .data import Credentials, Dataset
from .iam import Issuer
from .query import SORT_KEYS, ListQuery
from .store import Group, Store

__all__ = ["BadParameter", "ListQuery", "ReferenceApp", "build_app"]

log = logging.getLogger(__name__)

_PATH_RE = re.compile(r"/v1/([^/]+)/images/group")
_INT_RE = re.compile(r"-?[0-9]+")
INT32_MAX = 2**31 - 1
MAX_SIGNED_BODY = 1 << 20
PARAMETERS: tuple[str, ...] = ("limit", "offset", "name", "name_fuzzy_match", "namespace", "type")
PARAMETERS += ("service_type", "sort_dir", "sort_key", "workspace_id")
TYPES = ("BUILD_IN", "DEDICATED")
SERVICE_TYPES = ("COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN")
SORT_DIRS = ("ASC", "DESC")


class BadParameter(ValueError):
    """An invalid query parameter: answered with 400 ModelArts.0101 (R2, R3, R5)."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"Invalid parameter '{parameter}': {reason}")
        self.parameter = parameter


class ReferenceApp:
    def __init__(
        self, store: Store, projects: list[Credentials], clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.projects = list(projects)
        self.clock = clock
        self.iam: Issuer | None = None  # the IAM stand-in's register: its tokens and temporary keys

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.handle(request)
        except Exception:  # R14: never leak a traceback; this should not happen at all
            log.exception("reference server failed on %s %s", request.method, request.path)
            response = self.error(500, "ModelArts.0010", "Internal server error")
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        match = _PATH_RE.fullmatch(request.path)
        if not match:
            return self.error(
                404, "APIGW.0101", "The API does not exist or has not been published in the environment"
            )
        if request.method != "GET":
            response = self.error(405, "APIGW.0105", f"Method {request.method} is not allowed; use GET")
            response.headers["Allow"] = "GET"
            return response
        project_id = match.group(1)
        denied = self.authenticate(request, project_id)
        if denied is not None:
            return denied
        try:
            q = self.parse_query(request, project_id)
        except BadParameter as exc:
            return self.error(400, "ModelArts.0101", str(exc))
        groups, total = self.store.list(q)
        return self.json_response(200, self.envelope(groups, total, q))

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        token = request.headers.get("X-Auth-Token")
        if token is not None:
            creds = next((p for p in self.projects if p.token and _same(p.token, token)), None)
            why = "Invalid token"
            if creds is None and self.iam is not None:
                creds, why = self.iam.token_holder(token)
            if creds is None:
                return self.error(401, "ModelArts.0203", why)
        elif request.headers.get("Authorization"):
            creds = None
            keys = self.projects + (self.iam.temporary_keys() if self.iam else [])
            try:
                creds = signing.verify(self._signed_request(request), keys, self.clock())
                problem = self._security_token_problem(request, creds)
            except (signing.SignatureError, ValueError, UnicodeError) as exc:
                problem = str(exc) if isinstance(exc, signing.SignatureError) else "invalid signature"
            if problem is not None or creds is None:
                return self.error(401, "ModelArts.0203", f"AK/SK authentication failed: {problem}")
        else:
            return self.error(401, "ModelArts.0203", "Missing credentials: X-Auth-Token or AK/SK signature")
        if creds.project_id != project_id:
            msg = "The project id in the URL does not match the credentials"
            return self.error(403, "ModelArts.0210", msg)
        return None

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        args = request.args
        for name in PARAMETERS:  # R6: anything else is ignored
            if len(args.getlist(name)) > 1:
                raise BadParameter(name, "given more than once")
        fuzzy = args.get("name_fuzzy_match")
        if fuzzy is not None and fuzzy not in ("true", "false"):
            raise BadParameter("name_fuzzy_match", "must be true or false")
        return ListQuery(
            project_id=project_id,
            workspace_id=args.get("workspace_id") or "0",  # R7; empty = default
            name=args.get("name") or None,  # R4: empty = no filter
            name_fuzzy_match=fuzzy != "false",
            namespace=args.get("namespace") or None,
            type=_enum(args.get("type"), "type", TYPES),
            service_type=_enum(args.get("service_type"), "service_type", SERVICE_TYPES),
            sort_key=_sort_key(args.get("sort_key")),
            sort_dir=_enum(args.get("sort_dir"), "sort_dir", SORT_DIRS) or "DESC",
            limit=_int(args.get("limit"), "limit", 200, minimum=1),
            offset=_int(args.get("offset"), "offset", 0, minimum=0),
        )

    def render_group(self, group: Group) -> dict[str, Any]:  # JSON; mutants change its shape
        return {
            "name": group.name,
            "create_at": group.create_at,
            "namespace": group.namespace,
            "update_at": group.update_at,
            "version_count": group.version_count,
        }

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        data = [self.render_group(g) for g in groups]
        return {
            "current": q.offset // q.limit + 1,
            "data": data,
            "pages": -(-total // q.limit),  # ceil; 0 when total is 0
            "size": len(data),
            "total": total,
        }

    def error(self, status: int, code: str, msg: str) -> Response:
        return self.json_response(status, {"error_code": code, "error_msg": msg})

    def json_response(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        response = Response(json.dumps(body), status=status, content_type="application/json")
        response.headers["X-Request-Id"] = uuid.uuid4().hex
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response

    def _security_token_problem(self, request: Request, creds: Credentials) -> str | None:
        """Temporary keys need their security token, signed (R1); None when all is well."""
        if self.iam is None:
            return None
        signed = signing.parse_authorization(request.headers.get("Authorization", "").strip())[1]
        return self.iam.security_token_problem(creds.ak, request.headers.get("X-Security-Token"), signed)

    def _signed_request(self, request: Request) -> signing.SignedRequest:
        raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
        raw_path = raw_uri.split("?", 1)[0]
        if not raw_path.startswith("/"):  # absolute-form or missing: fall back to the decoded path
            raw_path = request.script_root + request.path
        small = (request.content_length or 0) <= MAX_SIGNED_BODY
        return signing.SignedRequest(
            method=request.method,
            host=request.headers.get("Host", ""),
            raw_path=raw_path,
            query_string=request.query_string.decode("latin-1"),
            headers=request.headers,
            body=request.get_data() if small else b"\0",
        )


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def _int(value: str | None, name: str, default: int, minimum: int) -> int:
    if value is None:
        return default
    # Digits only (int() would also take "1_0", " 1" and other scripts' digits); the length test keeps
    # int() away from huge strings.
    number = int(value) if _INT_RE.fullmatch(value) and len(value.lstrip("-0")) <= 10 else None
    if number is None or not minimum <= number <= INT32_MAX:
        raise BadParameter(name, f"must be an integer between {minimum} and {INT32_MAX}")
    return number


def _enum(value: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise BadParameter(name, f"must be one of {', '.join(allowed)}")
    return value


def _sort_key(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    keys = tuple(value.split(","))
    if not all(k in SORT_KEYS for k in keys):
        raise BadParameter("sort_key", f"must be a comma-separated list of {', '.join(SORT_KEYS)}")
    return keys


def build_app(
    dataset: Dataset,
    *,
    app_cls: type[ReferenceApp] = ReferenceApp,
    store_cls: type[Store] = Store,
    clock: Callable[[], float] = time.time,
    iam: Issuer | None = None,
) -> ReferenceApp:
    """An app over a fresh store of ``dataset`` (the classes are parameters so mutants can swap them);
    with `iam`, it also accepts what that IAM stand-in issued."""
    app = app_cls(store_cls(dataset), list(dataset.projects), clock=clock)
    app.iam = iam
    return app
