"""A second, independent server for GET /v1/{project_id}/images/group (stdlib only).

It shares no code with ``modelarts_contract.reference``: it is written from the API document and
the rulings alone (both described in docs/contract.md), and it makes different choices wherever
the rulings leave freedom:

- default order (no sort_key): update_at DESC, then name ASC, namespace ASC (R5, R9: any total order);
- with sort_key: the keys in sort_dir, then name ASC, namespace ASC as the tie-break (R11);
- ``size`` is ``limit`` (R9); ``pages`` is 1 when ``total`` is 0 (R9);
- undocumented extra fields like the live service (R8): ``id``, ``description``,
  ``is_swr_enterprise`` in each group and ``is_swr_enterprise`` in the envelope;
- a valid token for another project gets 404 (R1);
- X-Auth-Token only: no AK/SK (any other credentials are invalid, so 401).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

MAIN_PROJECT = "b" * 32
MAIN_TOKEN = "independent-token-main"
OTHER_PROJECT = "c" * 32
OTHER_TOKEN = "independent-token-other"
SECOND_WORKSPACE = "5e" * 16

TOKENS = {MAIN_TOKEN: MAIN_PROJECT, OTHER_TOKEN: OTHER_PROJECT}

INT32_MAX = 2**31 - 1
DEFAULT_LIMIT = 200
TYPES = ("BUILD_IN", "DEDICATED")
SERVICE_TYPES = ("COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN")
SORT_DIRS = ("ASC", "DESC")
SORT_KEYS = ("name", "namespace", "create_at", "update_at", "version_count")
CONTENT_TYPE = "application/json;charset=UTF-8"
_DIGITS = re.compile(r"[0-9]+")
_PATH = re.compile(r"^/v1/([^/]+)/images/group$")

# 2021-01-01T00:00:00Z .. 2023-12-31T23:59:59.999Z in UTC milliseconds.
T_START = 1_609_459_200_000
T_END = 1_704_067_199_999


@dataclass(frozen=True)
class Version:
    """One image (one version of a group)."""

    project: str
    workspace: str
    namespace: str
    name: str
    type: str
    service_type: str
    create_at: int
    update_at: int


class BadRequest(Exception):
    pass


# ---------------------------------------------------------------------------------------------- data


def _versions_of(rng: random.Random, project, workspace, namespace, name, shared_times) -> list[Version]:
    out = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 6))):
        if rng.random() < 0.2:
            # timestamp ties: reuse a popular instant for both ends
            create = update = rng.choice(shared_times)
        else:
            create = rng.randint(T_START, T_END)
            update = min(T_END, create + rng.choice((0, 0, rng.randint(1, 90 * 86_400_000))))
        out.append(
            Version(
                project,
                workspace,
                namespace,
                name,
                "BUILD_IN" if rng.random() < 0.3 else "DEDICATED",
                rng.choice(SERVICE_TYPES),
                create,
                update,
            )
        )
    return out


def build_dataset(seed: int = 1) -> list[Version]:
    """A deterministic list of images for both projects."""
    rng = random.Random(seed)
    namespaces = ["team-alpha", "ml_vision", "infer.prod", "dev-sandbox", "op_svc_modelarts2"]
    bases = ["pytorch", "tensorflow", "mindspore", "notebook", "infer", "train", "mock-service", "cuda", "py"]
    suffixes = ["", "-1.8", "_1_8", "-gpu", "-cpu", ".dev", "-11.2", "-serving", "2", "-x"]
    names = sorted({b + s for b in bases for s in suffixes} | {"123", "a", "ab", "abc", "my-pytorch"})
    shared_times = [rng.randint(T_START, T_END) for _ in range(6)]
    images: list[Version] = []
    for namespace in namespaces:  # workspace "0": 5 x 47 = 235 groups
        for name in rng.sample(names, 47):
            images += _versions_of(rng, MAIN_PROJECT, "0", namespace, name, shared_times)
    for _ in range(25):  # a second workspace, 25 groups (pairs may repeat those of workspace "0")
        namespace, name = rng.choice(namespaces[:3]), rng.choice(names)
        if any(
            v.workspace == SECOND_WORKSPACE and (v.namespace, v.name) == (namespace, name) for v in images
        ):
            continue
        images += _versions_of(rng, MAIN_PROJECT, SECOND_WORKSPACE, namespace, name, shared_times)
    for name in rng.sample(names, 10):
        images += _versions_of(rng, OTHER_PROJECT, "0", "other-org", name, shared_times)
    return images


DATASET = build_dataset()


# ------------------------------------------------------------------------------------------- listing


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _int(query, name: str, default: int, minimum: int) -> int:
    text = _first(query, name)
    if text is None:
        return default
    if not _DIGITS.fullmatch(text):
        raise BadRequest(f"{name} must be an integer, got {text!r}")
    value = int(text)
    if not minimum <= value <= INT32_MAX:
        raise BadRequest(f"{name} must be between {minimum} and {INT32_MAX}")
    return value


def _enum(query, name: str, allowed: tuple[str, ...]) -> str | None:
    text = _first(query, name)
    if text is not None and text not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return text


def list_groups(images: list[Version], project: str, query: dict[str, list[str]]) -> dict:
    """The 200 body for one request; raises BadRequest for an invalid parameter (R2-R5)."""
    limit = _int(query, "limit", DEFAULT_LIMIT, 1)
    offset = _int(query, "offset", 0, 0)
    image_type = _enum(query, "type", TYPES)
    service_type = _enum(query, "service_type", SERVICE_TYPES)
    sort_dir = _enum(query, "sort_dir", SORT_DIRS) or "DESC"
    fuzzy = _enum(query, "name_fuzzy_match", ("true", "false")) != "false"
    raw_keys = _first(query, "sort_key")
    sort_keys: list[str] = []
    if raw_keys is not None:
        sort_keys = raw_keys.split(",")
        for key in sort_keys:
            if key not in SORT_KEYS:
                raise BadRequest(f"sort_key: unknown or empty key {key!r}")
    name = _first(query, "name") or None
    namespace = _first(query, "namespace") or None
    workspace = _first(query, "workspace_id")
    workspace = "0" if workspace is None else workspace

    groups: dict[tuple[str, str], list[Version]] = {}
    for image in images:
        if image.project != project or image.workspace != workspace:
            continue
        if image_type is not None and image.type != image_type:
            continue
        if service_type is not None and image.service_type != service_type:
            continue
        if namespace is not None and image.namespace != namespace:
            continue
        if name is not None and not (name in image.name if fuzzy else name == image.name):
            continue
        groups.setdefault((image.namespace, image.name), []).append(image)

    rows = [
        {
            "name": nm,
            "namespace": ns,
            "create_at": min(v.create_at for v in versions),
            "update_at": max(v.update_at for v in versions),
            "version_count": len(versions),
        }
        for (ns, nm), versions in groups.items()
    ]
    rows.sort(key=lambda r: (r["name"], r["namespace"]))  # the tie-break, applied first (stable sorts)
    if sort_keys:
        rows.sort(key=lambda r: tuple(r[k] for k in sort_keys), reverse=sort_dir == "DESC")
    else:
        rows.sort(key=lambda r: r["update_at"], reverse=True)

    total = len(rows)
    page = [
        {
            "id": hashlib.md5(f"{r['namespace']}/{r['name']}".encode()).hexdigest(),  # a stable id
            **r,
            "description": f"images of {r['namespace']}/{r['name']}",
            "is_swr_enterprise": False,
        }
        for r in rows[offset : offset + limit]
    ]
    return {
        "current": offset // limit + 1,
        "data": page,
        "pages": 1 if total == 0 else math.ceil(total / limit),
        "size": limit,
        "total": total,
        "is_swr_enterprise": False,
    }


# ---------------------------------------------------------------------------------------------- HTTP


def _error(code: str, msg: str) -> dict:
    return {"error_code": code, "error_msg": msg}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IndependentImageGroups/1.0"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the body
    # back until the client's delayed ACK (40 ms) on every keep-alive request.
    disable_nagle_algorithm = True
    images: list[Version] = DATASET

    def log_message(self, format, *args):  # quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code, message=None, explain=None):
        # http.server's own errors (bad request line, URI too long...) as JSON error bodies too (R13).
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(code, _error("ModelArts.0101" if code < 500 else "ModelArts.0010", message or "error"))

    def _drain(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > 0:
            self.rfile.read(int(length))

    def _handle(self) -> tuple[int, dict]:
        parts = urlsplit(self.path)
        match = _PATH.fullmatch(parts.path)
        if not match:
            return 404, _error("APIGW.0101", "The API does not exist or has not been published.")
        if self.command != "GET":
            return 405, _error("ModelArts.0101", "Method not allowed.")
        project = unquote(match.group(1))
        token = self.headers.get("X-Auth-Token")
        token_project = TOKENS.get(token) if token else None
        if token_project is None:
            return 401, _error("ModelArts.0203", "Invalid token.")
        if token_project != project:
            return 404, _error("ModelArts.0210", "The project ID in the URL does not match the token.")
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            return 200, list_groups(self.images, project, query)
        except BadRequest as exc:
            return 400, _error("ModelArts.0101", f"Invalid argument: {exc}")

    def _dispatch(self) -> None:
        try:
            self._drain()
            status, body = self._handle()
        except Exception as exc:  # never expected; a 500 body still obeys R13
            status, body = 500, _error("ModelArts.0010", f"Internal error: {type(exc).__name__}")
        self._send(status, body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch


def start(port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve on 127.0.0.1 in a daemon thread; return (base URL, stop)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="independent-server", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_address[1]}", stop
