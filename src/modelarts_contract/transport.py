"""The only way out to the target (R15, R16).

A `Guard` holds the rules for the target's origin and applies them below `requests.Session`, at
the adapter, where every request of `requests` passes:
- GET only; any other method is refused before it leaves the process;
- a request budget and a pace (requests per second), shared by every request to the target;
- 429 and 503 with Retry-After are waited out and re-sent a bounded number of times;
- a connection, DNS, TLS or timeout failure ends the run's use of the target (`TargetUnreachable`).

`GuardedSession` (the suite's session, which carries the credentials) also refuses any other
origin, so credentials go nowhere else, and never follows a redirect: a 3xx comes back to the
checks as a contract failure. `fence` extends the guard to every other session in the process,
because schemathesis sends some probes (ignored_auth, auth inference) on fresh sessions of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from modelarts_contract.environment import describe_unreachable

MAX_RETRIES = 3
MAX_RETRY_WAIT = 60.0  # seconds; a longer Retry-After is capped so a run stays bounded
RETRY_STATUSES = frozenset({429, 503})
_ORIGINAL_SEND = HTTPAdapter.send


class TransportRefused(RuntimeError):
    """The transport refused to send a request that would break R16."""


class SuiteStop(BaseException):
    """Ends the run's use of the target.

    A BaseException so that no `except Exception` swallows it and hypothesis re-raises it at once
    instead of shrinking (which would mean more requests, or more timeouts).
    """


class BudgetExhausted(SuiteStop):
    """The request budget (--max-requests) is spent."""


class TargetUnreachable(SuiteStop):
    """The target cannot be reached: connection refused, DNS, TLS or a timeout."""


@dataclass
class TransportStats:
    sent: int = 0
    retries: int = 0
    waited: float = 0.0  # seconds spent honouring Retry-After
    paced: float = 0.0  # seconds spent keeping to the rate limit
    refused: int = 0


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class Guard:
    """The rules for one origin; one instance per run, shared by every path to the target."""

    def __init__(
        self,
        base_url: str,
        *,
        max_requests: int,
        rate_per_second: float | None = None,
        timeout: float = 10.0,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = origin(self.base_url)
        self.max_requests = max_requests
        self.timeout = timeout
        self.stats = TransportStats()
        self._interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._next_slot: float | None = None
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        return max(0, self.max_requests - self.stats.sent)

    def covers(self, url: str) -> bool:
        return origin(url) == self.origin

    def refuse(self, reason: str) -> TransportRefused:
        with self._lock:
            self.stats.refused += 1
        return TransportRefused(f"refused to send a request: {reason}")

    def send(
        self, request: requests.PreparedRequest, transmit: Callable[[], requests.Response]
    ) -> requests.Response:
        if (request.method or "").upper() != "GET":
            raise self.refuse(f"method {request.method} (the suite is read-only: GET only)")
        for attempt in range(MAX_RETRIES + 1):
            self._admit()
            try:
                response = transmit()
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                # from None: the chain holds urllib3 frames whose arguments include the headers
                raise TargetUnreachable(describe_unreachable(exc, self.base_url, self.timeout)) from None
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if response.status_code not in RETRY_STATUSES or wait is None or attempt == MAX_RETRIES:
                return response
            response.close()
            wait = min(wait, MAX_RETRY_WAIT)
            with self._lock:
                self.stats.retries += 1
                self.stats.waited += wait
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _admit(self) -> None:
        """Take one request from the budget and wait for its slot in the pace."""
        with self._lock:
            if self.stats.sent >= self.max_requests:
                raise BudgetExhausted(f"the request budget of {self.max_requests} requests is spent")
            self.stats.sent += 1
            now = self._clock()
            slot = now if self._next_slot is None else max(now, self._next_slot)
            self._next_slot = slot + self._interval
            if slot > now:
                self.stats.paced += slot - now
        if slot > now:
            self._sleep(slot - now)


class GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return self.guard.send(request, lambda: _ORIGINAL_SEND(self, request, **kwargs))


class GuardedSession(requests.Session):
    """The suite's session: the configured origin only, no redirects, TLS verified, guarded."""

    def __init__(
        self,
        base_url: str,
        *,
        max_requests: int,
        rate_per_second: float | None = None,
        timeout: float = 10.0,
        verify: bool | str = True,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.trust_env = False  # no proxies or .netrc credentials from the environment
        # Redirects are never followed (allow_redirects=False in send); max_redirects stays at its
        # default because requests raises TooManyRedirects on any 3xx when it is 0.
        self.base_url = base_url.rstrip("/")
        pace = {"rate_per_second": rate_per_second, "sleep": sleep, "clock": clock}
        self.guard = Guard(base_url, max_requests=max_requests, timeout=timeout, **pace)
        self._timeout = timeout
        self._verify = verify
        for prefix in ("http://", "https://"):
            self.mount(prefix, GuardedAdapter(self.guard))

    @property
    def stats(self) -> TransportStats:
        return self.guard.stats

    @property
    def max_requests(self) -> int:
        return self.guard.max_requests

    @property
    def remaining(self) -> int:
        return self.guard.remaining

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not self.guard.covers(request.url or ""):
            host = urlsplit(request.url or "").netloc
            raise self.guard.refuse(f"a host other than the configured one ({host})")
        kwargs["allow_redirects"] = False
        kwargs["verify"] = self._verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


_fenced: list[Guard] = []
_fence_lock = threading.Lock()


def _fenced_send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
    guard = next((g for g in list(_fenced) if g.covers(request.url or "")), None)
    if guard is None:
        return _ORIGINAL_SEND(adapter, request, **kwargs)
    return guard.send(request, lambda: _ORIGINAL_SEND(adapter, request, **kwargs))


@contextmanager
def fence(guard: Guard) -> Iterator[Guard]:
    """While open, every `requests` adapter in the process obeys `guard` for the guard's origin.

    Other origins are untouched. `GuardedAdapter` keeps its own path, so nothing is counted twice.
    """
    with _fence_lock:
        _fenced.append(guard)
        HTTPAdapter.send = _fenced_send  # type: ignore[method-assign]
    try:
        yield guard
    finally:
        with _fence_lock:
            _fenced.remove(guard)
            if not _fenced:
                HTTPAdapter.send = _ORIGINAL_SEND  # type: ignore[method-assign]
