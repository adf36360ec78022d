"""One exchange's bounds on the wire: its deadline and the cap on the bytes of its answer.

`requests`' read timeout is the longest gap between bytes, not a total, and `response.content`
reads a body whole: a target trickling a byte a second, or sending an endless or bomb-sized body,
would hold the run. `Deadline` ends the whole exchange (status line, headers and body) at the
request timeout by shutting its socket down; `WireCap` gives out at most the cap's bytes off the
wire; `read_body` reads the decoded body up to the cap. `WireWatch` is the patch of urllib3's
`getresponse` that hands each answer's socket to the running exchange's deadline (installed only
while held: `patching`).
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any

import requests
from urllib3.connection import HTTPConnection
from urllib3.response import HTTPResponse

from modelarts_contract.patching import Patch
from modelarts_contract.wire import mark_short, mark_truncated, short_of

DEADLINE_THREAD = "modelarts-deadline"
READ_CHUNK = 64 * 1024
# Errors of a target that answers badly or not at all; any of them ends the run's use of it.
TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    requests.exceptions.InvalidHeader,  # inside the adapter, only from the response's headers
)


class Deadline:
    """The end of one exchange, and its cap on the bytes of the body taken off the wire.

    `requests`' read timeout is the longest gap between bytes, so a target trickling a byte a second
    never times out. At the deadline a timer shuts the connection's socket down (the one way to end
    a read blocked in another thread), whether the status line, the headers or the body is coming.
    """

    def __init__(self, seconds: float, wire_cap: int, *, timed: bool = True) -> None:
        self.expired = False
        self.expired_unanswered = False  # before the status line and headers were all in
        self.wire_cap = wire_cap
        self.oversize = False  # the body asked for more than `wire_cap` bytes off the wire
        self._answered = False
        self._sock: socket.socket | None = None
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.name, self._timer.daemon = DEADLINE_THREAD, True
        if timed:  # untimed: a recording answers (no socket to shut down), the cap alone applies
            self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        """The socket the answer comes on (called as the connection starts reading the answer)."""
        with self._lock:
            self._sock = sock
            if self.expired:
                _shut(sock)

    def answered(self) -> None:
        """The status line and headers are in; the body is next."""
        with self._lock:
            self._answered = True

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired, self.expired_unanswered = True, not self._answered
            if self._sock is not None:
                _shut(self._sock)

    def cancel(self) -> None:
        with self._lock:
            self._done, self._sock = True, None
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to interrupt
        sock.shutdown(socket.SHUT_RDWR)


class WireCap:
    """The socket file of one answer's body, which gives out at most the deadline's `wire_cap` bytes,
    then reads as its end (and says so in `deadline.oversize`)."""

    def __init__(self, raw: Any, deadline: Deadline) -> None:
        self._raw = raw
        self._deadline = deadline
        self._left = deadline.wire_cap
        self._cut = False

    def _room(self, wanted: int | None) -> int:
        """How much of `wanted` (None or < 0: all there is) may be read; a read the cap cuts short,
        or finds nothing left for, marks the answer as over the cap."""
        if wanted is None or wanted < 0:
            room, self._cut = self._left, True
        else:
            room = min(wanted, self._left)
            self._cut = room < wanted
        if room == 0 and self._cut:
            self._deadline.oversize = True
        return room

    def _took(self, count: int) -> int:
        self._left -= count
        if self._cut and self._left == 0:
            self._deadline.oversize = True
        return count

    def _within(self, read: Callable[[int], bytes], wanted: int | None) -> bytes:
        room = self._room(wanted)
        data = read(room) if room else b""
        self._took(len(data))
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._within(self._raw.read, size)

    def read1(self, size: int = -1) -> bytes:
        return self._within(self._raw.read1, size)

    def readline(self, limit: int | None = -1) -> bytes:
        return self._within(self._raw.readline, limit)

    def readinto(self, buffer: Any) -> int:
        room = self._room(len(buffer))
        return self._took(self._raw.readinto(memoryview(buffer)[:room]) if room else 0)

    def __getattr__(self, name: str) -> Any:  # close, peek, closed, fileno...: the socket file's own
        return getattr(self._raw, name)


class Urllib3Unsupported(RuntimeError):
    """The installed urllib3 lacks what the byte cap and the deadline of every answer rely on."""


def check_urllib3() -> None:
    """Fail loudly, naming urllib3's version, when what `WireWatch` relies on is missing: urllib3's
    own `HTTPConnection.getresponse` (1.26 inherits http.client's, and the cap would silently never
    install) and the `_fp` of its response, http.client's response that holds the socket file."""
    missing = []
    if not callable(vars(HTTPConnection).get("getresponse")):
        missing.append("urllib3.connection.HTTPConnection.getresponse")
    probe = io.BytesIO()
    try:
        answer: object = HTTPResponse(body=probe, preload_content=False)
    except Exception:  # any signature but 2.x's: the check's point is to say so
        answer = None
    if getattr(answer, "_fp", None) is not probe:
        missing.append("urllib3.response.HTTPResponse._fp")
    if missing:
        raise Urllib3Unsupported(
            f"urllib3 {version('urllib3')} lacks {' and '.join(missing)}, on which the byte cap and "
            "the deadline of every answer rely: modelarts-contract needs urllib3>=2.6,<3 "
            "(python -m pip install 'urllib3>=2.6,<3')"
        )


class WireWatch(Patch):
    """urllib3's getresponse, first handing the socket to the running exchange's deadline and then
    capping the body's socket file (`WireCap`).

    Held by every guarded exchange and every open fence (so schemathesis's connections are watched
    too); it does nothing on a connection outside a guarded exchange.
    """

    owner, name = HTTPConnection, "getresponse"
    check = staticmethod(check_urllib3)

    def __init__(self, original: Callable[..., Any]) -> None:
        super().__init__(original)
        self.current = threading.local()  # the deadline of the exchange this thread is in, if any

    def replacement(self) -> Callable[..., Any]:
        def getresponse(connection: HTTPConnection) -> HTTPResponse:
            return self._watched(connection)

        return getresponse

    def _watched(self, connection: HTTPConnection) -> HTTPResponse:
        deadline: Deadline | None = getattr(self.current, "deadline", None)
        if deadline is not None and connection.sock is not None:
            deadline.watch(connection.sock)
        response: HTTPResponse = self.original(connection)
        answer = getattr(response, "_fp", None)  # http.client's response, which reads the socket's file
        if deadline is not None and getattr(answer, "fp", None) is not None:
            answer.fp = WireCap(answer.fp, deadline)  # type: ignore[union-attr]  # checked just above
        return response

    @contextlib.contextmanager
    def watching(self, deadline: Deadline) -> Iterator[None]:
        """The answers this thread reads meanwhile belong to `deadline`."""
        outer, self.current.deadline = getattr(self.current, "deadline", None), deadline
        try:
            yield
        finally:
            self.current.deadline = outer


def read_body(
    response: requests.Response, deadline: Deadline, max_body_bytes: int
) -> tuple[int | None, tuple[int, int] | None]:
    """The decoded body, up to the cap, into `response.content`; the cap it was cut at (or None) and
    how short of its Content-Length it ended (or None), each also marked on the response.

    The cap holds for the decoded bytes (a gzip bomb) and, through `WireCap`, for the bytes on
    the wire (a body that decodes to little, or to nothing, which urllib3 would read on and on)."""
    chunks: list[bytes] = []
    size, cut, short = 0, None, None
    try:
        for chunk in response.iter_content(READ_CHUNK):
            room = max_body_bytes - size
            if len(chunk) > room:
                chunks.append(chunk[:room])
                cut = max_body_bytes
                break
            chunks.append(chunk)
            size += len(chunk)
    except TRANSPORT_ERRORS as error:
        short = None if deadline.oversize else short_of(response, error)
        if not deadline.oversize and short is None:
            raise
    if deadline.oversize:  # the wire ran dry at the cap: whatever the reader made of that, a cut
        cut = max_body_bytes
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]  # private to requests, absent from its stubs
    mark_truncated(response, cut)
    mark_short(response, short)
    return cut, short
