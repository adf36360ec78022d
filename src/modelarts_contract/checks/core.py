"""What every check shares: the exchange it reads, the violation it raises, the ledger it writes."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, ParamSpec
from urllib.parse import parse_qs, urlsplit

import requests

from modelarts_contract.checks.registry import Check, Entry, ExchangeCheck
from modelarts_contract.contract import Clause, Contract
from modelarts_contract.ledger_file import stamp
from modelarts_contract.neutral import neutral
from modelarts_contract.outputs import write_atomically
from modelarts_contract.redact import Redactor
from modelarts_contract.sources import SourceError, render_source
from modelarts_contract.stops import AnswerTooLarge
from modelarts_contract.timings import SLO_CLAUSE, SLO_OPTION, ResponseTimes

NOT_JSON = object()
P = ParamSpec("P")


@dataclass
class Exchange:
    """One request as sent on the wire and the response to it."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    status: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes
    command: Callable[[], str]  # writes `reproduce`
    truncated_at: int | None = None  # the body was larger than the transport reads: cut here
    elapsed: float | None = None  # seconds from the send to the body's last byte, the suite's waits off
    short_of: tuple[int, int] | None = None  # (received, Content-Length): cut short twice by the target

    @classmethod
    def from_prepared(
        cls,
        request: requests.PreparedRequest,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        redactor: Redactor,
        elapsed: float | None = None,
    ) -> Exchange:
        sent = dict(request.headers)
        return cls(
            method=request.method or "GET",
            url=request.url or "",
            request_headers=sent,
            status=status,
            headers=requests.structures.CaseInsensitiveDict(headers),
            content=content,
            command=partial(redactor.curl, request.url or "", sent),
            truncated_at=getattr(request, "truncated_at", None),  # the transport marks the request
            elapsed=elapsed,
            short_of=getattr(request, "short_of", None),
        )

    @classmethod
    def from_response(cls, response: requests.Response, redactor: Redactor) -> Exchange:
        return cls.from_prepared(
            response.request,
            response.status_code,
            response.headers,
            response.content,
            redactor,
            elapsed=response.elapsed.total_seconds(),
        )

    @cached_property
    def reproduce(self) -> str:
        """The request as a runnable, redacted command: written when first read, as only a failure
        or the slowest answer shows one (not for each of a run's hundreds of exchanges)."""
        return self.command()

    @cached_property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        """The single wire value of a query parameter; None when absent (or repeated)."""
        values = self.query.get(name)
        return values[0] if values and len(values) == 1 else None

    @cached_property
    def body(self) -> Any:
        """The parsed JSON body, or NOT_JSON: also for a cut body, a nesting deeper than the parser
        recurses (RecursionError) and an integer longer than Python converts (ValueError)."""
        if self.truncated_at is not None or self.short_of is not None:
            return NOT_JSON
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return NOT_JSON


def hashable(value: Any) -> Any:
    """A JSON value as part of a key: a hostile body may put lists or objects where strings belong."""
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


def page_items(contract: Contract, ex: Exchange) -> list[dict[str, Any]]:
    """The groups of a 200 (the spec's x-paging names the field); [] for anything else."""
    body = ex.body if ex.status == 200 else None
    data = body.get(contract.paging.items) if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


class ClauseViolation(AssertionError):
    def __init__(
        self, clause: Clause, expected: str, actual: str, exchange: Exchange | None, redactor: Redactor
    ) -> None:
        self.clause = clause
        # What the target sent is in these texts: neutralised once here, for every output.
        self.expected = neutral(redactor.text(expected))
        self.actual = neutral(redactor.text(actual))
        self.reproduce = exchange.reproduce if exchange else ""
        # How simple its request is (fewest, then shortest parameters): summaries show the simplest.
        pairs = [f"{k}={v}" for k, values in (exchange.query if exchange else {}).items() for v in values]
        self.rank = (len(pairs), sum(map(len, pairs)))
        lines = [
            f"[{clause.id}] {clause.text}",
            f"  source:   {describe_source(clause.source)}",
        ]
        if self.reproduce:
            lines.append(f"  request:  {self.reproduce}")
        lines += [f"  expected: {self.expected}", f"  actual:   {self.actual}"]
        super().__init__("\n".join(lines))


class Violations(AssertionError):
    """The clauses one check (or one relation) found broken, each reported on its own, with notes
    such as how many more responses broke the same clause."""

    def __init__(self, violations: list[ClauseViolation], notes: dict[str, str] | None = None) -> None:
        self.violations = violations
        self.notes = notes or {}  # clause id -> a line to print under its violation
        super().__init__("\n\n".join(self.text(v) for v in violations))

    def text(self, violation: ClauseViolation) -> str:
        note = self.notes.get(violation.clause.id)
        return f"{violation}\n  {note}" if note else str(violation)


def describe_source(source: str) -> str:
    """The source with the place each reference leads to, e.g. "R9 (docs/contract.md#r9)"."""
    try:
        return render_source(source)
    except SourceError:  # a source a user wrote into their own copy of the spec: shown as written
        return source


class DataChanged(RuntimeError):
    """The target's data changed under a multi-request check twice in a row: no verdict possible."""

    def __init__(self, clause: Clause, detail: str) -> None:
        self.clause = clause
        super().__init__(f"[{clause.id}] data changed during the check: {detail}")


@dataclass
class ClauseRecord:
    exercised: int = 0
    broken: int = 0
    data_changed: int = 0
    first_failure: dict[str, str] | None = None
    simplest_failure: dict[str, Any] | None = None  # the failure whose request has the fewest parameters
    tests: set[str] = field(default_factory=set)  # the tests that exercised the clause
    broken_by: Counter[str] = field(default_factory=Counter)  # test -> how many times it found it broken


def _simpler(mine: dict[str, Any] | None, theirs: dict[str, Any] | None) -> dict[str, Any] | None:
    """The failure with the simpler request; the earlier one on a tie."""
    if mine is None or (theirs is not None and theirs["rank"] < mine["rank"]):
        return theirs
    return mine


@dataclass
class Ledger:
    """Per clause: how many checks exercised it, how many found it broken, the first failure, and
    which tests exercised it. One per run (the plugin keeps it in the pytest session)."""

    records: dict[str, ClauseRecord] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, clause_id: str) -> ClauseRecord:
        return self.records.setdefault(clause_id, ClauseRecord())

    def exercised(self, clause_id: str, test: str | None = None) -> None:
        with self._lock:
            record = self._record(clause_id)
            record.exercised += 1
            if test:
                record.tests.add(test)

    def broken(self, violation: ClauseViolation, test: str | None = None) -> None:
        with self._lock:
            record = self._record(violation.clause.id)
            record.broken += 1
            record.broken_by[test or ""] += 1
            failure = {
                "request": violation.reproduce,
                "expected": violation.expected,
                "actual": violation.actual,
            }
            if record.first_failure is None:
                record.first_failure = failure
            record.simplest_failure = _simpler(
                record.simplest_failure, {**failure, "rank": list(violation.rank)}
            )

    def changed(self, clause_id: str) -> None:
        with self._lock:
            self._record(clause_id).data_changed += 1

    def merge(self, other: Ledger | Mapping[str, Mapping[str, Any]]) -> None:
        """Add another ledger's counts (a buffered attempt, or an xdist worker's `as_dict`)."""
        theirs_all = other.as_dict() if isinstance(other, Ledger) else other
        with self._lock:
            for clause_id, theirs in theirs_all.items():
                mine = self._record(clause_id)
                mine.exercised += theirs["exercised"]
                mine.broken += theirs["broken"]
                mine.data_changed += theirs["data_changed"]
                mine.first_failure = mine.first_failure or theirs["first_failure"]
                mine.simplest_failure = _simpler(mine.simplest_failure, theirs.get("simplest_failure"))
                mine.tests.update(theirs.get("tests", ()))
                mine.broken_by.update(theirs.get("broken_by", {}))

    def as_dict(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {
                cid: {**vars(rec), "tests": sorted(rec.tests), "broken_by": dict(rec.broken_by)}
                for cid, rec in sorted(self.records.items())
            }

    def broken_clauses(self) -> list[str]:
        with self._lock:
            return sorted(cid for cid, rec in self.records.items() if rec.broken)

    def dump(self, path: Path, **extra: Any) -> None:
        write_atomically(path, json.dumps({**stamp(), "clauses": self.as_dict(), **extra}, indent=2))


class UndeclaredClause(RuntimeError):
    """A check gave a verdict on a clause it did not declare: a bug in the suite, not in the target."""


class Verifier:
    """Runs registered checks on exchanges, writing every verdict to the run's ledger."""

    def __init__(
        self,
        contract: Contract,
        redactor: Redactor,
        book: Ledger,
        *,
        strict: bool = False,
        times: ResponseTimes | None = None,
    ) -> None:
        self.contract = contract
        self.times = times or ResponseTimes()  # every judged exchange's response time
        self.redactor = redactor
        self.ledger = book
        self.strict = strict  # report undocumented fields (R8 allows them by default)
        self.current_test: str | None = None  # set by the plugin: the ledger notes who exercised what
        self._judging: list[Entry] = []

    @contextmanager
    def judging(self, entry: Entry) -> Iterator[None]:
        """Verdicts inside belong to `entry` and may only concern the clauses it declares."""
        self._judging.append(entry)
        try:
            yield
        finally:
            self._judging.pop()

    def expect(
        self, clause_id: str, ok: bool, expected: str, actual: str, exchange: Exchange | None = None
    ) -> None:
        if not self._judging or clause_id not in self._judging[-1].clauses:
            who = self._judging[-1].name if self._judging else "code outside any registered check"
            raise UndeclaredClause(f"{who} gave a verdict on {clause_id}, which it does not declare")
        self.ledger.exercised(clause_id, self.current_test)
        if not ok:
            violation = ClauseViolation(
                self.contract.clause(clause_id), expected, actual, exchange, self.redactor
            )
            self.ledger.broken(violation, self.current_test)
            raise violation

    def holds(self, ok: bool, expected: str, actual: str, exchange: Exchange | None = None) -> None:
        """`expect` on the one clause the running check declares (its declaration names it once)."""
        declared = self._judging[-1].clauses if self._judging else ()
        if len(declared) != 1:
            who = self._judging[-1].name if self._judging else "code outside any registered check"
            raise UndeclaredClause(f"{who} gave a verdict without naming which of {declared} it concerns")
        self.expect(declared[0], ok, expected, actual, exchange)

    @contextmanager
    def buffered(self) -> Iterator[Ledger]:
        """Verdicts inside go to a fresh ledger, for the caller to merge or drop."""
        real, self.ledger = self.ledger, Ledger()
        try:
            yield self.ledger
        finally:
            self.ledger = real

    def run(self, entry: Check[P], /, *args: P.args, **kwargs: P.kwargs) -> None:
        with self.judging(entry):
            entry(self, *args, **kwargs)

    def run_all(self, checks: Iterable[ExchangeCheck], exchange: Exchange) -> None:
        """Run every check, so each broken clause is counted, then fail with all of them (and with
        the user's response-time objective, when the answer was slower)."""
        failures: list[ClauseViolation] = []
        seconds = self.times.record(exchange.elapsed, exchange.status, lambda: exchange.reproduce)
        for entry in checks:
            try:
                self.run(entry, exchange)
            except ClauseViolation as violation:
                failures.append(violation)
        if seconds is not None and self.times.too_slow(seconds):
            failures.append(self._too_slow(seconds, exchange))
        if failures:
            raise Violations(failures)
        if exchange.truncated_at is not None:  # nothing broken in what was read, and the rest unread
            raise AnswerTooLarge(
                f"{exchange.method} answered {exchange.status} with a body larger than "
                f"{exchange.truncated_at} bytes, the most the suite reads (--max-response-bytes, "
                f"MODELARTS_MAX_RESPONSE_BYTES): not read past that, so not judged; request: "
                f"{exchange.reproduce}"
            )

    def _too_slow(self, seconds: float, exchange: Exchange) -> ClauseViolation:
        expected = f"an answer within {self.times.limit:g} s ({SLO_OPTION})"
        return ClauseViolation(SLO_CLAUSE, expected, f"answered in {seconds:.3f} s", exchange, self.redactor)
