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

import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from modelarts_contract.deadline import TRANSPORT_ERRORS, Deadline, WireWatch, read_body
from modelarts_contract.environment import describe_deadline, describe_unreachable
from modelarts_contract.meter import BudgetSpent, Meter, TimeSpent, TransportStats
from modelarts_contract.patching import holding
from modelarts_contract.stops import BudgetExhausted, RunDeadlinePassed, TargetUnreachable, TransportRefused
from modelarts_contract.wire import resolves_within, retry_after_seconds, unfollowed

MAX_RETRIES = 3
MAX_RETRY_WAIT = 60.0  # seconds; a longer Retry-After is capped so a run stays bounded
MAX_RETRY_WAIT_TOTAL = 120.0  # seconds of Retry-After honoured per run; then 429/503 go to the checks
MAX_BODY_BYTES = 8 * 1024 * 1024  # bytes read of one body, on the wire and decoded (defuses gzip bombs)
RETRY_STATUSES = frozenset({429, 503})
_SIGNATURE = re.compile(r"Signature=([^,\s]+)")  # in an SDK-HMAC-SHA256 Authorization header
_ORIGINAL_SEND = HTTPAdapter.send  # requests' own, which every guarded exchange ends in
# The parameters of `HTTPAdapter.send`, as requests' stubs spell them.
Timeout: TypeAlias = float | tuple[float, float] | tuple[float, None] | None
Cert: TypeAlias = bytes | str | tuple[bytes | str, bytes | str] | None
# The recording's seam: a stand-in for the network (the request -> its answer, body unread), and a
# listener told of each exchange (the request, its answer with the body read, or why none came,
# start, seconds taken).
Wire: TypeAlias = Callable[[requests.PreparedRequest], requests.Response]
Tap: TypeAlias = Callable[
    [requests.PreparedRequest, requests.Response | TargetUnreachable, float, float], None
]


def _segments(path: str) -> list[str]:
    """A URL path as its decoded segments, without empty ones (a trailing slash, say)."""
    return [unquote(segment) for segment in path.split("/") if segment]


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def path_refused(url: str, prefix: list[str], paths: set[tuple[str, ...]] | None) -> str | None:
    """Why a request to `url` may not go out, or None: its path must be one of the operation's
    (`paths`, as decoded segments), or with `paths` None any path under the base URL's `prefix`."""
    raw = urlsplit(url).path
    segments = _segments(raw)
    allowed = segments[: len(prefix)] == prefix if paths is None else tuple(segments) in paths
    if allowed and not any(s in {".", ".."} or "/" in s or "\\" in s for s in segments):
        return None
    return f"path {raw[:200]!r} is not the operation's path under the base URL"


def resolve(base_url: str, timeout: float) -> None:
    """The host name resolved within the request timeout, or the run's use of the target ends."""
    host, port = urlsplit(base_url).hostname or "", urlsplit(base_url).port
    if not resolves_within(host, port, timeout):
        raise TargetUnreachable(
            f"the host name {host!r} did not resolve within {timeout:g} s (--request-timeout): DNS?"
        )


def late(base_url: str, timeout: float, deadline: Deadline) -> str:
    return describe_deadline(base_url, timeout, answered=not deadline.expired_unanswered)


class ShortAnswerOnce(TargetUnreachable):
    """An answer cut short of its Content-Length, whole on the retry: a fault that did not repeat."""


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
        # The seam of recorded traffic (modelarts_contract.recording): `wire` answers in the network's
        # place (a recording; nothing is sent, nothing is waited for); `tap` sees every exchange made.
        self.wire: Wire | None = None
        self.tap: Tap | None = None

    def covers(self, url: str) -> bool:
        return origin(url) == self.origin

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
        refused = path_refused(request.url or "", self._prefix, self._paths)
        if refused is not None:
            raise self.refuse(refused)
        if self._witness is not None:
            signature = _SIGNATURE.search(request.headers.get("Authorization", ""))
            if signature is not None:
                self._witness(signature.group(1))
        for attempt in range(MAX_RETRIES + 1):
            self._admit()
            response = self._whole_or_short_twice(request, transmit)
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if response.status_code not in RETRY_STATUSES or wait is None or attempt == MAX_RETRIES:
                return response
            wait = min(wait, MAX_RETRY_WAIT)
            try:
                if not self.meter.allow_wait(wait, self.limits.retry_wait_allowance):
                    return response
            except TimeSpent as exc:
                raise RunDeadlinePassed(str(exc)) from None
            if self.wire is None:  # a recorded answer needs no waiting for
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _tapped(
        self, request: requests.PreparedRequest, transmit: Callable[[], requests.Response]
    ) -> requests.Response:
        """One exchange, told to the tap (`--record`) with its answer, or with why none came."""
        started, began = time.time(), time.monotonic()
        try:
            response = self._exchange(transmit)
        except TargetUnreachable as failed:  # no answer: recorded as such, then the run stops
            if self.tap is not None:
                self.tap(request, failed, started, time.monotonic() - began)
            raise
        if self.tap is not None:
            self.tap(request, response, started, time.monotonic() - began)
        return response

    def exchange(self, transmit: Callable[[], requests.Response]) -> requests.Response:
        """One exchange within the deadline and the byte cap, and no other rule: for the IAM token
        client (credentials/iam.py), which sends the suite's one POST under rules of its own."""
        return self._exchange(transmit)

    def _whole_or_short_twice(
        self, request: requests.PreparedRequest, transmit: Callable[[], requests.Response]
    ) -> requests.Response:
        """One exchange; an answer cut short of its Content-Length is asked for once more. Short again,
        it goes to the checks (R8: the target's fault); whole the second time, the run stops (exit 6)."""
        response = self._tapped(request, transmit)
        short = getattr(response, "short_of", None)
        if short is None:
            return response
        self._admit()
        self.meter.count("retries")
        again = self._tapped(request, transmit)
        if getattr(again, "short_of", None) is None:
            raise ShortAnswerOnce(
                f"{self.base_url} broke off an answer after {short[0]} of the {short[1]} bytes of its "
                "Content-Length, then answered whole on a retry: a fault that did not repeat (the "
                "network, a proxy?), not a verdict on the target"
            )
        return again

    def _exchange(self, transmit: Callable[[], requests.Response]) -> requests.Response:
        """One request and its whole answer, within the deadline and the byte cap."""
        deadline = Deadline(self.limits.timeout, self.limits.max_body_bytes, timed=self.wire is None)
        response: requests.Response | None = None
        complete = False
        try:
            if self.wire is None:  # a recording answers: no name to resolve
                resolve(self.base_url, self.limits.timeout)
            with holding(WireWatch) as watch, watch.watching(deadline):
                response = transmit()
            deadline.answered()
            cut, short = read_body(response, deadline, self.limits.max_body_bytes)
            if cut is not None:
                self.meter.count("truncated")
            complete = cut is None and short is None and not deadline.expired
            if deadline.expired:  # a shut-down socket can look like the end of a body
                raise TargetUnreachable(late(self.base_url, self.limits.timeout, deadline))
        except TRANSPORT_ERRORS as exc:
            message = late(self.base_url, self.limits.timeout, deadline) if deadline.expired else None
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

    def _admit(self) -> None:
        """Take one request from the budget and wait for its slot in the pace."""
        try:
            wait = self.meter.admit()
        except BudgetSpent as exc:
            raise BudgetExhausted(str(exc)) from None
        except TimeSpent as exc:
            raise RunDeadlinePassed(str(exc)) from None
        if wait > 0 and self.wire is None:
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
        transmit = streamed(self, request, self.guard, timeout, verify, cert, proxies)
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


def streamed(
    adapter: HTTPAdapter,
    request: requests.PreparedRequest,
    guard: Guard,
    timeout: Timeout,
    verify: bool | str,
    cert: Cert,
    proxies: Mapping[str, str] | None,
) -> Callable[[], requests.Response]:
    """The adapter's own send, body unread (the guard reads it), never without a read timeout."""
    wire = guard.wire
    if wire is not None:
        return lambda: wire(request)
    if timeout is None:
        timeout = guard.limits.timeout
    return lambda: _ORIGINAL_SEND(adapter, request, True, timeout, verify, cert, proxies)
