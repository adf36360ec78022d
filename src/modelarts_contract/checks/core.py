"""What every check shares: the exchange it reads, the violation it raises, the ledger it writes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from modelarts_contract.redact import Redactor
from modelarts_contract.spec import Clause, Contract

NOT_JSON = object()


@dataclass
class Exchange:
    """One request as sent on the wire and the response to it."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    status: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes
    reproduce: str  # a runnable, redacted command
    truncated_at: int | None = None  # the body was larger than the transport reads: cut here

    @classmethod
    def from_prepared(
        cls,
        request: requests.PreparedRequest,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        redactor: Redactor,
    ) -> Exchange:
        sent = dict(request.headers)
        return cls(
            method=request.method or "GET",
            url=request.url or "",
            request_headers=sent,
            status=status,
            headers=requests.structures.CaseInsensitiveDict(headers),
            content=content,
            reproduce=redactor.curl(request.url or "", sent),
            truncated_at=getattr(request, "truncated_at", None),  # the transport marks the request
        )

    @classmethod
    def from_response(cls, response: requests.Response, redactor: Redactor) -> Exchange:
        return cls.from_prepared(
            response.request, response.status_code, response.headers, response.content, redactor
        )

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
        if self.truncated_at is not None:
            return NOT_JSON
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return NOT_JSON


def page_items(contract: Contract, ex: Exchange) -> list[dict]:
    """The groups of a 200 (the spec's x-paging names the field); [] for anything else."""
    body = ex.body if ex.status == 200 else None
    data = body.get(contract.paging["items"]) if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


class ClauseViolation(AssertionError):
    def __init__(
        self, clause: Clause, expected: str, actual: str, exchange: Exchange | None, redactor: Redactor
    ) -> None:
        self.clause = clause
        self.expected = redactor.text(expected)
        self.actual = redactor.text(actual)
        self.reproduce = exchange.reproduce if exchange else ""
        lines = [
            f"[{clause.id}] {clause.text}",
            f"  source:   {clause.source}",
        ]
        if self.reproduce:
            lines.append(f"  request:  {self.reproduce}")
        lines += [f"  expected: {self.expected}", f"  actual:   {self.actual}"]
        super().__init__("\n".join(lines))


class Violations(AssertionError):
    """Every clause one exchange broke, each reported on its own."""

    def __init__(self, violations: list[ClauseViolation]) -> None:
        self.violations = violations
        super().__init__("\n\n".join(str(v) for v in violations))


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


@dataclass
class Ledger:
    """Per clause: how many checks exercised it, how many found it broken, the first failure."""

    records: dict[str, ClauseRecord] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, clause_id: str) -> ClauseRecord:
        return self.records.setdefault(clause_id, ClauseRecord())

    def exercised(self, clause_id: str) -> None:
        with self._lock:
            self._record(clause_id).exercised += 1

    def broken(self, violation: ClauseViolation) -> None:
        with self._lock:
            record = self._record(violation.clause.id)
            record.broken += 1
            if record.first_failure is None:
                record.first_failure = {
                    "request": violation.reproduce,
                    "expected": violation.expected,
                    "actual": violation.actual,
                }

    def changed(self, clause_id: str) -> None:
        with self._lock:
            self._record(clause_id).data_changed += 1

    def merge(self, other: Ledger) -> None:
        for clause_id, theirs in other.as_dict().items():
            with self._lock:
                mine = self._record(clause_id)
                mine.exercised += theirs["exercised"]
                mine.broken += theirs["broken"]
                mine.data_changed += theirs["data_changed"]
                mine.first_failure = mine.first_failure or theirs["first_failure"]

    def as_dict(self) -> dict[str, dict]:
        with self._lock:
            return {cid: vars(rec).copy() for cid, rec in sorted(self.records.items())}

    def dump(self, path: Path, **extra: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"clauses": self.as_dict(), **extra}, indent=2), encoding="utf-8")


ledger = Ledger()


class Verifier:
    """Runs checks on an exchange, writing every verdict to the ledger."""

    def __init__(
        self, contract: Contract, redactor: Redactor, book: Ledger = ledger, *, strict: bool = False
    ) -> None:
        self.contract = contract
        self.redactor = redactor
        self.ledger = book
        self.strict = strict  # report undocumented fields (R8 allows them by default)

    def expect(
        self, clause_id: str, ok: bool, expected: str, actual: str, exchange: Exchange | None = None
    ) -> None:
        self.ledger.exercised(clause_id)
        if not ok:
            violation = ClauseViolation(
                self.contract.clause(clause_id), expected, actual, exchange, self.redactor
            )
            self.ledger.broken(violation)
            raise violation

    @contextmanager
    def buffered(self) -> Iterator[Ledger]:
        """Verdicts inside go to a fresh ledger, for the caller to merge or drop."""
        real, self.ledger = self.ledger, Ledger()
        try:
            yield self.ledger
        finally:
            self.ledger = real

    def run_all(self, checks: Iterable[Callable[[Verifier, Exchange], None]], exchange: Exchange) -> None:
        """Run every check, so each broken clause is counted, then fail with all of them."""
        failures: list[ClauseViolation] = []
        for check in checks:
            try:
                check(self, exchange)
            except ClauseViolation as violation:
                failures.append(violation)
        if failures:
            raise Violations(failures)
