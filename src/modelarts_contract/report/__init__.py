"""Conformance report: after a contract run, one row per spec clause with its verdict, in Markdown and HTML.

``python -m modelarts_contract.report DIR`` reads DIR/ledger.json (written by ``pytest --report-dir DIR``)
and writes DIR/conformance.md and DIR/conformance.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelarts_contract import ledger_file
from modelarts_contract.contract import Contract, load_contract

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
]

MARKDOWN_NAME, HTML_NAME = "conformance.md", "conformance.html"


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
    out_dir.mkdir(parents=True, exist_ok=True)
    md, page = out_dir / MARKDOWN_NAME, out_dir / HTML_NAME
    md.write_text(render_markdown(report), encoding="utf-8")
    page.write_text(render_html(report), encoding="utf-8")
    return md, page
