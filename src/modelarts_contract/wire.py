"""What the transport does to the answers of `requests` and around its connections: a 3xx no
session takes for a redirect, the mark of an answer cut short of its Content-Length, and a host
name resolved within a deadline.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading

import requests

RESOLVER_THREAD = "modelarts-resolver"


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
