"""Build the neutral model of a page from its blocks, whatever layout they were read from.

Regular expressions here only ever look at the *text* of a cell, a caption or a section, never at
markup: the readers have already taken the markup apart.
"""

from __future__ import annotations

import json
import re

from .blocks import Blocks, Cell, Table
from .model import DocField, DocPage, Example, PageFormatError

_URI = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(/\S+)")
_ITEM = re.compile(r"([A-Za-z0-9_.\-]+)\s*:\s*(.*)", re.S)  # "COMMON: common image"
_OPTIONS = re.compile(r"(?i)\b(options are|options:|value can be|values are|value range|enumerat\w*)")
_CAPS = re.compile(r"\b[A-Z][A-Z0-9_]+\b")
_DEFAULT = re.compile(r"(?i)\bdefaults?(?: value)? (?:is|to|:)\s*[\"']?(-?\d+(?:\.\d+)?|[^\s\"'.,;()]+)")
_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)")
_JOINERS = re.compile(r"(?i)^[\s,;:.\-]*|[\s,;:]*(?:\band\b|\bor\b)?[\s,;:.]*$")


def _between(text: str) -> str:
    """The description of an enum value written inline: "ASC (ascending order) and ..." -> the parenthesis,
    else the words up to the next value without the joining "and"/"or" and punctuation."""
    if found := _PARENTHESIS.match(text):
        return found.group(1).strip()
    return _JOINERS.sub("", text)


def _enum(cell: Cell) -> dict[str, str] | None:
    # A list whose every item reads "TOKEN: meaning" is an enumeration (service_type, type).
    matches = [_ITEM.fullmatch(item) for item in cell.items]
    if matches and all(matches):
        return {m.group(1): m.group(2).strip() for m in matches if m}
    # Otherwise a sentence such as "The options are ASC (...) and DESC (...)." lists the values,
    # marked up in bold (falling back to words in capitals when nothing is marked).
    found = _OPTIONS.search(cell.text)
    if not found:
        return None
    end = cell.text.find(". ", found.end())
    end = len(cell.text) if end < 0 else end
    spots = [(t, at) for t, at in zip(cell.marked, cell.marked_at, strict=True) if found.start() <= at < end]
    if not spots:
        spots = [(m.group(), m.start()) for m in _CAPS.finditer(cell.text, found.end(), end)]
    if not spots:
        return None
    stops = [at for _, at in spots[1:]] + [end]
    return {
        token: _between(cell.text[at + len(token) : stop])
        for (token, at), stop in zip(spots, stops, strict=True)
    }


def _field(table: Table, row: list[Cell]) -> DocField | None:
    cells = dict(zip(table.header, row, strict=False))
    name = cells.get("parameter")
    if name is None or not name.text:
        return None
    mandatory = cells.get("mandatory")
    desc = cells.get("description", Cell())
    default = _DEFAULT.search(desc.text)
    return DocField(
        name=name.text,
        mandatory=None if mandatory is None else mandatory.text.lower().startswith("yes"),
        type=cells["type"].text if "type" in cells else "",
        description=desc.text,
        enum=_enum(desc),
        default=default.group(1) if default else None,
    )


def _example(text: str) -> Example:
    try:
        return Example(body=json.loads(text), text=text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser goes
        return Example(problem=f"not JSON: {str(exc)[:200]}", text=text)


def _uri(blocks: Blocks) -> re.Match[str] | None:
    # The "URI" section first: elsewhere a page may quote other operations.
    return _URI.search(blocks.text.get("URI", "")) or _URI.search(" ".join(blocks.text.values()))


def build(blocks: Blocks, layout: str) -> DocPage:
    page = DocPage(layout=layout)
    if uri := _uri(blocks):
        page.method, page.path = uri.group(1), uri.group(2)
    found_query = False
    for table in blocks.tables:
        if table.header and table.header[0].startswith("status code"):
            for row in table.rows:
                if code := re.match(r"\d{3}", row[0].text):
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
    for block in blocks.code:
        if block.section.lower() == "example responses" and block.status is not None:
            page.examples.setdefault(block.status, _example(block.text))
    if not found_query:
        why = f" ({layout} errors: {'; '.join(blocks.problems[:3])})" if blocks.problems else ""
        raise PageFormatError(
            f"no 'Query Parameters' table found in this {layout} page{why}: not the API reference page of an operation"
        )
    return page
