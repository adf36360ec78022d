"""The verdict of a run in one line: what was tested, how, and how far it got.

The terminal summary ends with it (also under ``-q``) and both reports open with it, so no output
of a run can read as green when the run stopped, covered a subset, or tested the embedded server
while credentials for a real one were set. Pure: it reads the facts the ledger records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PASSED, FAILED, STOPPED = "PASSED", "FAILED", "STOPPED"
GOOD, BAD, PARTIAL = "good", "bad", "partial"  # the tone a report styles the line in
EXIT_ENVIRONMENT, EXIT_INCOMPLETE = 6, 7  # the suite's own statuses (modelarts_contract.environment)
_OWN = "outside the contract:"  # a failure that is no clause's
_PYTEST_STOPS = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}


@dataclass(frozen=True)
class Verdict:
    word: str  # PASSED, FAILED or STOPPED
    why: str
    target: str
    auth: str
    subset: str | None = None  # which pytest selection narrowed the run (-k, -m, --lf, node ids)
    unused: str | None = None  # settings given but not used (credentials without a base URL)
    known: tuple[str, ...] = ()  # broken clauses the baseline knows (--baseline): the run may still pass

    @property
    def tone(self) -> str:
        if self.word == FAILED:
            return BAD
        return GOOD if self.word == PASSED and not (self.subset or self.unused or self.known) else PARTIAL

    def line(self) -> str:
        return f"{self.word}: {self.why} (target: {self.target}; auth: {self.auth})"

    def notes(self) -> list[str]:
        """What qualifies the verdict, one line each."""
        notes = [f"SUBSET: only some tests ran ({self.subset}): the other clauses were not checked"]
        notes = notes if self.subset else []
        if self.unused:
            notes.append(f"UNUSED: {self.unused}")
        return notes


def _why(status: int | None, stopped: str | None, broken: list[str], checked: int) -> tuple[str, str]:
    if status == EXIT_ENVIRONMENT:
        return STOPPED, f"environment problem, not a contract verdict: {stopped or 'see the log'}"
    if broken and broken[0].startswith(_OWN):  # an objective or the baseline, not a clause
        return FAILED, "; ".join(broken) + (f"; then {stopped}" if stopped else "")
    if broken:
        clauses = f"{len(broken)} of {checked} clauses broken ({', '.join(broken)})"
        return FAILED, clauses + (f"; then {stopped}" if stopped else "")
    if status == EXIT_INCOMPLETE or stopped:
        cause = re.sub(r"^STOPPED:? ", "", stopped or "a limit of the run was reached")  # said once
        return STOPPED, f"{cause}; no clause broken until then"
    if status in _PYTEST_STOPS:
        return STOPPED, f"pytest exit status {status} ({_PYTEST_STOPS[status]}); no clause broken"
    if status not in (0, None):
        return FAILED, f"pytest exit status {status}: a test failed without breaking a clause (see the log)"
    return PASSED, f"{checked} clauses checked, none broken"


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _beyond_contract(ledger: Mapping[str, Any], known: Mapping[str, Any]) -> list[str]:
    """What fails a run besides the contract's clauses: an expired baseline entry, the user's
    response-time objective (--max-response-time) broken and not known."""
    expired = sorted(as_mapping(as_mapping(ledger.get("baseline")).get("expired")))
    failing = [f"{_OWN} baseline entry expired ({', '.join(expired)})"] if expired else []
    for cid, slo in as_mapping(ledger.get("slo")).items():
        over = as_mapping(slo).get("over")
        if isinstance(over, int) and over and cid not in known:
            failing.append(f"{_OWN} objective {cid} broken ({over} answers slower than {slo.get('limit')} s)")
    return failing


def verdict_of(ledger: Mapping[str, Any]) -> Verdict:
    """The verdict from a ledger document (or the same facts, before it is written)."""
    records = ledger.get("clauses")
    clauses: Mapping[str, Any] = records if isinstance(records, Mapping) else {}
    known = as_mapping(as_mapping(ledger.get("baseline")).get("known"))
    broken = sorted(cid for cid, rec in clauses.items() if isinstance(rec, Mapping) and rec.get("broken"))
    known_broken = tuple(cid for cid in broken if cid in known)
    broken = [cid for cid in broken if cid not in known] or _beyond_contract(ledger, known)
    run = as_mapping(ledger.get("run"))
    options = as_mapping(run.get("options"))
    status, stopped = ledger.get("exitstatus"), ledger.get("stopped")
    word, why = _why(
        status if isinstance(status, int) else None,
        stopped if isinstance(stopped, str) else None,
        broken,
        len(clauses),
    )
    if word == PASSED and known_broken:
        why = f"{why} beyond the baseline ({len(known_broken)} known broken: {', '.join(known_broken)})"
    subset, unused = run.get("subset"), run.get("unused")
    return Verdict(
        word=word,
        why=why,
        target=str(run.get("target") or "unknown"),
        auth=str(options.get("auth") or "unknown"),
        subset=subset if isinstance(subset, str) else None,
        unused=unused if isinstance(unused, str) else None,
        known=known_broken,
    )
