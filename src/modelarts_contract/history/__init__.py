"""What changed between runs: `compare` of two ledgers and the `history` page of many.

Both read ledgers through `runs.load_run` (the one ledger reader, then the report's verdicts).
"""

from __future__ import annotations

from pathlib import Path

from modelarts_contract.contract import Contract, load_contract
from modelarts_contract.outputs import write_atomically

from .compare import Comparison, compare, render
from .markdown import render_markdown
from .model import History, build_history
from .page import render_html
from .runs import Run, Timings, load_run, load_runs

__all__ = [
    "Comparison",
    "History",
    "Run",
    "Timings",
    "build_history",
    "clause_texts",
    "compare",
    "load_run",
    "load_runs",
    "render",
    "render_html",
    "render_markdown",
    "write_history",
]

HTML_NAME, MARKDOWN_NAME = "history.html", "history.md"


def clause_texts(contract: Contract | None = None) -> dict[str, str]:
    """Clause id -> text, in spec order."""
    return {cid: clause.text for cid, clause in (contract or load_contract()).clauses.items()}


def write_history(runs: list[Run], out: Path, texts: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Write history.html and history.md into `out` (made if missing), each atomically."""
    history = build_history(runs, texts if texts is not None else clause_texts())
    out.mkdir(parents=True, exist_ok=True)
    page, md = out / HTML_NAME, out / MARKDOWN_NAME
    write_atomically(page, render_html(history))
    write_atomically(md, render_markdown(history))
    return page, md
