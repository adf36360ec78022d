"""Compare two runs: what broke, what got fixed, what stopped being checked, and what it cost.

Each clause falls in at most one category, the first that applies, in the order printed. A clause
that held in both runs (or was exercised by neither) is unchanged and only counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from modelarts_contract.neutral import neutral
from modelarts_contract.report.model import BROKEN, DATA_CHANGED, HELD, KNOWN, NOT_EXERCISED

from .runs import TIMING_KEYS, Run

_BROKEN = (BROKEN, KNOWN)  # a known clause is broken too: only its verdict is accepted
ACTUAL_LIMIT = 160  # characters of a newly broken clause's first failure shown

# (name, does the clause with verdicts (old, new) belong here): first match wins.
CATEGORIES: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("newly broken", lambda old, new: new == BROKEN and old not in _BROKEN),
    ("fixed", lambda old, new: old in _BROKEN and new == HELD),
    ("still broken", lambda old, new: old in _BROKEN and new == BROKEN),
    ("known", lambda old, new: new == KNOWN),  # broken, and in the new run's baseline
    ("data changed", lambda old, new: new == DATA_CHANGED),
    ("no longer exercised", lambda old, new: old != NOT_EXERCISED and new == NOT_EXERCISED),
    ("newly exercised", lambda old, new: old == NOT_EXERCISED and new == HELD),
)


@dataclass(frozen=True)
class Comparison:
    old: Run
    new: Run
    changes: dict[str, list[str]]  # category -> clause ids, in every category of CATEGORIES
    unchanged: int

    @property
    def newly_broken(self) -> list[str]:
        return self.changes["newly broken"]


def compare(old: Run, new: Run, order: Mapping[str, int] | None = None) -> Comparison:
    """Sort each clause of either run into its category; `order` ranks clause ids (spec order)."""
    rank = order or {}
    ids = sorted(set(old.verdicts) | set(new.verdicts), key=lambda cid: (rank.get(cid, len(rank)), cid))
    changes: dict[str, list[str]] = {name: [] for name, _ in CATEGORIES}
    unchanged = 0
    for cid in ids:
        before, after = old.verdict(cid), new.verdict(cid)
        name = next((name for name, applies in CATEGORIES if applies(before, after)), None)
        if name is None:
            unchanged += 1
        else:
            changes[name].append(cid)
    return Comparison(old, new, changes, unchanged)


def _change(before: float | None, after: float | None, unit: str, digits: int) -> str:
    if before is None or after is None:
        return f"{_value(before, unit, digits)} -> {_value(after, unit, digits)}"
    delta = after - before
    percent = f", {100 * delta / before:+.1f}%" if before else ""
    return f"{before:.{digits}f}{unit} -> {after:.{digits}f}{unit} ({delta:+.{digits}f}{unit}{percent})"


def _value(number: float | None, unit: str, digits: int) -> str:
    return "not recorded" if number is None else f"{number:.{digits}f}{unit}"


def cost_lines(old: Run, new: Run) -> list[str]:
    """Requests, and response times where both ledgers record them."""
    old_requests = None if old.requests is None else float(old.requests)
    new_requests = None if new.requests is None else float(new.requests)
    lines = [f"requests: {_change(old_requests, new_requests, '', 0)}"]
    if old.timings and new.timings:
        for key in TIMING_KEYS:
            before, after = getattr(old.timings, key), getattr(new.timings, key)
            lines.append(f"response time {key}: {_change(before, after, ' s', 3)}")
    return lines


def render(comparison: Comparison, texts: Mapping[str, str] | None = None) -> str:
    """The comparison as terminal text; everything read from a ledger is neutralised."""
    old, new = comparison.old, comparison.new
    lines = [
        f"old: {old.name} ({old.when}, exit {_status(old)})",
        f"new: {new.name} ({new.when}, exit {_status(new)})",
    ]
    for name, ids in comparison.changes.items():
        lines.append(f"{name} ({len(ids)})" + (":" if ids else ""))
        for cid in ids:
            lines.append(f"  {neutral(cid)}  {neutral((texts or {}).get(cid, ''))[:100]}".rstrip())
            actual = new.first_actual.get(cid) if name == "newly broken" else None
            if actual:
                lines.append(f"    actual: {neutral(actual)[:ACTUAL_LIMIT]}")
    lines.append(f"unchanged: {comparison.unchanged} clauses")
    lines += cost_lines(old, new)
    count = len(comparison.newly_broken)
    lines.append(f"verdict: {count} newly broken" if count else "verdict: nothing newly broken")
    return "\n".join(lines)


def _status(run: Run) -> str:
    return "?" if run.exitstatus is None else str(run.exitstatus)
