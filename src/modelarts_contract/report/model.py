"""The report's rows: one per clause of the spec, in spec order, with its verdict, check and mutants.

Verdict precedence (first match wins): broken (any check found it broken) > data changed (a
multi-request check of it could not conclude because the target's data moved) > held (exercised,
never broken) > not exercised. "data changed" beats "held" so that an inconclusive check is never
reported as a pass. The headline figure is held / (held + broken): it counts verdicts, not guesses.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from modelarts_contract import __version__
from modelarts_contract.checks import registry
from modelarts_contract.contract import Contract
from modelarts_contract.ledger_file import LedgerError as LedgerError  # re-exported: the report names it
from modelarts_contract.redact import REDACTED
from modelarts_contract.sources import SourceError, parse_source
from modelarts_contract.verdict import Verdict, as_mapping, verdict_of

from .extras import Extras, read_extras

EMBEDDED = "embedded reference server"  # what a ledger of a run without a base URL names as target
HELD, BROKEN, NOT_EXERCISED, DATA_CHANGED = "held", "broken", "not exercised", "data changed"
VERDICTS = (HELD, BROKEN, NOT_EXERCISED, DATA_CHANGED)
KNOWN = "known"  # broken, and in the run's baseline (--baseline): compare and history tell it apart
DEFAULT_TITLE = 'ModelArts "Obtaining User Image Groups" — contract conformance'
FAILURE_KEYS = ("request", "expected", "actual")


@dataclass(frozen=True)
class Failure:
    """The simplest failing request of a clause (the first, in an older ledger), already redacted."""

    request: str  # redacted by the suite: the token is $MODELARTS_AUTH_TOKEN
    expected: str
    actual: str


@dataclass(frozen=True)
class ClauseRow:
    id: str
    text: str
    source: str
    verdict: str
    exercised: int
    broken: int
    data_changed: int
    failure: Failure | None
    checks: tuple[str, ...]  # the registered checks that declare the clause
    proven_by: tuple[str, ...]  # mutants whose clauses include it
    links: tuple[tuple[str, str], ...] = ()  # (label, place in docs/contract.md) per reference of the source


@dataclass(frozen=True)
class Headline:
    counts: dict[str, int]  # verdict -> number of clauses

    @property
    def conformance(self) -> float | None:
        """held / (held + broken) in percent; None when nothing reached a verdict."""
        decided = self.counts[HELD] + self.counts[BROKEN]
        return 100.0 * self.counts[HELD] / decided if decided else None

    def text(self) -> str:
        figure = "n/a" if self.conformance is None else f"{self.conformance:.1f}%"
        parts = ", ".join(f"{self.counts[v]} {v}" for v in VERDICTS)
        return f"Conformance {figure} — {parts}"


def verdict(record: Mapping[str, Any]) -> str:
    if record.get("broken", 0) > 0:
        return BROKEN
    if record.get("data_changed", 0) > 0:
        return DATA_CHANGED
    if record.get("exercised", 0) > 0:
        return HELD
    return NOT_EXERCISED


def validate(ledger: object) -> dict[str, dict[str, Any]]:
    """The ledger's clause records, or LedgerError naming what is wrong."""
    clauses = ledger.get("clauses") if isinstance(ledger, dict) else None
    if not isinstance(clauses, dict):
        raise LedgerError('expected a JSON object with a "clauses" object')
    for cid, record in clauses.items():
        if not isinstance(record, dict):
            raise LedgerError(f"clause {cid!r}: expected an object")
        for key in ("exercised", "broken", "data_changed"):
            if not isinstance(record.get(key, 0), int):
                raise LedgerError(f"clause {cid!r}: {key} is not an integer")
        for key in ("first_failure", "simplest_failure"):
            failure = record.get(key)
            if failure is not None and not (
                isinstance(failure, dict) and all(isinstance(failure.get(k, ""), str) for k in FAILURE_KEYS)
            ):
                raise LedgerError(f"clause {cid!r}: {key} is not an object of strings")
    return clauses


def build_rows(
    ledger: dict[str, Any], contract: Contract, catalogue: Mapping[str, Any] | None = None
) -> list[ClauseRow]:
    clauses = validate(ledger)
    mutants = [v for v in (catalogue or {}).values() if getattr(v, "kind", None) == "mutant"]
    rows = []
    for clause in contract.clauses.values():
        record = clauses.get(clause.id, {})
        failure = record.get("simplest_failure") or record.get("first_failure")  # fewest parameters
        rows.append(
            ClauseRow(
                id=clause.id,
                text=clause.text,
                source=clause.source,
                verdict=verdict(record),
                exercised=record.get("exercised", 0),
                broken=record.get("broken", 0),
                data_changed=record.get("data_changed", 0),
                failure=Failure(*(failure.get(k, "") for k in FAILURE_KEYS)) if failure else None,
                checks=registry.checks_judging(clause.id),
                proven_by=tuple(v.name for v in mutants if clause.id in v.clauses),
                links=source_links(clause.source),
            )
        )
    return rows


def unknown_clauses(ledger: dict[str, Any], contract: Contract) -> list[str]:
    """Clause ids in the ledger that the spec lacks (a check out of step with the spec)."""
    return sorted(set(validate(ledger)) - set(contract.clauses))


def headline(rows: list[ClauseRow]) -> Headline:
    counts = Counter(row.verdict for row in rows)
    return Headline({v: counts.get(v, 0) for v in VERDICTS})


@dataclass(frozen=True)
class Report:
    """Everything both renderers show."""

    title: str
    target: str  # redacted base URL, or "" when unknown
    generated: str  # UTC, ISO 8601
    suite_version: str
    spec_version: str
    exitstatus: int | None  # pytest's, from the ledger
    rows: list[ClauseRow]
    headline: Headline
    unknown: list[str]
    has_catalogue: bool
    verdict: Verdict
    facts: dict[str, str]  # what a nightly compares first: seed, requests, duration, pace, budget
    extras: Extras = dataclasses.field(default_factory=Extras)  # baseline, response times, objective


def redact_url(url: str | None) -> str:
    """scheme://host[:port]/path: no user info, query or fragment, where credentials could hide."""
    if not url:
        return ""
    if url == EMBEDDED:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else REDACTED


def build_report(
    ledger: dict[str, Any],
    contract: Contract,
    *,
    catalogue: Mapping[str, Any] | None = None,
    target: str | None = None,
    title: str = DEFAULT_TITLE,
    generated: datetime | None = None,
) -> Report:
    rows = build_rows(ledger, contract, catalogue)
    status = ledger.get("exitstatus")
    recorded_run = ledger.get("run")
    run: dict[str, Any] = recorded_run if isinstance(recorded_run, dict) else {}
    recorded_target = run.get("target") if isinstance(run.get("target"), str) else None
    return Report(
        title=title,
        target=redact_url(target or recorded_target),
        generated=(generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
        suite_version=str(run.get("suite_version") or __version__),
        spec_version=str(run.get("spec_version") or contract.version),
        exitstatus=status if isinstance(status, int) else None,
        rows=rows,
        headline=headline(rows),
        unknown=unknown_clauses(ledger, contract),
        has_catalogue=catalogue is not None,
        verdict=dataclasses.replace(
            verdict_of(ledger), target=redact_url(target or recorded_target) or "unknown"
        ),
        facts=run_facts(ledger),
        extras=read_extras(ledger),
    )


def source_links(source: str) -> tuple[tuple[str, str], ...]:
    """Where each reference of a clause's source leads in docs/contract.md; none for an unknown one."""
    try:
        return tuple((ref.label, ref.location) for ref in parse_source(source))
    except SourceError:  # a source a user wrote into their own copy of the spec: shown as written
        return ()


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def run_facts(ledger: Mapping[str, Any]) -> dict[str, str]:
    """The run's facts as the ledger recorded them; a fact it lacks is left out, not guessed."""
    run, transport = as_mapping(ledger.get("run")), as_mapping(ledger.get("transport"))
    options = as_mapping(run.get("options"))
    sent, budget = _number(transport.get("sent")), _number(options.get("max_requests"))
    pace = "rate_limit" if "rate_limit" in options else "rate_per_second"  # the name since the option table
    rate, paced = _number(options.get(pace)), _number(transport.get("paced"))
    duration, seed = _number(run.get("duration_s")), run.get("seed")
    facts = {
        "Seed": str(seed) if isinstance(seed, int) else None,
        "Requests sent": f"{sent:.0f}" + (f" of a budget of {budget:.0f}" if budget is not None else "")
        if sent is not None
        else None,
        "Duration": f"{duration:.1f} s" if duration is not None else None,
        "Pace": (f"{rate:g}/s" if rate else "none") + (f", {paced:.1f} s waited" if paced is not None else "")
        if pace in options
        else None,
    }
    return {name: value for name, value in facts.items() if value is not None}
