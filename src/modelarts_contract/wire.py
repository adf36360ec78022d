"""What the transport does to the answers of `requests` and around its connections: a 3xx no
session takes for a redirect, the marks of an answer cut at the cap or short of its Content-Length,
a host name resolved within a deadline, and Retry-After read as seconds.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
import time
from email.utils import parsedate_to_datetime

import requests

RESOLVER_THREAD = "modelarts-resolver"
# delta-seconds in ASCII digits only: str.isdigit() accepts '²' (and float('²') raises); ten digits
# are three centuries, so anything longer is not a Retry-After anyone meant.
_DELTA_SECONDS = re.compile(r"[0-9]{1,10}")
_MAX_HTTP_DATE = 64  # characters; an IMF-fixdate has 29


class UnfollowedResponse(requests.Response):
    """A response that no `requests.Session` takes for a redirect: `Session.send` resolves a 3xx's
    Location (for `response.next`) even with allow_redirects=False, decoding its bytes as UTF-8. The
    suite follows no redirect (R16) and its checks read the header as bytes (`neutral.header_text`)."""

    @property
    def is_redirect(self) -> bool:
        return False

    @property
    def is_permanent_redirect(self) -> bool:
        return False


def unfollowed(response: requests.Response) -> requests.Response:
    response.__class__ = UnfollowedResponse
    return response


def mark_short(response: requests.Response, short: tuple[int, int] | None) -> None:
    """`short_of`: (bytes received, Content-Length) of an answer that ended early, or None."""
    response.short_of = short  # type: ignore[attr-defined]  # our mark on requests' objects
    if response.request is not None:
        response.request.short_of = short  # type: ignore[attr-defined]  # as mark_truncated's


def short_of(response: requests.Response, error: Exception) -> tuple[int, int] | None:
    """(received, announced) when `error` is the body ending before its Content-Length."""
    announced = response.headers.get("Content-Length", "")
    if not isinstance(error, requests.exceptions.ChunkedEncodingError) or not announced.isascii():
        return None
    if not announced.isdigit() or response.raw is None:
        return None
    received = int(response.raw.tell())
    return (received, int(announced)) if received < int(announced) else None


def resolves_within(host: str, port: int | None, seconds: float) -> bool:
    """False when resolving `host` takes longer than `seconds`. It runs in a thread of its own: the
    connection resolves the name again (from the resolver's cache, by then), but a resolver that
    hangs holds no request past its deadline. A name that does not resolve is left to the
    connection, which says so in its own words."""
    try:
        ipaddress.ip_address(host)
        return True  # an address: nothing to resolve
    except ValueError:
        pass
    done = threading.Event()

    def resolve() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        done.set()

    threading.Thread(target=resolve, name=RESOLVER_THREAD, daemon=True).start()
    return done.wait(seconds)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: ASCII delta-seconds or an HTTP date; None when absent or unreadable,
    and then the answer is not waited out but goes to the checks."""
    if value is None:
        return None
    value = value.strip(" \t")
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    if not value or len(value) > _MAX_HTTP_DATE:
        return None
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):  # whatever the stdlib trips on
        return None
    return max(0.0, when - (time.time() if now is None else now))


def mark_truncated(response: requests.Response, cut: int | None) -> None:
    """`truncated_at`: the byte cap the body was cut at, or None when read whole.

    Set on the request as well, because schemathesis rebuilds the response and keeps only the request.
    """
    response.truncated_at = cut  # type: ignore[attr-defined]  # our mark on requests' objects
    if response.request is not None:
        response.request.truncated_at = cut  # type: ignore[attr-defined]  # our mark, as above
