"""What a run says in the terminal: the header, each failed test's findings, the closing summary.

Rendering only: the state lives on the `Run` (run.py). The closing summary ends with the verdict
line (verdict.py) that the reports open with, so `-q` output names the target and the verdict too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from modelarts_contract import __version__
from modelarts_contract.baseline import judgement_lines
from modelarts_contract.checks.core import ClauseViolation, Violations, describe_source
from modelarts_contract.config import ENVIRONMENT
from modelarts_contract.contract import load_contract
from modelarts_contract.run import Run, ledger_context
from modelarts_contract.timings import timing_lines
from modelarts_contract.verdict import Verdict, as_mapping, verdict_of

FAILURE_KEYS = ("request", "expected", "actual")


def header_lines(run: Run) -> list[str]:
    c = run.config
    pace = f"{c.rate_per_second:g}/s" if c.rate_per_second else "none"
    how = f"--rate-limit or {ENVIRONMENT['rate_limit']}: N/s, N/m, N/h or none"
    first = f"modelarts-contract {__version__}: {run.where()}, auth {c.auth_mode}, budget {c.max_requests}"
    if c.base_url is not None and c.base_url.startswith("https:"):  # nothing to say of TLS over http
        first += f", TLS {f'CA bundle {c.ca_bundle}' if c.ca_bundle else 'system CAs'}"
    return [first, f"modelarts-contract pace: {pace} ({how})", credentials_line(run)]


def credentials_line(run: Run) -> str:
    """The credential source in force and the auth mode, never a value."""
    c = run.config
    if c.base_url is None:
        return f"modelarts-contract credentials: the embedded server's own ({c.auth_mode})"
    return (
        f"modelarts-contract credentials: {c.auth_kind} from {c.credential_source} "
        "(precedence: docs/staging.md, Credentials)"
    )


def findings(
    told: set[str], records: Mapping[str, Any], test: str, errors: list[BaseException]
) -> str | None:
    """A failed test's report when every error is a clause it found broken: a clause not yet in
    `told` in full (clause, source, the test's simplest failing request, expected, actual), one line
    for a clause an earlier test told already; None when something else failed."""
    found: dict[str, ClauseViolation] = {}
    notes: dict[str, str] = {}
    for error in errors:
        if not isinstance(error, Violations | ClauseViolation):
            return None
        for violation in error.violations if isinstance(error, Violations) else [error]:
            known = found.get(violation.clause.id)
            if known is None or violation.rank < known.rank:
                found[violation.clause.id] = violation
        notes.update(error.notes if isinstance(error, Violations) else {})
    texts = []
    for clause_id, violation in found.items():
        if clause_id in told:
            texts.append(short_finding(violation))
            continue
        told.add(clause_id)
        times = records.get(clause_id, {}).get("broken_by", {}).get(test, 0)
        texts.append(full_finding(violation, times, notes.get(clause_id)))
    return "\n\n".join(texts) if texts else None


def full_finding(violation: ClauseViolation, times: int, note: str | None) -> str:
    """The whole story of a clause, the first time a test breaks it."""
    lines = [str(violation)]
    if times > 1:
        lines.append(f"  (broken {times} times in this test; the simplest request is shown)")
    if note and not note.startswith("(and "):  # not a count again
        lines.append(f"  {note}")
    return "\n".join(lines)


def short_finding(violation: ClauseViolation) -> str:
    """A clause an earlier test already told in full: one line, with the request that broke it here."""
    request = violation.reproduce or "(no request)"
    return f"[{violation.clause.id}] broken here too (told in full above): {request}"


def _broken_clause(clause_id: str, record: Mapping[str, Any], known: bool = False) -> list[str]:
    clause = load_contract().clauses.get(clause_id)
    tests = [t for t, n in record["broken_by"].items() if n]
    shown = record.get("simplest_failure") or record["first_failure"] or {}
    others = record["broken"] - 1
    return [
        f"{'KNOWN' if known else 'BROKEN'} [{clause_id}] {clause.text if clause else ''}",
        f"  source:   {describe_source(clause.source) if clause else '?'}",
        f"  broken in {len(tests)} test(s); the simplest failing request, and {others} other failure(s):",
        *(f"  {key + ':':9} {shown[key]}" for key in FAILURE_KEYS if shown.get(key)),
        "",
    ]


def summary_lines(run: Run, exitstatus: int) -> list[str]:
    outcome, config = run.outcome, run.config
    records = outcome.ledger.as_dict()
    failed = outcome.ledger.broken_clauses()
    context = ledger_context(run, exitstatus)  # the ledger's records: timings, slo, baseline
    known = as_mapping(as_mapping(context.get("baseline")).get("known"))
    lines = [line for cid in failed for line in _broken_clause(cid, records[cid], cid in known)]
    new = [cid for cid in failed if cid not in known]
    lines.append(
        f"clauses checked: {len(records)}, failed: {len(new)}"
        + (f" ({', '.join(new)})" if new else "")
        + (f", known: {len(known)} ({', '.join(known)})" if known else "")
    )
    s = run.transport()
    left = max(0, config.max_requests - s.sent)
    lines.append(
        f"requests sent: {s.sent}, retries: {s.retries}, waited: {s.waited:.1f} s (Retry-After) "
        f"+ {s.paced:.1f} s (pace), refused: {s.refused}, budget left: {left} of {config.max_requests}"
    )
    changed = sorted(cid for cid, rec in records.items() if rec["data_changed"])
    if changed:
        lines.append(
            f"DATA CHANGED during the checks of {', '.join(changed)}: no verdict (the tests show as skipped)"
        )
    lines += [*timing_lines(context), *judgement_lines(as_mapping(context.get("baseline")))]
    # A stop (exit 6 or 7) is told by its error test case and the verdict line: not a third time here.
    verdict = run_verdict(run, exitstatus)
    return [*lines, *verdict.notes(), verdict.line()]


def run_verdict(run: Run, exitstatus: int) -> Verdict:
    """The run's verdict line, naming the target as the header does (the embedded server's port too)."""
    ledger = {"clauses": run.outcome.ledger.as_dict(), **ledger_context(run, exitstatus)}
    return dataclasses.replace(verdict_of(ledger), target=run.where())
