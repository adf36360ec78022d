"""The baseline of known breakage: a small YAML file a team commits, read before any request.

    known:
      - clause: R9.pages
        reason: pages is rounded down; tracked as MA-1234
        link: https://tracker.example.com/MA-1234   # optional
        expires: 2027-01-31

A clause in it that breaks is *known*: its failing tests are skipped with the reason and the link
(never passed), and the run exits 0 when nothing else broke. A clause outside it that breaks, or
an entry past its date, exits 1 and says which; an entry whose clause now holds is reported as
fixed. A malformed file is a usage error (exit 4) that names the line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from modelarts_contract.checks.core import ClauseViolation, Violations
from modelarts_contract.config import ConfigError
from modelarts_contract.neutral import neutral
from modelarts_contract.outputs import write_atomically

OPTION, UPDATE_OPTION = "--baseline", "--baseline-update"
ENTRY_KEYS = {"clause": True, "reason": True, "link": False, "expires": True}  # key -> required
NEW_REASON = "TODO: say why this clause is broken and where it is tracked (added by --baseline-update)"
NEW_DAYS = 30  # a new entry's expiry: the team must look at it again within a month
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


class BaselineError(ConfigError):
    """The baseline file cannot be used: a usage error, naming the file and the line."""


@dataclass(frozen=True)
class Entry:
    clause: str
    reason: str
    expires: date
    link: str | None = None
    line: int = 0  # where the entry starts in the file (1-based), for messages

    def note(self) -> str:
        """The entry as a skip message (terminal, JUnit) shows it; control characters escaped."""
        link = f" ({self.link})" if self.link else ""
        return neutral(
            f"known breakage [{self.clause}] until {self.expires.isoformat()}: {self.reason}{link}"
        )


@dataclass(frozen=True)
class Baseline:
    path: Path
    entries: dict[str, Entry]  # clause id -> entry
    today: date

    def active(self) -> dict[str, Entry]:
        """The entries not past their date: the clauses whose breakage is known."""
        return {cid: e for cid, e in self.entries.items() if e.expires >= self.today}

    def expired(self) -> dict[str, Entry]:
        return {cid: e for cid, e in self.entries.items() if e.expires < self.today}


def _fail(path: Path, node: yaml.Node | None, why: str) -> BaselineError:
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    return BaselineError(f"{OPTION} {neutral(str(path))}{line}: {why}")


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _fail(path, node, f"{what}: expected a non-empty text")
    return str(node.value).strip()


def _expiry(path: Path, node: yaml.Node) -> date:
    text = _scalar(path, node, "expires")
    try:
        if _DATE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _fail(path, node, f"expires: expected a date YYYY-MM-DD, got {neutral(text)[:40]!r}")


def _entry(path: Path, node: yaml.Node, clause_ids: Collection[str]) -> Entry:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, "an entry: expected clause, reason, expires (and link)")
    fields: dict[str, yaml.Node] = {}
    for key_node, value in node.value:
        key = _scalar(path, key_node, "a key")
        if key not in ENTRY_KEYS or key in fields:
            why = "repeated" if key in fields else f"unknown (expected {', '.join(ENTRY_KEYS)})"
            raise _fail(path, key_node, f"key {neutral(key)[:40]!r}: {why}")
        fields[key] = value
    missing = [k for k, required in ENTRY_KEYS.items() if required and k not in fields]
    if missing:
        raise _fail(path, node, f"an entry without {' and '.join(missing)}")
    clause = _scalar(path, fields["clause"], "clause")
    if clause not in clause_ids:
        close = difflib.get_close_matches(clause, list(clause_ids), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _fail(path, fields["clause"], f"clause {neutral(clause)[:60]!r} is not in the contract{hint}")
    link = _scalar(path, fields["link"], "link") if "link" in fields else None
    return Entry(
        clause,
        _scalar(path, fields["reason"], "reason"),
        _expiry(path, fields["expires"]),
        link,
        node.start_mark.line + 1,
    )


def _entries(path: Path, root: yaml.Node | None, clause_ids: Collection[str]) -> dict[str, Entry]:
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root, 'expected a mapping with the key "known"')
    entries: dict[str, Entry] = {}
    for key_node, value in root.value:
        if _scalar(path, key_node, "a key") != "known":
            raise _fail(
                path, key_node, f'unknown key {neutral(str(key_node.value))[:40]!r} (expected "known")'
            )
        if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
            continue
        if not isinstance(value, yaml.SequenceNode):
            raise _fail(path, value, "known: expected a list of entries")
        for item in value.value:
            entry = _entry(path, item, clause_ids)
            if entry.clause in entries:
                raise _fail(path, item, f"{entry.clause} is listed twice")
            entries[entry.clause] = entry
    return entries


def load_baseline(
    path: Path, clause_ids: Collection[str], *, today: date | None = None, missing_ok: bool = False
) -> Baseline:
    """The baseline at `path`; BaselineError naming the line when it cannot be used. `clause_ids`
    are the contract's (and the objectives') ids: an entry for anything else is a typo."""
    today = today or datetime.now(UTC).date()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return Baseline(path, {}, today)
        raise _fail(path, None, f"no such file ({UPDATE_OPTION} writes one)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, None, f"cannot be read ({neutral(str(exc))})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise BaselineError(f"{OPTION} {neutral(str(path))}{where}: YAML error: {neutral(problem)}") from None
    return Baseline(path, _entries(path, root, clause_ids), today)


@dataclass(frozen=True)
class Judgement:
    """A run's broken clauses against the baseline."""

    known: dict[str, Entry]  # broken, in the baseline, not expired
    new: list[str]  # broken, not in the baseline (or only in an expired entry)
    expired: dict[str, Entry]  # entries past their date
    fixed: list[str]  # entries whose clause held in this run

    def record(self, baseline: Baseline) -> dict[str, Any]:
        """What the ledger keeps: which clauses were known, and why."""
        return {
            "file": neutral(str(baseline.path)),
            "known": {cid: _described(e) for cid, e in self.known.items()},
            "expired": {cid: _described(e) for cid, e in self.expired.items()},
            "fixed": self.fixed,
            "new": self.new,
        }


def _described(entry: Entry) -> dict[str, Any]:
    return {"reason": entry.reason, "link": entry.link, "expires": entry.expires.isoformat()}


def judge(baseline: Baseline, verdicts: Mapping[str, str]) -> Judgement:
    """`verdicts`: clause id -> "broken", "held" (exercised, never broken) or anything else."""
    active, broken = baseline.active(), sorted(c for c, v in verdicts.items() if v == "broken")
    return Judgement(
        known={cid: active[cid] for cid in broken if cid in active},
        new=[cid for cid in broken if cid not in active],
        expired=baseline.expired(),
        fixed=sorted(cid for cid in baseline.entries if verdicts.get(cid) == "held"),
    )


def updated(baseline: Baseline, verdicts: Mapping[str, str]) -> str:
    """The baseline file for this run's broken clauses: an entry kept as it is (reason, link, date)
    while its clause is broken or was not checked; a new one with a placeholder reason that expires
    in NEW_DAYS days; the entry of a clause that held dropped."""
    entries = {cid: e for cid, e in baseline.entries.items() if verdicts.get(cid) != "held"}
    expires = baseline.today + timedelta(days=NEW_DAYS)
    for cid in sorted(c for c, v in verdicts.items() if v == "broken" and c not in entries):
        entries[cid] = Entry(cid, NEW_REASON, expires)
    known = []
    for entry in sorted(entries.values(), key=lambda e: e.clause):
        item: dict[str, Any] = {"clause": entry.clause, "reason": entry.reason}
        if entry.link:
            item["link"] = entry.link
        known.append({**item, "expires": entry.expires.isoformat()})
    head = "# Known breakage of the contract (modelarts-contract --baseline; docs/history.md).\n"
    return head + yaml.safe_dump({"known": known}, sort_keys=False, allow_unicode=False, width=100)


def write_update(baseline: Baseline, verdicts: Mapping[str, str]) -> str:
    """Write the updated baseline (atomically); the line the terminal shows."""
    text = updated(baseline, verdicts)
    baseline.path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(baseline.path, text)
    added = [c for c, v in verdicts.items() if v == "broken" and c not in baseline.entries]
    dropped = [c for c in baseline.entries if verdicts.get(c) == "held"]
    news = f"; edit the reason of {', '.join(sorted(added))} (expires in {NEW_DAYS} days)" if added else ""
    gone = f"; removed {', '.join(sorted(dropped))} (it holds now)" if dropped else ""
    return f"baseline written: {neutral(str(baseline.path))}{news}{gone}"


def verdicts_of(clauses: Mapping[str, Mapping[str, Any]], slo: Mapping[str, Any] | None) -> dict[str, str]:
    """Each clause's verdict as the baseline needs it ("broken", "held", or "unsure": not
    exercised or its data changed), the response-time objective's among them when it was set."""
    verdicts = {
        cid: "broken"
        if rec.get("broken")
        else "held"
        if rec.get("exercised") and not rec.get("data_changed")
        else "unsure"
        for cid, rec in clauses.items()
    }
    for cid, record in (slo or {}).items():
        verdicts[cid] = "broken" if record.get("over") else "held" if record.get("checked") else "unsure"
    return verdicts


def known_failure(active: Mapping[str, Entry], errors: list[BaseException]) -> str | None:
    """The skip message of a failed test whose every error is a violation of a known clause; None
    when anything else failed too (it stays a failure)."""
    clauses: list[str] = []
    for error in errors:
        if not isinstance(error, Violations | ClauseViolation):
            return None
        for violation in error.violations if isinstance(error, Violations) else [error]:
            clauses.append(violation.clause.id)
    if not clauses or any(cid not in active for cid in clauses):
        return None
    return "; ".join(active[cid].note() for cid in dict.fromkeys(clauses))


def judgement_lines(record: Mapping[str, Any]) -> list[str]:
    """The terminal's lines on the baseline, from the ledger's "baseline" record."""
    lines = [
        f"KNOWN [{cid}] broken, in the baseline until {e['expires']}: {e['reason']}"
        + (f" ({e['link']})" if e.get("link") else "")
        for cid, e in record.get("known", {}).items()
    ]
    lines += [
        f"EXPIRED baseline entry [{cid}] (expired {e['expires']}): fix the clause or extend the entry"
        for cid, e in record.get("expired", {}).items()
    ]
    lines += [f"FIXED [{cid}] holds now: remove it from the baseline" for cid in record.get("fixed", [])]
    if record.get("new"):
        lines.append(f"NEW breakage, not in the baseline: {', '.join(record['new'])}")
    return [neutral(line) for line in lines]


def baseline_record(
    baseline: Baseline | None, clauses: Mapping[str, Mapping[str, Any]], slo: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The ledger's "baseline" record (none without --baseline)."""
    if baseline is None:
        return {}
    return {"baseline": judge(baseline, verdicts_of(clauses, slo)).record(baseline)}
