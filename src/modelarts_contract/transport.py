"""The only way out to the target (R15, R16).

A `Guard` holds the rules for the target's origin and applies them below `requests.Session`, at
the adapter, where every request of `requests` passes:
- GET only; any other method is refused before it leaves the process;
- only the operation's own paths (the configured project ids) under the base URL, a second fence
  behind the config's check of the project id;
- a request budget, a time limit for the run and a pace (requests per second), shared by every
  request to the target;
- 429 and 503 with Retry-After are waited out and re-sent a bounded number of times;
- a connection, DNS, TLS or timeout failure ends the run's use of the target (`TargetUnreachable`);
- every answer is bounded: the body is read streamed, at most `max_body_bytes` bytes as they come
  over the wire and as they decode (the rest is left unread and the response marked `truncated_at`),
  and the whole exchange, status line, headers and body, ends at the request timeout however slowly
  the target trickles its bytes;
- the signature of every AK/SK request is handed to `witness` before it is sent, so that outputs can
  be scrubbed of it in whatever form the target echoes it.
- an answer cut short of its Content-Length is asked for once more: short again, it goes to the
  checks marked `short_of` (R8); whole, the fault did not repeat and the run stops (exit 6);
- the host name is resolved within the deadline (`wire.resolves_within`), and no `requests.Session`
  takes an answer for a redirect (`wire.unfollowed`): a 3xx's headers stay as the target sent them,
  for the checks to decode.

`GuardedSession` (the suite's session, which carries the credentials) also refuses any other
origin, so credentials go nowhere else, and never follows a redirect: a 3xx comes back to the
checks as a contract failure. `fence` extends the guard to every other session in the process,
because schemathesis sends some probes (ignored_auth, auth inference) on fresh sessions of its own.
The two patches this takes (requests' `HTTPAdapter.send`, urllib3's `HTTPConnection.getresponse`)
are in place only while a fence is open or a guarded exchange runs (`patching`): importing this
module changes nothing, and a urllib3 they do not fit is refused with its version named.
"""

from __future__ import annotations

import contextlib
import io
import re
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import version
from typing import Any, TypeAlias
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.response import HTTPResponse

from modelarts_contract.environment import describe_deadline, describe_unreachable
from modelarts_contract.meter import BudgetSpent, Meter, TimeSpent, TransportStats
from modelarts_contract.patching import PATCH_LOCK, Patch, holding
from modelarts_contract.stops import AnswerTooLarge as AnswerTooLarge  # re-exported: tests catch it here
from modelarts_contract.stops import BudgetExhausted, RunDeadlinePassed, TargetUnreachable, TransportRefused
from modelarts_contract.wire import mark_short, resolves_within, short_of, unfollowed

MAX_RETRIES = 3
MAX_RETRY_WAIT = 60.0  # seconds; a longer Retry-After is capped so a run stays bounded
MAX_RETRY_WAIT_TOTAL = 120.0  # seconds of Retry-After honoured per run; then 429/503 go to the checks
MAX_BODY_BYTES = 8 * 1024 * 1024  # bytes read of one body, on the wire and decoded (defuses gzip bombs)
READ_CHUNK = 64 * 1024
RETRY_STATUSES = frozenset({429, 503})
# delta-seconds in ASCII digits only: str.isdigit() accepts '²' (and float('²') raises); ten digits
# are three centuries, so anything longer is not a Retry-After anyone meant.
_DELTA_SECONDS = re.compile(r"[0-9]{1,10}")
_MAX_HTTP_DATE = 64  # characters; an IMF-fixdate has 29
_SIGNATURE = re.compile(r"Signature=([^,\s]+)")  # in an SDK-HMAC-SHA256 Authorization header
DEADLINE_THREAD = "modelarts-deadline"
_ORIGINAL_SEND = HTTPAdapter.send  # requests' own, which every guarded exchange ends in
# The parameters of `HTTPAdapter.send`, as requests' stubs spell them.
Timeout: TypeAlias = float | tuple[float, float] | tuple[float, None] | None
Cert: TypeAlias = bytes | str | tuple[bytes | str, bytes | str] | None
# Errors of a target that answers badly or not at all; any of them ends the run's use of it.
_TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    requests.exceptions.InvalidHeader,  # inside the adapter, only from the response's headers
)


def _segments(path: str) -> list[str]:
    """A URL path as its decoded segments, without empty ones (a trailing slash, say)."""
    return [unquote(segment) for segment in path.split("/") if segment]


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


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


class ShortAnswerOnce(TargetUnreachable):
    """An answer cut short of its Content-Length, whole on the retry: a fault that did not repeat."""


class _Deadline:
    """The end of one exchange, and its cap on the bytes of the body taken off the wire.

    `requests`' read timeout is the longest gap between bytes, so a target trickling a byte a second
    never times out. At the deadline a timer shuts the connection's socket down (the one way to end
    a read blocked in another thread), whether the status line, the headers or the body is coming.
    """

    def __init__(self, seconds: float, wire_cap: int) -> None:
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


class _WireCap:
    """The socket file of one answer's body, which gives out at most the deadline's `wire_cap` bytes,
    then reads as its end (and says so in `deadline.oversize`)."""

    def __init__(self, raw: Any, deadline: _Deadline) -> None:
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


def _check_urllib3() -> None:
    """Fail loudly, naming urllib3's version, when what `_WireWatch` relies on is missing: urllib3's
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


class _WireWatch(Patch):
    """urllib3's getresponse, first handing the socket to the running exchange's deadline and then
    capping the body's socket file (`_WireCap`).

    Held by every guarded exchange and every open fence (so schemathesis's connections are watched
    too); it does nothing on a connection outside a guarded exchange.
    """

    owner, name = HTTPConnection, "getresponse"
    check = staticmethod(_check_urllib3)

    def __init__(self, original: Callable[..., Any]) -> None:
        super().__init__(original)
        self.current = threading.local()  # the deadline of the exchange this thread is in, if any

    def replacement(self) -> Callable[..., Any]:
        def getresponse(connection: HTTPConnection) -> HTTPResponse:
            return self._watched(connection)

        return getresponse

    def _watched(self, connection: HTTPConnection) -> HTTPResponse:
        deadline: _Deadline | None = getattr(self.current, "deadline", None)
        if deadline is not None and connection.sock is not None:
            deadline.watch(connection.sock)
        response: HTTPResponse = self.original(connection)
        answer = getattr(response, "_fp", None)  # http.client's response, which reads the socket's file
        if deadline is not None and getattr(answer, "fp", None) is not None:
            answer.fp = _WireCap(answer.fp, deadline)  # type: ignore[union-attr]  # checked just above
        return response

    @contextlib.contextmanager
    def watching(self, deadline: _Deadline) -> Iterator[None]:
        """The answers this thread reads meanwhile belong to `deadline`."""
        outer, self.current.deadline = getattr(self.current, "deadline", None), deadline
        try:
            yield
        finally:
            self.current.deadline = outer


@dataclass(frozen=True)
class Limits:
    """What one exchange with the target may cost, the same on every path to it (a value, like
    httpx's `Timeout` and `Limits`). The run's budget, time limit and pace are its `Meter`'s."""

    timeout: float = 10.0  # seconds for one whole exchange (connect, headers and body); requests' too
    max_body_bytes: int = MAX_BODY_BYTES  # read of one answer, on the wire and decoded
    retry_wait_allowance: float = MAX_RETRY_WAIT_TOTAL  # seconds of Retry-After honoured in the run


class Guard:
    """The rules for one origin; one instance per run, shared by every path to the target."""

    def __init__(
        self,
        base_url: str,
        meter: Meter,
        limits: Limits = Limits(),  # a frozen value: one default shared is safe
        *,
        paths: Collection[str] | None = None,
        witness: Callable[[str], None] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = origin(self.base_url)
        self.limits = limits
        # The budget, the time limit and the pace: this process's own, or shared with others (xdist).
        self.meter = meter
        self._sleep = sleep
        # The paths a request may have, as decoded segments; None: any path under the base URL.
        self._prefix = _segments(urlsplit(self.base_url).path)
        self._paths = None if paths is None else {tuple(_segments(p)) for p in paths}
        self._witness = witness

    def covers(self, url: str) -> bool:
        return origin(url) == self.origin

    def _path_refused(self, url: str) -> str | None:
        """Why a request to `url` may not go out, or None: its path must be one of the operation's."""
        raw = urlsplit(url).path
        segments = _segments(raw)
        allowed = (
            segments[: len(self._prefix)] == self._prefix
            if self._paths is None
            else tuple(segments) in self._paths
        )
        if allowed and not any(s in {".", ".."} or "/" in s or "\\" in s for s in segments):
            return None
        return f"path {raw[:200]!r} is not the operation's path under the base URL"

    def refuse(self, reason: str) -> TransportRefused:
        self.meter.count("refused")
        return TransportRefused(f"refused to send a request: {reason}")

    def send(
        self, request: requests.PreparedRequest, transmit: Callable[[], requests.Response]
    ) -> requests.Response:
        """`transmit` sends the request and returns the response with its body unread (stream=True);
        the response comes back with its body read (bounded) and its connection released."""
        if (request.method or "").upper() != "GET":
            raise self.refuse(f"method {request.method} (the suite is read-only: GET only)")
        refused = self._path_refused(request.url or "")
        if refused is not None:
            raise self.refuse(refused)
        if self._witness is not None:
            signature = _SIGNATURE.search(request.headers.get("Authorization", ""))
            if signature is not None:
                self._witness(signature.group(1))
        for attempt in range(MAX_RETRIES + 1):
            self._admit()
            response = self._whole_or_short_twice(transmit)
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if response.status_code not in RETRY_STATUSES or wait is None or attempt == MAX_RETRIES:
                return response
            wait = min(wait, MAX_RETRY_WAIT)
            try:
                if not self.meter.allow_wait(wait, self.limits.retry_wait_allowance):
                    return response
            except TimeSpent as exc:
                raise RunDeadlinePassed(str(exc)) from None
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def exchange(self, transmit: Callable[[], requests.Response]) -> requests.Response:
        """One exchange within the deadline and the byte cap, and no other rule: for the IAM token
        client (credentials/iam.py), which sends the suite's one POST under rules of its own."""
        return self._exchange(transmit)

    def _whole_or_short_twice(self, transmit: Callable[[], requests.Response]) -> requests.Response:
        """One exchange; an answer cut short of its Content-Length is asked for once more. Short again,
        it goes to the checks (R8: the target's fault); whole the second time, the run stops (exit 6)."""
        response = self._exchange(transmit)
        short = getattr(response, "short_of", None)
        if short is None:
            return response
        self._admit()
        self.meter.count("retries")
        again = self._exchange(transmit)
        if getattr(again, "short_of", None) is None:
            raise ShortAnswerOnce(
                f"{self.base_url} broke off an answer after {short[0]} of the {short[1]} bytes of its "
                "Content-Length, then answered whole on a retry: a fault that did not repeat (the "
                "network, a proxy?), not a verdict on the target"
            )
        return again

    def _exchange(self, transmit: Callable[[], requests.Response]) -> requests.Response:
        """One request and its whole answer, within the deadline and the byte cap."""
        deadline = _Deadline(self.limits.timeout, self.limits.max_body_bytes)
        response: requests.Response | None = None
        complete = False
        try:
            self._resolve()
            with holding(_WireWatch) as wire, wire.watching(deadline):
                response = transmit()
            deadline.answered()
            complete = self._read_body(response, deadline) and not deadline.expired
            if deadline.expired:  # a shut-down socket can look like the end of a body
                raise TargetUnreachable(self._late(deadline))
        except _TRANSPORT_ERRORS as exc:
            message = self._late(deadline) if deadline.expired else None
            # from None: the chain holds urllib3 frames whose arguments include the headers
            raise TargetUnreachable(
                message or describe_unreachable(exc, self.base_url, self.limits.timeout)
            ) from None
        finally:
            deadline.cancel()
            if response is not None:
                if not complete and response.raw is not None:
                    response.raw.close()  # unread bytes on the connection: never reuse it
                response.close()  # a fully read body releases the connection for the next request
        return unfollowed(response)

    def _resolve(self) -> None:
        host, port = urlsplit(self.base_url).hostname or "", urlsplit(self.base_url).port
        if not resolves_within(host, port, self.limits.timeout):
            raise TargetUnreachable(
                f"the host name {host!r} did not resolve within {self.limits.timeout:g} s (--request-timeout): DNS?"
            )

    def _late(self, deadline: _Deadline) -> str:
        return describe_deadline(self.base_url, self.limits.timeout, answered=not deadline.expired_unanswered)

    def _read_body(self, response: requests.Response, deadline: _Deadline) -> bool:
        """The decoded body, up to the cap, into `response.content`; False when cut at the cap.

        The cap holds for the decoded bytes (a gzip bomb) and, through `_WireCap`, for the bytes on
        the wire (a body that decodes to little, or to nothing, which urllib3 would read on and on)."""
        chunks: list[bytes] = []
        size, cut, short = 0, None, None
        try:
            for chunk in response.iter_content(READ_CHUNK):
                room = self.limits.max_body_bytes - size
                if len(chunk) > room:
                    chunks.append(chunk[:room])
                    cut = self.limits.max_body_bytes
                    break
                chunks.append(chunk)
                size += len(chunk)
        except _TRANSPORT_ERRORS as error:
            short = None if deadline.oversize else short_of(response, error)
            if not deadline.oversize and short is None:
                raise
        if deadline.oversize:  # the wire ran dry at the cap: whatever the reader made of that, a cut
            cut = self.limits.max_body_bytes
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]  # private to requests, absent from its stubs
        mark_truncated(response, cut)
        mark_short(response, short)
        if cut is not None:
            self.meter.count("truncated")
        return cut is None and short is None

    def _admit(self) -> None:
        """Take one request from the budget and wait for its slot in the pace."""
        try:
            wait = self.meter.admit()
        except BudgetSpent as exc:
            raise BudgetExhausted(str(exc)) from None
        except TimeSpent as exc:
            raise RunDeadlinePassed(str(exc)) from None
        if wait > 0:
            self._sleep(wait)


class GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeout = None,
        verify: bool | str = True,
        cert: Cert = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        transmit = _streamed(self, request, self.guard, timeout, verify, cert, proxies)
        return self.guard.send(request, transmit)


class GuardedSession(requests.Session):
    """The suite's session: the configured origin only, no redirects, TLS verified, guarded."""

    def __init__(self, guard: Guard, *, verify: bool | str = True) -> None:
        super().__init__()
        self.trust_env = False  # no proxies or .netrc credentials from the environment
        # Redirects are never followed (allow_redirects=False in send); max_redirects stays at its
        # default because requests raises TooManyRedirects on any 3xx when it is 0.
        self.base_url = guard.base_url
        self.guard = guard
        self._verify = verify
        for prefix in ("http://", "https://"):
            self.mount(prefix, GuardedAdapter(self.guard))

    @property
    def stats(self) -> TransportStats:
        return self.guard.meter.stats

    @property
    def remaining(self) -> int:
        return self.guard.meter.remaining

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not self.guard.covers(request.url or ""):
            host = urlsplit(request.url or "").netloc
            raise self.guard.refuse(f"a host other than the configured one ({host})")
        kwargs["allow_redirects"] = False
        kwargs["verify"] = self._verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.guard.limits.timeout
        return super().send(request, **kwargs)


class _Fence(Patch):
    """`HTTPAdapter.send` for every adapter in the process: a request to the origin of an open
    fence's guard obeys that guard; any other goes out as requests sends it."""

    owner, name = HTTPAdapter, "send"

    def __init__(self, original: Callable[..., Any]) -> None:
        super().__init__(original)
        self.guards: list[Guard] = []  # of the open fences, changed under PATCH_LOCK

    def replacement(self) -> Callable[..., Any]:
        def send(
            adapter: HTTPAdapter,  # named so because it replaces HTTPAdapter.send
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: Timeout = None,
            verify: bool | str = True,
            cert: Cert = None,
            proxies: Mapping[str, str] | None = None,
        ) -> requests.Response:
            guard = next((g for g in list(self.guards) if g.covers(request.url or "")), None)
            if guard is None:
                response: requests.Response = self.original(
                    adapter, request, stream, timeout, verify, cert, proxies
                )
                return response
            return guard.send(request, _streamed(adapter, request, guard, timeout, verify, cert, proxies))

        return send


def _streamed(
    adapter: HTTPAdapter,
    request: requests.PreparedRequest,
    guard: Guard,
    timeout: Timeout,
    verify: bool | str,
    cert: Cert,
    proxies: Mapping[str, str] | None,
) -> Callable[[], requests.Response]:
    """The adapter's own send, body unread (the guard reads it), never without a read timeout."""
    if timeout is None:
        timeout = guard.limits.timeout
    return lambda: _ORIGINAL_SEND(adapter, request, True, timeout, verify, cert, proxies)


@contextlib.contextmanager
def fence(guard: Guard) -> Iterator[Guard]:
    """While open, every `requests` adapter in the process obeys `guard` for the guard's origin.

    Other origins are untouched. `GuardedAdapter` keeps its own path, so nothing is counted twice.
    """
    with holding(_Fence) as fenced, holding(_WireWatch):
        with PATCH_LOCK:
            fenced.guards.append(guard)
        try:
            yield guard
        finally:
            with PATCH_LOCK:
                fenced.guards.remove(guard)
