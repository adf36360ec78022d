"""The run's request budget, time limit, pace and transport figures: one meter per run, whatever sends.

`Meter` lives in one process. `SharedMeter` keeps the same state in a small file, locked with
flock, so that pytest-xdist workers share ONE budget and ONE pace: the promise to the owners of a
shared staging service holds however many workers a user starts. Pace slots and the run's end use
the monotonic clock, which on Linux is the same for every process of the machine.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class LimitSpent(Exception):
    """A limit of the run is reached: no request may be sent (the transport stops the run)."""


class BudgetSpent(LimitSpent):
    """No request left in the budget (the transport turns it into BudgetExhausted)."""


class TimeSpent(LimitSpent):
    """The run's time limit has passed, or would pass before the next request could go out."""


def describe_duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def family_of(nodeid: str) -> str:
    """The check family a test's requests are counted under: the test's name in its file
    ("test_relation[record-offsets]", "test_generated_request[GET /v1/...]")."""
    return nodeid.rsplit("::", 1)[-1]


@dataclass
class TransportStats:
    sent: int = 0
    retries: int = 0
    waited: float = 0.0  # seconds spent honouring Retry-After
    paced: float = 0.0  # seconds spent keeping to the rate limit
    refused: int = 0
    not_waited: int = 0  # 429/503 with Retry-After handed to the checks: the run's wait allowance was spent
    truncated: int = 0  # bodies larger than the byte cap, read up to the cap only
    # Requests per check family (the test that sent them): what each family costs the target.
    families: dict[str, int] = field(default_factory=dict)


@dataclass
class _State:
    stats: TransportStats
    next_slot: float | None = None
    ended: str | None = None  # why no request may go out any more, once a limit has said so
    held_until: float | None = None  # the end of the latest pace wait: workers' waits overlap


class Meter:
    """Budget and pace for the requests of one process."""

    def __init__(
        self,
        max_requests: int,
        rate_per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_duration: float | None = None,
        ends_at: float | None = None,
    ) -> None:
        self.max_requests = max_requests
        self.interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._clock = clock
        self.max_duration = max_duration
        # On the clock: when no request may start any more (--max-duration after the meter is made).
        self.ends_at = ends_at if ends_at is not None or max_duration is None else clock() + max_duration
        self._lock = threading.Lock()
        self._state = _State(TransportStats())
        self.family = "preflight"  # who sends now: set per test by the run (process-local)

    @contextmanager
    def _transaction(self) -> Iterator[_State]:
        with self._lock:
            yield self._state

    def _time_spent(self, state: _State, waiting: str = "") -> TimeSpent:
        """The stop, remembered in the state: every later request (any worker's) ends there too."""
        limit = describe_duration(self.max_duration or 0.0)
        state.ended = f"the run's time limit of {limit} (--max-duration) is reached{waiting}"
        return TimeSpent(state.ended)

    def admit(self) -> float:
        """Take one request from the budget; the seconds to wait for its slot in the pace."""
        with self._transaction() as state:
            if state.ended is not None:
                raise TimeSpent(state.ended)
            now = self._clock()
            slot = now if state.next_slot is None else max(now, state.next_slot)
            if self.ends_at is not None and slot >= self.ends_at:
                waiting = f" (the pace would hold the next request {slot - now:.1f} s)" if slot > now else ""
                raise self._time_spent(state, waiting)
            if state.stats.sent >= self.max_requests:
                raise BudgetSpent(f"the request budget of {self.max_requests} requests is spent")
            state.stats.sent += 1
            state.stats.families[self.family] = state.stats.families.get(self.family, 0) + 1
            state.next_slot = slot + self.interval
            # The run's pace wait, not the workers' waits summed: only the part no wait covers yet.
            state.stats.paced += max(0.0, slot - max(now, state.held_until or now))
            state.held_until = max(slot, state.held_until or slot)
            return slot - now

    def allow_wait(self, seconds: float, allowance: float) -> bool:
        """Count a Retry-After wait, unless it would take the run past its wait allowance (False) or
        past its time limit (TimeSpent: the run ends rather than sleep through its own end)."""
        with self._transaction() as state:
            if self.ends_at is not None and self._clock() + seconds >= self.ends_at:
                raise self._time_spent(state, f" (the target asked to wait {seconds:g} s: Retry-After)")
            if state.stats.waited + seconds > allowance:
                state.stats.not_waited += 1
                return False
            state.stats.retries += 1
            state.stats.waited += seconds
            return True

    def count(self, name: str) -> None:
        """One more of `refused` or `truncated`."""
        with self._transaction() as state:
            setattr(state.stats, name, getattr(state.stats, name) + 1)

    @property
    def stats(self) -> TransportStats:
        with self._transaction() as state:
            return dataclasses.replace(state.stats, families=dict(state.stats.families))

    def out_of_time(self) -> bool:
        if self.ends_at is not None and self._clock() >= self.ends_at:
            return True
        with self._transaction() as state:
            return state.ended is not None

    @property
    def remaining(self) -> int:
        return max(0, self.max_requests - self.stats.sent)


class SharedMeter(Meter):
    """A meter whose state is a file: every process that opens the same path shares it."""

    def __init__(
        self,
        path: str | Path,
        max_requests: int,
        rate_per_second: float | None = None,
        *,
        max_duration: float | None = None,
        ends_at: float | None = None,
    ) -> None:
        super().__init__(max_requests, rate_per_second, max_duration=max_duration, ends_at=ends_at)
        self.path = Path(path)
        with open(self.path, "a", encoding="utf-8"):
            pass  # created empty by the first process; an empty file is the initial state

    @classmethod
    def create(
        cls,
        directory: str | Path,
        max_requests: int,
        rate_per_second: float | None,
        max_duration: float | None = None,
        ends_at: float | None = None,
    ) -> SharedMeter:
        return cls(
            Path(directory) / "meter.json",
            max_requests,
            rate_per_second,
            max_duration=max_duration,
            ends_at=ends_at,
        )

    def describe(self) -> dict[str, Any]:
        """What another process needs to open the same meter."""
        return {
            "path": str(self.path),
            "max_requests": self.max_requests,
            "rate_per_second": 1.0 / self.interval if self.interval else None,
            "max_duration": self.max_duration,
            "ends_at": self.ends_at,  # the monotonic clock is the machine's: every worker ends together
        }

    @classmethod
    def open(cls, description: dict[str, Any]) -> SharedMeter:
        return cls(
            description["path"],
            description["max_requests"],
            description["rate_per_second"],
            max_duration=description["max_duration"],
            ends_at=description["ends_at"],
        )

    @contextmanager
    def _transaction(self) -> Iterator[_State]:
        with self._lock, open(self.path, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                text = handle.read()
                data = json.loads(text) if text else {"stats": {}, "next_slot": None, "ended": None}
                state = _State(
                    TransportStats(**data["stats"]), data["next_slot"], data["ended"], data.get("held_until")
                )
                yield state
                handle.seek(0)
                handle.truncate()
                handle.write(
                    json.dumps({**dataclasses.asdict(state), "stats": dataclasses.asdict(state.stats)})
                )
                handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Only one process at a time in the block (for work done once per run, such as the preflight)."""
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
