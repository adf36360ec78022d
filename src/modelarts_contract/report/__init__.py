"""Conformance report: after a contract run, one row per spec clause with its verdict, in Markdown and HTML.

``python -m modelarts_contract.report DIR`` reads DIR/ledger.json (written by ``pytest --report-dir DIR``)
and writes DIR/conformance.md and DIR/conformance.html.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelarts_contract.contract import Contract, load_contract
from modelarts_contract.outputs import write_atomically, write_problem

from .html import render_html
from .markdown import render_markdown
from .model import (
    DEFAULT_TITLE,
    ClauseRow,
    Headline,
    LedgerError,
    Report,
    build_report,
    build_rows,
    headline,
    load_catalogue,
)

__all__ = [
    "ClauseRow",
    "Headline",
    "LedgerError",
    "Report",
    "build_report",
    "build_rows",
    "headline",
    "load_catalogue",
    "read_ledger",
    "render_html",
    "render_markdown",
    "write_reports",
    "write_run_reports",
]

MARKDOWN_NAME, HTML_NAME, LEDGER_NAME = "conformance.md", "conformance.html", "ledger.json"


def read_ledger(path: Path) -> dict[str, Any]:
    """The ledger document; LedgerError when it is missing, not JSON or not shaped like a ledger."""
    try:
        ledger = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LedgerError(f"{path}: {exc}") from None
    if not isinstance(ledger, dict):
        raise LedgerError(f"{path}: expected a JSON object")
    return ledger


def write_reports(
    ledger_path: Path,
    out_dir: Path,
    *,
    target: str | None = None,
    title: str = DEFAULT_TITLE,
    contract: Contract | None = None,
) -> tuple[Path, Path]:
    """Write conformance.md and conformance.html for a ledger; returns their paths."""
    report = build_report(
        read_ledger(ledger_path),
        contract or load_contract(),
        catalogue=load_catalogue(),
        target=target,
        title=title,
    )
    md, page = out_dir / MARKDOWN_NAME, out_dir / HTML_NAME
    write_atomically(md, render_markdown(report))
    write_atomically(page, render_html(report))
    return md, page


def write_run_reports(out_dir: Path, ledger: dict[str, Any], contract: Contract | None = None) -> list[str]:
    """ledger.json, conformance.md and conformance.html of a run, each written atomically; a file
    that cannot be written (a full disk) does not keep the others from being written. Returns one
    line per file not written."""
    report = build_report(ledger, contract or load_contract(), catalogue=load_catalogue())
    files: dict[Path, Callable[[], str]] = {
        out_dir / LEDGER_NAME: lambda: json.dumps(ledger, indent=2),
        out_dir / MARKDOWN_NAME: lambda: render_markdown(report),
        out_dir / HTML_NAME: lambda: render_html(report),
    }
    problems = []
    for path, render in files.items():
        try:
            write_atomically(path, render())
        except OSError as exc:
            problems.append(write_problem(path, exc))
    return problems
