"""Conformance report: after a contract run, one row per spec clause with its verdict, in Markdown and HTML.

``python -m modelarts_contract.report DIR`` reads DIR/ledger.json (written by ``pytest --report-dir DIR``)
and writes DIR/conformance.md and DIR/conformance.html.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from modelarts_contract import ledger_file
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
)

__all__ = [
    "ClauseRow",
    "Headline",
    "LedgerError",
    "Report",
    "build_report",
    "build_rows",
    "headline",
    "read_ledger",
    "render_html",
    "render_markdown",
    "write_reports",
    "write_run_reports",
]

MARKDOWN_NAME, HTML_NAME, LEDGER_NAME = "conformance.md", "conformance.html", "ledger.json"


def read_ledger(path: Path) -> dict[str, Any]:
    """The ledger document; LedgerError when it is missing, not JSON, of another schema version or
    not shaped like a ledger (the one reader, shared with compare and history)."""
    return ledger_file.read_ledger(path)


def write_reports(
    ledger_path: Path,
    out_dir: Path,
    *,
    target: str | None = None,
    title: str = DEFAULT_TITLE,
    contract: Contract | None = None,
    catalogue: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write conformance.md and conformance.html for a ledger; returns their paths. The variant
    catalogue, for the "proven by" column, comes from the caller (the report sits below it)."""
    report = build_report(
        read_ledger(ledger_path),
        contract or load_contract(),
        catalogue=catalogue,
        target=target,
        title=title,
    )
    md, page = out_dir / MARKDOWN_NAME, out_dir / HTML_NAME
    write_atomically(md, render_markdown(report))
    write_atomically(page, render_html(report))
    return md, page


def write_run_reports(
    out_dir: Path,
    ledger: dict[str, Any],
    *,
    contract: Contract | None = None,
    catalogue: Mapping[str, Any] | None = None,
) -> list[str]:
    """ledger.json, conformance.md and conformance.html of a run, each written atomically; a file
    that cannot be written (a full disk) does not keep the others from being written. Returns one
    line per file not written."""
    report = build_report(ledger, contract or load_contract(), catalogue=catalogue)
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
