"""Get the page to check: a local file, or a published URL through a bounded client and a cache.

The client is the stdlib's ``http.client``: one GET, no credentials (a URL with user info is refused),
nothing from the environment (no proxies, no .netrc, no cookies), ``Accept-Encoding: identity``, a
cap on the bytes read and ONE clock for the whole fetch, redirects included: a watchdog shuts the
socket at the deadline, so a server that drips bytes cannot stretch it. Redirects are followed only
on the same host (never from https to http), at most `Limits.max_redirects` of them.

Every page fetched is kept in the cache (a user cache directory by default); `offline=True` reads
the cache only. With a cached copy, the next fetch asks with If-None-Match / If-Modified-Since.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import http.client
import json
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """The page could not be had within the limits (the message says which and why)."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 2 * 1024 * 1024  # a reference page is tens of KiB, a whole Sphinx page ~100 KiB
    deadline: float = 30.0  # seconds for the whole fetch, redirects included
    max_redirects: int = 5


@dataclass(frozen=True)
class Page:
    text: str
    source: str  # the path or URL asked for
    fetched_at: str | None = None  # ISO time of the fetch (URLs only)
    from_cache: bool = False


def is_url(text: str) -> bool:
    return urlsplit(text).scheme.lower() in ("http", "https")


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME (or ~/.cache; %LOCALAPPDATA% on Windows)/modelarts-contract/drift."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "modelarts-contract" / "drift"


def _user_agent() -> str:
    try:
        version = metadata.version("modelarts-contract")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"modelarts-contract-drift/{version} (+documentation drift check)"


@dataclass
class _Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class _Clock:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, url: str) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise FetchError(f"{url}: not fetched within the {self.seconds:g} s deadline")
        return left


def _connection(url: str, clock: _Clock) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise FetchError(f"{parts.scheme}://...@{parts.hostname}: a URL with credentials is refused")
    if not parts.hostname:
        raise FetchError(f"{url}: no host")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme.lower() == "https":
        context = ssl.create_default_context()  # certificates verified, system trust store
        return http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=clock.left(url), context=context
        ), target
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=clock.left(url)), target


def _read_capped(
    response: http.client.HTTPResponse, sockets: list[socket.socket], url: str, limits: Limits, clock: _Clock
) -> bytes:
    """The body, at most the cap; every read bounded by what is left of the clock."""
    body = bytearray()
    while len(body) <= limits.max_bytes:  # each turn reads >= 1 byte or ends the loop
        for sock in sockets:
            sock.settimeout(clock.left(url))
        chunk = response.read1(min(65536, limits.max_bytes + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    if len(body) > limits.max_bytes:
        raise FetchError(f"{url}: larger than the {limits.max_bytes}-byte cap")
    return bytes(body)


def _get(url: str, headers: dict[str, str], limits: Limits, clock: _Clock) -> _Answer:
    """One GET of `url`, its body read to the cap, all of it within the clock."""
    connection, target = _connection(url, clock)
    sockets: list[socket.socket] = []

    def cut() -> None:  # at the deadline: whatever read is blocked returns at once
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed: nothing to cut
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(clock.left(url), cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.connect()
        if connection.sock is not None:
            sockets.append(connection.sock)
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        length = response.getheader("Content-Length", "")
        if length.isascii() and length.isdigit() and int(length) > limits.max_bytes:  # not "²"
            raise FetchError(f"{url}: {length} bytes announced, more than the {limits.max_bytes}-byte cap")
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity" and response.status not in (*REDIRECTS, 304):
            raise FetchError(f"{url}: Content-Encoding {encoding!r} (identity was asked for)")
        body = _read_capped(response, sockets, url, limits, clock)
        clock.left(url)  # a read cut by the watchdog ends like a short body: the clock tells
        return _Answer(response.status, response.msg, body)
    except (OSError, http.client.HTTPException) as exc:
        clock.left(url)
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
    finally:
        watchdog.cancel()
        connection.close()


def _same_origin_redirect(url: str, location: str | None, hops: int, limits: Limits) -> str:
    if not location:
        raise FetchError(f"{url}: redirect without a Location")
    target = urljoin(url, location)
    old, new = urlsplit(url), urlsplit(target)
    if hops >= limits.max_redirects:
        raise FetchError(f"{url}: more than {limits.max_redirects} redirects")
    if new.scheme.lower() not in ("http", "https") or (new.hostname or "") != (old.hostname or ""):
        raise FetchError(f"{url}: redirect to another host refused ({new.scheme}://{new.hostname})")
    if old.scheme.lower() == "https" and new.scheme.lower() != "https":
        raise FetchError(f"{url}: redirect from https to http refused")
    return target


class Cache:
    """Pages by URL: the body as fetched and a small JSON record beside it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode()).hexdigest()[:32]
        return self.directory / f"{key}.body", self.directory / f"{key}.json"

    def get(self, url: str, max_bytes: int) -> tuple[bytes, dict[str, Any]] | None:
        body_path, meta_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or meta.get("url") != url or body_path.stat().st_size > max_bytes:
                return None
            return body_path.read_bytes(), meta
        except (OSError, ValueError):
            return None

    def put(self, url: str, body: bytes, meta: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path, data in zip(self._paths(url), (body, json.dumps(meta).encode()), strict=True):
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)  # a reader sees the old file or the new one, never half


def _decode(body: bytes, charset: str | None, url: str) -> str:
    try:
        return body.decode(codecs.lookup(charset or "utf-8").name)
    except (LookupError, UnicodeDecodeError) as exc:
        raise FetchError(f"{url}: cannot decode the page ({exc})") from None


def _request_headers(cached: tuple[bytes, dict[str, Any]] | None) -> dict[str, str]:
    headers = {"User-Agent": _user_agent(), "Accept": "text/html, text/x-rst, text/plain;q=0.9, */*;q=0.5"}
    headers["Accept-Encoding"] = "identity"
    if cached is not None:  # ask only for what changed
        if cached[1].get("etag"):
            headers["If-None-Match"] = str(cached[1]["etag"])
        if cached[1].get("last_modified"):
            headers["If-Modified-Since"] = str(cached[1]["last_modified"])
    return headers


def _follow(url: str, headers: dict[str, str], limits: Limits) -> tuple[str, _Answer]:
    """GET `url`, following same-origin redirects up to the limit, all within one clock."""
    clock, current = _Clock(limits.deadline), url
    for hops in range(limits.max_redirects + 1):
        answer = _get(current, headers, limits, clock)
        if answer.status not in REDIRECTS:
            return current, answer
        current = _same_origin_redirect(current, answer.headers.get("Location"), hops, limits)
    raise FetchError(f"{url}: more than {limits.max_redirects} redirects")


def fetch(url: str, cache_dir: Path, *, offline: bool = False, limits: Limits | None = None) -> Page:
    """The page at `url`: fetched (and cached), or with `offline` the cached copy."""
    limits = limits or Limits()
    cache = Cache(cache_dir)
    cached = cache.get(url, limits.max_bytes)
    if offline:
        if cached is None:
            raise FetchError(f"{url}: no cached copy in {cache_dir} (run once without --offline)")
        body, meta = cached
        return Page(_decode(body, meta.get("charset"), url), url, meta.get("fetched_at"), from_cache=True)
    current, answer = _follow(url, _request_headers(cached), limits)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if answer.status == 304 and cached is not None:
        body, meta = cached
        cache.put(url, body, {**meta, "fetched_at": now})
        return Page(_decode(body, meta.get("charset"), url), url, now, from_cache=True)
    if answer.status != 200:
        raise FetchError(f"{current}: HTTP {answer.status} (200 expected)")
    charset = answer.headers.get_content_charset()
    text = _decode(answer.body, charset, url)
    meta = {
        "url": url,
        "final_url": current,
        "fetched_at": now,
        "charset": charset,
        "etag": answer.headers.get("ETag"),
        "last_modified": answer.headers.get("Last-Modified"),
    }
    cache.put(url, answer.body, meta)
    return Page(text, url, now)


def read_file(path: Path, max_bytes: int) -> Page:
    """A local page, under the same size cap as a fetched one."""
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FetchError(f"{path}: larger than the {max_bytes}-byte cap")
    return Page(_decode(data, "utf-8", str(path)), str(path))
