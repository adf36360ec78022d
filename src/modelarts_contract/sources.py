"""Where a source named in the spec leads: each reference resolves to a section of docs/contract.md.

A source is one or more references joined by "; "; a reference may end in a note in parentheses
(a note explains, it points nowhere). The references:

    R<n>                                  a rule, n in 1..18                     #r<n>
    doc                                   the API reference page                  #doc
    doc table <n>[, row A | , rows A, B and C]   a table of the page, n in 1..4   #doc-table-<n>
    doc "<Section>"[, row A | , rows ...]        Function, URI, Example Responses, Status Codes
    SDK <Class>[.<field>]                 ListImageGroupRequest, ListImageGroupResponse, ImageGroup,
                                          Signer, ModelArtsRegion
    OTC error body | OTC error codes | OTC error code ModelArts.<nnnn> | OTC endpoints | OTC API overview

Pure: no file is read here; tests/self/test_sources.py checks that the anchors exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

CONTRACT_DOC = "docs/contract.md"

RULES = range(1, 19)  # R1..R18
DOC_TABLES = range(1, 5)  # tables 1..4 of the page
DOC_SECTIONS = {
    "Function": "doc-function",
    "URI": "doc-uri",
    "Example Responses": "doc-example-responses",
    "Status Codes": "doc-status-codes",
}
SDK_CLASSES = ("ListImageGroupRequest", "ListImageGroupResponse", "ImageGroup", "Signer", "ModelArtsRegion")
OTC_CODES = ("0010", "0101", "0203", "0210", "6101")

_NAME = r"[A-Za-z0-9_]+"
_ROWS = rf"(?:, (?:row (?P<row>{_NAME})|rows (?P<rows>{_NAME}(?:, {_NAME})* and {_NAME})))?"
_FORMS = (
    ("rule", re.compile(r"R(?P<rule>[1-9]\d*)")),
    ("doc", re.compile(rf'doc(?: (?:table (?P<table>[1-9]\d*)|"(?P<section>[A-Za-z ]+)"){_ROWS})?')),
    ("sdk", re.compile(rf"SDK (?P<cls>[A-Za-z]+)(?:\.(?P<field>{_NAME}))?")),
    (
        "otc",
        re.compile(
            r"OTC (?:error (?:(?P<what>body|codes)|code ModelArts\.(?P<code>\d{4}))|(?P<page>endpoints|API overview))"
        ),
    ),
)
GRAMMAR = (
    'R<n>, doc, doc table <n>[, row A | , rows A and B], doc "<Section>"[, row ...], SDK <Class>[.field], '
    "OTC error body, OTC error codes, OTC error code ModelArts.<nnnn>, OTC endpoints or OTC API overview, "
    "each optionally followed by "
    f'" (note)", joined by "; " (see {CONTRACT_DOC}#sources)'
)


class SourceError(ValueError):
    """A source, or a reference in it, that does not resolve to a section of docs/contract.md."""


@dataclass(frozen=True)
class Reference:
    label: str  # the reference as written, without its note: "doc table 3, row pages"
    location: str  # "docs/contract.md#doc-table-3"
    names: tuple[str, ...] = ()  # the rows or the field it cites, which the section must list
    note: str = ""

    @property
    def anchor(self) -> str:
        return self.location.partition("#")[2]


def _split(source: str) -> list[str]:
    """The references of a source: split at ';' outside parentheses (a note may hold a ';')."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(source):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SourceError(f"unbalanced ')' in source {source!r}")
        elif char == ";" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    if depth:
        raise SourceError(f"unbalanced '(' in source {source!r}")
    return [*parts, source[start:]]


def _head_and_note(part: str) -> tuple[str, str]:
    """Split "R2 (32-bit, >= 1)" into "R2" and "32-bit, >= 1": the note is the last group in parentheses."""
    if not part.endswith(")"):
        return part, ""
    depth = 0
    for i in range(len(part) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(part[i], 0)
        if depth == 0:
            head, note = part[:i], part[i + 1 : -1]
            if not head.endswith(" ") or head.endswith("  ") or not note.strip():
                break  # not " (note)": let the head fail to match, with the whole part in the message
            return head[:-1], note
    return part, ""


def _names(found: re.Match[str]) -> tuple[str, ...]:
    if found["row"]:
        return (found["row"],)
    if found["rows"]:
        head, _, last = found["rows"].rpartition(" and ")
        return (*head.split(", "), last)
    return ()


def _known(value: Any, known: Any, shown: str) -> None:
    if value not in known:
        listed = f"{known[0]}..{known[-1]}" if isinstance(known, range) else ", ".join(map(str, known))
        raise SourceError(f"no {shown} in {CONTRACT_DOC} (known: {listed})")


def _resolve(kind: str, found: re.Match[str]) -> tuple[str, tuple[str, ...]]:
    """The anchor of a matched reference and the names it cites; SourceError if it names nothing."""
    if kind == "rule":
        _known(int(found["rule"]), RULES, f"rule R{found['rule']}")
        return f"r{found['rule']}", ()
    if kind == "doc":
        if found["table"]:
            _known(int(found["table"]), DOC_TABLES, f"doc table {found['table']}")
            return f"doc-table-{found['table']}", _names(found)
        if found["section"]:
            _known(found["section"], DOC_SECTIONS, f"doc section {found['section']!r}")
            return DOC_SECTIONS[found["section"]], _names(found)
        return "doc", ()
    if kind == "sdk":
        _known(found["cls"], SDK_CLASSES, f"SDK class {found['cls']}")
        return f"sdk-{found['cls'].lower()}", (found["field"],) if found["field"] else ()
    if found["page"]:
        return f"otc-{found['page'].lower().replace(' ', '-')}", ()
    if found["what"]:
        return f"otc-error-{found['what']}", ()
    _known(found["code"], OTC_CODES, f"OTC error code ModelArts.{found['code']}")
    return f"otc-modelarts-{found['code']}", ()


def parse_reference(part: str) -> Reference:
    head, note = _head_and_note(part)
    for kind, form in _FORMS:
        if found := form.fullmatch(head):
            anchor, names = _resolve(kind, found)
            return Reference(head, f"{CONTRACT_DOC}#{anchor}", names, note)
    raise SourceError(f"cannot resolve {part!r}: a reference is {GRAMMAR}")


def parse_source(source: str) -> tuple[Reference, ...]:
    """The references of a source string, in order; SourceError for anything that does not resolve."""
    if not isinstance(source, str) or not source.strip():
        raise SourceError(f"empty source {source!r}")
    references: list[Reference] = []
    for i, raw in enumerate(_split(source)):
        # References are joined by exactly "; ": anything else is a typo worth reporting.
        part = raw[1:] if i else raw
        if not part or (i and not raw.startswith(" ")) or part != part.strip():
            raise SourceError(f'source {source!r}: references must be joined by "; " (got {raw!r})')
        try:
            references.append(parse_reference(part))
        except SourceError as exc:
            raise SourceError(f"source {source!r}: {exc}") from None
    return tuple(references)


def render_source(source: str) -> str:
    """For a failure message: "R9 (docs/contract.md#r9); doc table 3, row pages (docs/contract.md#doc-table-3)".

    Notes are left out: they are in the spec, and the location leads to the whole story.
    """
    return "; ".join(f"{ref.label} ({ref.location})" for ref in parse_source(source))


def spec_sources(document: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(where, source) for every x-clauses source and every x-source at any depth, in document order."""
    for clause in document.get("x-clauses") or []:
        if isinstance(clause, Mapping):
            yield f"x-clauses {clause.get('id')}", clause.get("source")
    stack: list[tuple[str, Any]] = [("", document)]
    seen: set[int] = set()  # YAML aliases share nodes (a recursive alias would loop): visit each once
    while stack:
        where, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Mapping):
            if "x-source" in node:
                yield f"{where or '/'} x-source", node["x-source"]
            children = [(f"{where}/{key}", value) for key, value in node.items() if key != "x-source"]
        elif isinstance(node, list):
            children = [(f"{where}/{i}", value) for i, value in enumerate(node)]
        else:
            continue
        stack += reversed(children)
