"""The only way out to the target (R15, R16).

Every request of the suite, schemathesis's included, goes through `GuardedSession.send`, the lowest
level of `requests`, so no code path can bypass these rules:
- GET only; any other method is refused before it leaves the process;
- only to the configured origin (scheme, host, port), so credentials go nowhere else;
- no redirect is ever followed (a 3xx comes back to the checks as a contract failure);
- a request budget and a pace (requests per second);
- 429 and 503 with Retry-After are waited out and re-sent a bounded number of times.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

MAX_RETRIES = 3
MAX_RETRY_WAIT = 60.0  # seconds; a longer Retry-After is capped so a run stays bounded
RETRY_STATUSES = frozenset({429, 503})


class TransportRefused(RuntimeError):
    """The transport refused to send a request that would break R16."""


class BudgetExhausted(RuntimeError):
    """The request budget (--max-requests) is spent."""


@dataclass
class TransportStats:
    sent: int = 0
    retries: int = 0
    waited: float = 0.0
    refused: int = 0


def _origin(url: str) -> tuple[str, str, int | None]:
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


class GuardedSession(requests.Session):
    def __init__(
        self,
        base_url: str,
        *,
        max_requests: int,
        rate_per_second: float | None = None,
        timeout: float = 10.0,
        verify: bool | str = True,
        sleep: Any = time.sleep,
    ) -> None:
        super().__init__()
        self.trust_env = False  # no proxies or .netrc credentials from the environment
        self.max_redirects = 0
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self.max_requests = max_requests
        self.stats = TransportStats()
        self._interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._next_slot = 0.0
        self._timeout = timeout
        self._verify = verify
        self._sleep = sleep
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        return max(0, self.max_requests - self.stats.sent)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self._refuse_unsafe(request)
        kwargs["allow_redirects"] = False
        kwargs["verify"] = self._verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        for attempt in range(MAX_RETRIES + 1):
            self._take_budget_and_pace()
            response = super().send(request, **kwargs)
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

    def _refuse_unsafe(self, request: requests.PreparedRequest) -> None:
        reason = None
        if (request.method or "").upper() != "GET":
            reason = f"method {request.method} (the suite is read-only: GET only)"
        elif _origin(request.url or "") != self._origin:
            reason = f"a host other than the configured one ({urlsplit(request.url or '').netloc})"
        if reason:
            with self._lock:
                self.stats.refused += 1
            raise TransportRefused(f"refused to send a request: {reason}")

    def _take_budget_and_pace(self) -> None:
        with self._lock:
            if self.stats.sent >= self.max_requests:
                raise BudgetExhausted(f"the request budget of {self.max_requests} requests is spent")
            self.stats.sent += 1
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        if slot > now:
            self._sleep(slot - now)
