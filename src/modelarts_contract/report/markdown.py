"""The report as Markdown. Failure texts come from the target, so they only ever appear in code fences."""

from __future__ import annotations

import re

from modelarts_contract.neutral import neutral
from modelarts_contract.verdict import PASSED

from .extras import markdown_extras
from .model import BROKEN, ClauseRow, Report

_SPECIAL = re.compile(r"([\\`*_<>&|\[\]])")  # Markdown's and HTML's: escaped with a backslash, no entities


def _cell(text: str) -> str:
    """Table-cell text: no raw HTML, no entities, no column breaks, one line."""
    return _SPECIAL.sub(r"\\\1", neutral(" ".join(text.split())))


def _source(row: ClauseRow) -> str:
    if not row.links:
        return _cell(row.source)
    return "; ".join(f"[{_cell(label)}]({place})" for label, place in row.links)


def _fence(text: str, lang: str = "text") -> str:
    """A code block whose fence is longer than any backtick run inside, so the text cannot close it."""
    text = neutral(text, lines=True)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(f"`{item}`" for item in items) or "—"


def _failure(row: ClauseRow) -> list[str]:
    lines = [
        f"### {row.id} — broken ({row.broken} of {row.exercised} checks)",
        "",
        _cell(row.text),
        "",
        f"Source: {_source(row)} · Check: {_list(row.checks)} · Proven by: {_list(row.proven_by)}",
        "",
    ]
    if row.failure is None:
        return [*lines, "(no failure recorded)", ""]
    if row.failure.request:
        lines += ["Reproduce:", "", _fence(row.failure.request, "sh"), ""]
    return [
        *lines,
        "Expected:",
        "",
        _fence(row.failure.expected),
        "",
        "Actual:",
        "",
        _fence(row.failure.actual),
        "",
    ]


def _counts(report: Report) -> str:
    """The verdict counts; the conformance figure only on a run that passed (where it cannot mislead)."""
    head = report.headline
    counts = ", ".join(f"{n} {v}" for v, n in head.counts.items())
    figure = (
        f"; conformance {head.conformance:.1f}%" if report.verdict.word == PASSED and head.conformance else ""
    )
    return f"Clauses: {counts}{figure}"


def render_markdown(report: Report) -> str:
    status = "—" if report.exitstatus is None else str(report.exitstatus)
    lines = [
        f"# {_cell(report.title)}",
        "",
        f"**{report.verdict.word}**: {_cell(report.verdict.why)} (target: {_cell(report.verdict.target)}; "
        f"auth: {_cell(report.verdict.auth)})",
        "",
        *(f"> **{_cell(note)}**\n" for note in report.verdict.notes()),
        _counts(report),
        "",
        "| | |",
        "|---|---|",
        f"| Target | {_cell(report.target) or '—'} |",
        f"| Report generated | {report.generated} |",
        f"| Suite | modelarts-contract {report.suite_version}, spec {_cell(report.spec_version)} |",
        f"| pytest exit status | {status} |",
        *(f"| {name} | {_cell(value)} |" for name, value in report.facts.items()),
        "",
        "## Clauses",
        "",
        "| Clause | Verdict | Exercised | Text | Source | Check | Proven by |",
        "|---|---|--:|---|---|---|---|",
    ]
    for row in report.rows:
        verdict = f"**{row.verdict}**" if row.verdict == BROKEN else row.verdict
        verdict += " (known)" if row.id in report.extras.known and row.verdict == BROKEN else ""
        proven = _list(row.proven_by) if report.has_catalogue else "(catalogue unavailable)"
        lines.append(
            f"| `{row.id}` | {verdict} | {row.exercised} | {_cell(row.text)} | {_source(row)} "
            f"| {_list(row.checks)} | {proven} |"
        )
    broken = [row for row in report.rows if row.verdict == BROKEN]
    if broken:
        lines += ["", "## Broken clauses", ""]
        for row in broken:
            lines += _failure(row)
    lines += markdown_extras(report.extras, _cell)
    if report.unknown:
        lines += ["", "## Clause ids the spec lacks", "", _list(tuple(report.unknown)), ""]
    return "\n".join(lines).rstrip() + "\n"
