"""Response times of a run: every judged exchange's, their p50, p95 and max, and the slowest request.

A time is the answer's, not the suite's. `requests` measures `elapsed` around the adapter, where the
guard also waits (the pace, Retry-After) and reads the whole body: so the guard sleeps through
`sleep` here, and the session's response hook (`answered`) takes what it slept during that exchange
off its `elapsed`, before anyone (schemathesis included) reads it. `--max-response-time` makes an answer
slower than the user's service-level objective a failure of its own clause, `SLO.response-time`:
not a clause of the contract (it is in no x-clauses and no conformance figure).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import requests

from modelarts_contract.contract import Clause
from modelarts_contract.neutral import neutral

SLO_ID = "SLO.response-time"
SLO_OPTION = "--max-response-time"
SLO_CLAUSE = Clause(
    id=SLO_ID,
    text="Every answer arrives within the time the user's service-level objective sets "
    f"({SLO_OPTION}); the contract itself sets no time.",
    source=f"{SLO_OPTION} (the user's objective, not the contract)",
)
REQUEST_LIMIT = 500  # characters of the slowest request kept


class ResponseTimeError(ValueError):
    """--max-response-time is not a positive number of seconds."""


def parse_limit(text: str | None) -> float | None:
    """`--max-response-time SECONDS`: None when not given; ResponseTimeError when not a number > 0."""
    if text is None or not text.strip():
        return None
    try:
        seconds = float(text.strip().removesuffix("s"))
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ResponseTimeError(
            f"{SLO_OPTION}: expected a number of seconds > 0, e.g. 2 or 0.5, got {text!r}"
        )
    return seconds


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class ResponseTimes:
    """The times of a run (or an xdist worker); mergeable."""

    limit: float | None = None  # --max-response-time
    samples: list[float] = field(default_factory=list)
    slowest: dict[str, Any] | None = None  # {"seconds", "status", "request"}, the request redacted
    over: int = 0  # answers slower than the limit
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _slept: threading.local = field(default_factory=threading.local, repr=False)

    def sleep(self, seconds: float) -> None:
        """The guard's sleep (pace, Retry-After): counted, to be taken off the answer's time."""
        time.sleep(seconds)
        self._slept.total = getattr(self._slept, "total", 0.0) + seconds

    def answered(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """The session's response hook: what the guard slept during this exchange comes off its
        `elapsed` (requests sets it just before the hook runs)."""
        slept, self._slept.total = getattr(self._slept, "total", 0.0), 0.0
        if slept:
            response.elapsed = max(response.elapsed - timedelta(seconds=slept), timedelta(0))

    def record(self, elapsed: float | None, status: int, request: str | Callable[[], str]) -> float | None:
        """The answer's time (seconds), recorded; None when the exchange carries none. The request
        may come as the function that writes it: called only when this answer is the slowest yet."""
        if elapsed is None or not math.isfinite(elapsed) or elapsed < 0:
            return None
        seconds = elapsed
        with self._lock:
            self.samples.append(seconds)
            if self.slowest is None or seconds > self.slowest["seconds"]:
                text = request if isinstance(request, str) else request()
                self.slowest = {"seconds": seconds, "status": status, "request": text}
            if self.too_slow(seconds):
                self.over += 1
        return seconds

    def too_slow(self, seconds: float | None) -> bool:
        return self.limit is not None and seconds is not None and seconds > self.limit

    def merge(self, other: ResponseTimes) -> None:
        with self._lock:
            self.samples.extend(other.samples)
            self.over += other.over
            if other.slowest and (self.slowest is None or other.slowest["seconds"] > self.slowest["seconds"]):
                self.slowest = other.slowest

    def as_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "samples": self.samples, "slowest": self.slowest, "over": self.over}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResponseTimes:
        return cls(data["limit"], list(data["samples"]), data["slowest"], data["over"])

    def record_for_ledger(self) -> dict[str, Any]:
        """The ledger's "timings" (count, p50, p95, max in seconds, the slowest request) and "slo"."""
        out: dict[str, Any] = {}
        if self.samples:
            ordered = sorted(self.samples)
            slowest = self.slowest or {}
            out["timings"] = {
                "count": len(ordered),
                "p50": round(percentile(ordered, 0.50), 4),
                "p95": round(percentile(ordered, 0.95), 4),
                "max": round(ordered[-1], 4),
                "slowest": {
                    "seconds": round(float(slowest.get("seconds", ordered[-1])), 4),
                    "status": slowest.get("status"),
                    "request": neutral(str(slowest.get("request", "")))[:REQUEST_LIMIT],
                },
            }
        if self.limit is not None:
            out["slo"] = {SLO_ID: {"limit": self.limit, "checked": len(self.samples), "over": self.over}}
        return out


def timing_lines(ledger: dict[str, Any]) -> list[str]:
    """The terminal's lines on response times, from the ledger's records (none: nothing to say)."""
    timings, slo = ledger.get("timings"), (ledger.get("slo") or {}).get(SLO_ID)
    lines = []
    if isinstance(timings, dict):
        slowest = timings.get("slowest") or {}
        lines += [
            f"response times: {timings['count']} answers, p50 {timings['p50']:.3f} s, "
            f"p95 {timings['p95']:.3f} s, max {timings['max']:.3f} s",
            f"  slowest: {neutral(str(slowest.get('request', '')))} "
            f"(answered {slowest.get('status')} in {timings['max']:.3f} s)",
        ]
    if isinstance(slo, dict):
        word = "BROKEN" if slo["over"] else "held"
        lines.append(
            f"SLO {word} [{SLO_ID}] (your objective, not the contract's): {slo['over']} of "
            f"{slo['checked']} answers slower than {slo['limit']:g} s ({SLO_OPTION})"
        )
    return lines
