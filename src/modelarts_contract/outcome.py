"""What a run (or one xdist worker of it) found: the ledger, why it stopped, response times.

Mergeable: every worker sends its own back to the controller (`as_dict`, `from_dict`), which merges
them into the run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelarts_contract.checks.core import Ledger
from modelarts_contract.config import ENVIRONMENT
from modelarts_contract.stops import LimitReached
from modelarts_contract.timings import ResponseTimes

LIMIT_OPTIONS = {
    "request-budget": f"--max-requests / {ENVIRONMENT['max_requests']}",
    "run-deadline": f"--max-duration / {ENVIRONMENT['max_duration']}",
}


@dataclass
class RunOutcome:
    """What a run (or an xdist worker) found; mergeable."""

    ledger: Ledger = field(default_factory=Ledger)
    environment: str | None = None  # why the target became unusable
    stopped_at_start: bool = False  # the preflight failed: its exit message says it all
    # A limit the user set (the request budget, the run's time limit) stopped the run: which one
    # (LimitReached.kind), its message, the test it stopped, and how many tests were not run.
    limit_kind: str | None = None
    limit: str | None = None
    limit_reached_in: str | None = None
    skipped_for_limit: int = 0
    involved: bool = False  # a target was built: the summary has something to say
    times: ResponseTimes = field(default_factory=ResponseTimes)  # every judged answer's time

    def cut_short(self) -> bool:
        """A request was refused by a limit, or a test skipped for it (a budget spent to the last
        request by a run that still ran every test is no cut)."""
        return self.limit_reached_in is not None or self.skipped_for_limit > 0

    def reached(self, stop: LimitReached, where: str) -> None:
        if self.limit is None:
            self.limit_kind, self.limit, self.limit_reached_in = stop.kind, str(stop), where

    def limit_line(self, max_requests: int) -> str:
        """What limit cut the run short, where, and how to lift it."""
        option = LIMIT_OPTIONS.get(self.limit_kind or "", LIMIT_OPTIONS["request-budget"])
        what = self.limit or f"the request budget of {max_requests} requests is spent"
        if self.stopped_at_start:
            return f"STOPPED before any test: {what}; nothing was checked (raise {option})"
        return (
            f"STOPPED: {what}, in {self.limit_reached_in or 'the run'}; {self.skipped_for_limit} "
            f"more tests not run (raise {option} to check everything)"
        )

    def merge(self, other: RunOutcome) -> None:
        self.ledger.merge(other.ledger)
        self.environment = self.environment or other.environment
        self.stopped_at_start = self.stopped_at_start or other.stopped_at_start
        if self.limit is None:
            self.limit_kind, self.limit = other.limit_kind, other.limit
            self.limit_reached_in = other.limit_reached_in
        self.skipped_for_limit += other.skipped_for_limit
        self.involved = self.involved or other.involved
        self.times.merge(other.times)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger.as_dict(),
            "environment": self.environment,
            "stopped_at_start": self.stopped_at_start,
            "limit_kind": self.limit_kind,
            "limit": self.limit,
            "limit_reached_in": self.limit_reached_in,
            "skipped_for_limit": self.skipped_for_limit,
            "involved": self.involved,
            "times": self.times.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOutcome:
        ledger = Ledger()
        ledger.merge(data["ledger"])
        return cls(
            ledger=ledger,
            environment=data["environment"],
            stopped_at_start=data["stopped_at_start"],
            limit_kind=data["limit_kind"],
            limit=data["limit"],
            limit_reached_in=data["limit_reached_in"],
            skipped_for_limit=data["skipped_for_limit"],
            involved=data["involved"],
            times=ResponseTimes.from_dict(data["times"]),
        )
