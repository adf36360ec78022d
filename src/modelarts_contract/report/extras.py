"""What a scheduled run adds to the report: known breakage (--baseline), response times and the
user's response-time objective (--max-response-time), read from the ledger's records.

The objective is not a clause of the contract: it has a section of its own and never enters the
clause table or the conformance figure. Every text read here is neutralised (`neutral`) and left
for the renderer to escape: a hand-edited baseline or a target's URL may carry anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from modelarts_contract.neutral import neutral
from modelarts_contract.verdict import as_mapping

TEXT_LIMIT = 500


@dataclass(frozen=True)
class KnownEntry:
    reason: str
    link: str | None
    expires: str

    def text(self) -> str:
        return f"until {self.expires}: {self.reason}" + (f" ({self.link})" if self.link else "")


@dataclass(frozen=True)
class Times:
    count: int
    p50: float
    p95: float
    max: float
    slowest: str  # the slowest request, redacted by the suite
    status: str


@dataclass(frozen=True)
class Objective:
    id: str
    limit: float
    checked: int
    over: int


@dataclass(frozen=True)
class Extras:
    known: dict[str, KnownEntry] = field(default_factory=dict)
    expired: dict[str, KnownEntry] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()
    times: Times | None = None
    objectives: tuple[Objective, ...] = ()


def _text(value: object) -> str:
    return neutral(str(value))[:TEXT_LIMIT] if value is not None else ""


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _entries(record: object) -> dict[str, KnownEntry]:
    out = {}
    for cid, entry in as_mapping(record).items():
        e = as_mapping(entry)
        link = e.get("link")
        out[_text(cid)] = KnownEntry(
            _text(e.get("reason")), _text(link) if link else None, _text(e.get("expires"))
        )
    return out


def _times(record: object) -> Times | None:
    r = as_mapping(record)
    count, values = r.get("count"), [_number(r.get(k)) for k in ("p50", "p95", "max")]
    if type(count) is not int or any(v is None for v in values):
        return None
    p50, p95, top = (v or 0.0 for v in values)
    slowest = as_mapping(r.get("slowest"))
    return Times(count, p50, p95, top, _text(slowest.get("request")), _text(slowest.get("status")))


def _objectives(record: object) -> tuple[Objective, ...]:
    found = []
    for cid, slo in as_mapping(record).items():
        s = as_mapping(slo)
        limit, checked, over = _number(s.get("limit")), s.get("checked"), s.get("over")
        if limit is not None and type(checked) is int and type(over) is int:
            found.append(Objective(_text(cid), limit, checked, over))
    return tuple(found)


def read_extras(ledger: Mapping[str, Any]) -> Extras:
    """The ledger's "baseline", "timings" and "slo" records; what is missing or garbled is left out."""
    baseline = as_mapping(ledger.get("baseline"))
    fixed = baseline.get("fixed")
    return Extras(
        known=_entries(baseline.get("known")),
        expired=_entries(baseline.get("expired")),
        fixed=tuple(_text(c) for c in fixed) if isinstance(fixed, list) else (),
        times=_times(ledger.get("timings")),
        objectives=_objectives(ledger.get("slo")),
    )


Section = tuple[str, str, list[tuple[str, str]]]  # title, introduction, (label, text) rows
BASELINE_INTRO = (
    "Clauses of the run's baseline (--baseline): known breakage does not fail the run; it still "
    "counts as broken in the figures above."
)
TIMES_INTRO = "Each judged answer, from the send to its last byte (the suite's own waits left out)."
OBJECTIVE_INTRO = (
    "Your objective (--max-response-time), not the contract's: not a clause, not in the conformance figure."
)


def _baseline_section(extras: Extras) -> Section:
    items = [(cid, f"known breakage, {e.text()}") for cid, e in extras.known.items()]
    items += [
        (cid, f"EXPIRED entry ({e.expires}): fix the clause or extend the entry")
        for cid, e in extras.expired.items()
    ]
    items += [(cid, "FIXED: holds now, remove it from the baseline") for cid in extras.fixed]
    return "Baseline", BASELINE_INTRO, items


def _times_section(t: Times) -> Section:
    items = [
        ("answers", str(t.count)),
        ("p50 / p95 / max", f"{t.p50:.3f} s / {t.p95:.3f} s / {t.max:.3f} s"),
        ("slowest", f"{t.slowest} (answered {t.status} in {t.max:.3f} s)"),
    ]
    return "Response times", TIMES_INTRO, items


def extra_lines(extras: Extras) -> list[Section]:
    """The sections both renderings show; plain text, for the renderer to escape."""
    sections = []
    if extras.known or extras.expired or extras.fixed:
        sections.append(_baseline_section(extras))
    if extras.times is not None:
        sections.append(_times_section(extras.times))
    for o in extras.objectives:
        word = "BROKEN" if o.over else "held"
        items = [(o.id, f"{word}: {o.over} of {o.checked} answers slower than {o.limit:g} s")]
        sections.append(("Service-level objective", OBJECTIVE_INTRO, items))
    return sections


def markdown_extras(extras: Extras, cell: Any) -> list[str]:
    """The sections in Markdown; `cell` escapes a table cell."""
    lines: list[str] = []
    for title, intro, items in extra_lines(extras):
        lines += ["", f"## {title}", "", intro, "", "| | |", "|---|---|"]
        lines += [f"| {cell(label)} | {cell(text)} |" for label, text in items]
    return lines


def html_extras(extras: Extras) -> str:
    out = []
    for title, intro, items in extra_lines(extras):
        rows = "".join(f'<dt class="id">{escape(label)}</dt><dd>{escape(text)}</dd>' for label, text in items)
        out.append(
            f'<h2>{escape(title)}</h2><p class="muted">{escape(intro)}</p><dl class="meta">{rows}</dl>'
        )
    return "".join(out)
