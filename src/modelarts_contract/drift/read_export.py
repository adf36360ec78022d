"""Reader of the doc-exports HTML layout (the HTML export of the OTC/Huawei documentation sources).

Its marks: tables in ``div.tablenoborder`` with ``cellrowborder`` cells, ``h1.topictitle1`` and
``h4.sectiontitle`` headings; captions such as ``<b>Table 2 </b>Query Parameters``; header cells are
plain ``th``. An export file may start with a plain-text header (path, commit, date, size).
"""

from __future__ import annotations

from .blocks import Blocks
from .html_blocks import HtmlLayout, collect

NAME = "doc-exports HTML"
LOOKS_FOR = "div.tablenoborder / td.cellrowborder tables, h1.topictitle1 or h4.sectiontitle headings"
_MARKS = {("div", "tablenoborder"), ("td", "cellrowborder"), ("h1", "topictitle1"), ("h4", "sectiontitle")}

LAYOUT = HtmlLayout(name=NAME, header_cell=lambda tag, classes: tag == "th")


def looks_like(seen: set[tuple[str, str]]) -> bool:
    """A page with tables and at least one of the export's own marks."""
    return ("table", "") in seen and bool(_MARKS & seen)


def strip_header(text: str) -> str:
    """Drop the export's plain-text header (path, commit, date, size) before the first tag line."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("<"):
            return "".join(lines[i:])
    return text


def read(text: str) -> Blocks:
    return collect(strip_header(text), LAYOUT)
