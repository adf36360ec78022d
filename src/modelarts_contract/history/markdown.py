"""The history as Markdown: the same clause rows, with the latest runs' verdicts as glyphs."""

from __future__ import annotations

from modelarts_contract.neutral import neutral
from modelarts_contract.report.markdown import _cell
from modelarts_contract.report.model import BROKEN, KNOWN

from .model import LEGEND, History

STRIP_RUNS = 60  # a Markdown table cell does not scroll: the latest runs only
RUNS_IN_FULL = 50


def cell(text: str) -> str:
    """A table cell of text read from a ledger: control characters shown, no markup, one line."""
    return _cell(neutral(text))


def _number(value: int | None) -> str:
    return "—" if value is None else str(value)


def render_markdown(history: History) -> str:
    runs = history.runs
    shown = min(STRIP_RUNS, len(runs))
    lines = [
        f"# Contract history: {len(runs)} runs",
        "",
        f"{cell(history.span)}. Generated {history.generated}. Legend: {LEGEND}.",
        "",
        "## Clauses",
        "",
        f"| clause | latest | since | changes | last {shown} runs, oldest to newest |",
        "| --- | --- | --- | --- | --- |",
    ]
    for clause in history.clauses:
        strip = "".join(segment.glyphs for segment in clause.segments())[-shown:]
        lines.append(
            f"| {cell(clause.id)} | {clause.latest} | {runs[clause.since].when} | {clause.changes} | {strip} |"
        )
    lines += [
        "",
        "## Runs (latest first)",
        "",
        "| run | written | requests | broken clauses | exit | ledger |",
    ]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for n, run in list(enumerate(runs, 1))[-RUNS_IN_FULL:][::-1]:
        broken = sum(1 for v in run.verdicts.values() if v in (BROKEN, KNOWN))
        lines.append(
            f"| {n} | {run.when} | {_number(run.requests)} | {broken} | {_number(run.exitstatus)} | {cell(run.name)} |"
        )
    if len(runs) > RUNS_IN_FULL:
        lines += ["", f"{len(runs) - RUNS_IN_FULL} earlier runs are in the clause rows of the HTML page."]
    if any(run.timings for run in runs):
        lines += ["", "Response times per run are plotted in the HTML page."]
    return "\n".join(lines) + "\n"
