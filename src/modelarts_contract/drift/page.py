"""Parse an API reference page (the OTC/Huawei HTML export) into a neutral model.

The page is read with the stdlib ``html.parser``; regular expressions only ever look at the
*text* of a cell or caption, never at markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


class PageFormatError(ValueError):
    """The input is not an API reference page of the expected format."""


@dataclass
class DocField:
    name: str
    mandatory: bool | None  # None: the table has no Mandatory column (response tables)
    type: str
    description: str
    enum: list[str] | None = None
    default: str | None = None


@dataclass
class DocPage:
    method: str | None = None
    path: str | None = None
    path_params: list[DocField] = field(default_factory=list)
    query_params: list[DocField] = field(default_factory=list)
    header_params: list[DocField] = field(default_factory=list)
    bodies: dict[int, list[DocField]] = field(default_factory=dict)  # response body table per status
    objects: dict[str, list[DocField]] = field(default_factory=dict)  # object tables by type name
    status_codes: dict[int, str] = field(default_factory=dict)


@dataclass
class _Cell:
    text: str = ""
    items: list[str] = field(default_factory=list)  # <li> texts
    marked: list[str] = field(default_factory=list)  # <strong>/<b>/<code> texts, in order
    marked_at: list[int] = field(default_factory=list)  # their offsets in text


@dataclass
class _Table:
    caption: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[_Cell]] = field(default_factory=list)
    status: int | None = None  # the "Status code: NNN" heading above the table


_BLOCK = {"p", "li", "ul", "ol", "br", "div", "tr"}
_MARK = {"strong", "b", "code"}
_STATUS_HEADING = re.compile(r"Status code:\s*(\d{3})")
_URI = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(/\S+)")


class _TableCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self.outside = ""  # text outside tables: status headings and the URI live there
        self._stack: list[_Table] = []
        self._row: list[_Cell] | None = None
        self._header_row = False
        self._cell: _Cell | None = None
        self._caption: list[str] | None = None
        self._li_start: list[int] = []
        self._mark_start: list[int] = []

    def _append(self, text: str) -> None:
        # Collapse whitespace as text arrives so that recorded offsets stay valid.
        text = re.sub(r"\s+", " ", text)
        cell = self._cell
        if cell is None:
            self.outside += text
        else:
            cell.text += text.lstrip() if not cell.text or cell.text.endswith(" ") else text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            status = [int(m) for m in _STATUS_HEADING.findall(self.outside)]
            self._stack.append(_Table(status=status[-1] if status else None))
        elif not self._stack:
            if tag in _BLOCK:
                self._append(" ")
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row, self._header_row = [], False
        elif tag in ("td", "th") and self._row is not None:
            self._cell = _Cell()
            self._header_row = self._header_row or tag == "th"
        elif self._cell is not None:
            if tag in _BLOCK:
                self._append(" ")
            if tag == "li":
                self._li_start.append(len(self._cell.text))
            elif tag in _MARK:
                self._mark_start.append(len(self._cell.text))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif not self._stack:
            if tag in _BLOCK:
                self._append(" ")
        elif tag == "caption" and self._caption is not None:
            self._stack[-1].caption = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._cell.text = self._cell.text.strip()
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self._stack[-1]
            if self._header_row and not table.header:
                table.header = [c.text.lower() for c in self._row]
            elif self._row:
                table.rows.append(self._row)
            self._row = None
        elif self._cell is not None:
            cell = self._cell
            if tag == "li" and self._li_start:
                cell.items.append(cell.text[self._li_start.pop() :].strip())
            elif tag in _MARK and self._mark_start:
                start = self._mark_start.pop()
                if token := cell.text[start:].strip():
                    cell.marked.append(token)
                    cell.marked_at.append(start)
            if tag in _BLOCK:
                self._append(" ")

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        else:
            self._append(data)


def strip_header(text: str) -> str:
    """Drop the export's plain-text header (path, commit, date, size) before the first tag line."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("<"):
            return "".join(lines[i:])
    return text


_ITEM = re.compile(r"([A-Za-z0-9_.\-]+)\s*:")  # "COMMON: common image"
_OPTIONS = re.compile(r"(?i)\b(options are|options:|value can be|values are|value range|enumerat\w*)")
_CAPS = re.compile(r"\b[A-Z][A-Z0-9_]+\b")
_DEFAULT = re.compile(r"(?i)\bdefault(?: value)? (?:is|to|:)\s*[\"']?(-?\d+(?:\.\d+)?|[^\s\"'.,;()]+)")


def _enum(cell: _Cell) -> list[str] | None:
    # A list whose every item reads "TOKEN: meaning" is an enumeration (service_type, type).
    matches = [_ITEM.match(item) for item in cell.items]
    if matches and all(matches):
        return [m.group(1) for m in matches if m]
    # Otherwise a sentence such as "The options are ASC (...) and DESC (...)." lists the values,
    # marked up in <strong> (fall back to words in capitals when nothing is marked).
    found = _OPTIONS.search(cell.text)
    if not found:
        return None
    end = cell.text.find(". ", found.end())
    end = len(cell.text) if end < 0 else end
    tokens = [t for t, at in zip(cell.marked, cell.marked_at, strict=True) if found.start() <= at < end]
    return tokens or _CAPS.findall(cell.text[found.end() : end]) or None


def _field(table: _Table, row: list[_Cell]) -> DocField | None:
    cells = dict(zip(table.header, row, strict=False))
    name = cells.get("parameter")
    if name is None or not name.text:
        return None
    mandatory = cells.get("mandatory")
    desc = cells.get("description", _Cell())
    default = _DEFAULT.search(desc.text)
    return DocField(
        name=name.text,
        mandatory=None if mandatory is None else mandatory.text.lower().startswith("yes"),
        type=cells["type"].text if "type" in cells else "",
        description=desc.text,
        enum=_enum(desc),
        default=default.group(1) if default else None,
    )


def parse_page(text: str) -> DocPage:
    collector = _TableCollector()
    collector.feed(strip_header(text))
    collector.close()
    page = DocPage()
    if uri := _URI.search(collector.outside):
        page.method, page.path = uri.group(1), uri.group(2)
    found_query = False
    for table in collector.tables:
        if table.header and table.header[0].startswith("status code"):
            for row in table.rows:
                code = re.match(r"\d{3}", row[0].text)
                if code:
                    page.status_codes[int(code.group())] = row[1].text if len(row) > 1 else ""
            continue
        if "parameter" not in table.header:
            continue
        fields = [f for f in (_field(table, row) for row in table.rows) if f]
        name = re.sub(r"^Table\s+\d+\s*", "", table.caption).strip()
        kind = name.lower()
        if kind == "path parameters":
            page.path_params = fields
        elif kind == "query parameters":
            page.query_params, found_query = fields, True
        elif kind == "request header parameters":
            page.header_params = fields
        elif kind == "response body parameters":
            page.bodies.setdefault(table.status or 200, fields)
        elif "parameters" not in kind and name:
            page.objects.setdefault(name, fields)  # an object table, named by its type name
    if not found_query:
        raise PageFormatError("no 'Query Parameters' table found: not an API reference page of this format")
    return page
