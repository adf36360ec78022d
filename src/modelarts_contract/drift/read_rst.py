"""Reader of the reStructuredText layout (the sources of the OTC docs, opentelekomcloud-docs/*).

The text is parsed with docutils into a node tree and the tree is walked: tables (grid or simple,
with their ``.. table::`` title as caption), literal blocks (``.. code-block::``), section titles
and paragraphs. Sphinx-only roles and directives are registered so that docutils reads them as
Sphinx shows them (``:ref:`Title <target>``` as its title) instead of reporting errors. The input is
hostile: file inclusion and raw passthrough are off, no docutils.conf is read, nothing is printed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from docutils import nodes, utils
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles
from docutils.parsers.rst.directives.body import CodeBlock
from docutils.parsers.rst.states import Inliner

from .blocks import Blocks, Cell, Sections

NAME = "reStructuredText"
LOOKS_FOR = (
    "tables (grid or simple, e.g. under '.. table::') in text that docutils parses as reStructuredText"
)

_SETTINGS: dict[str, Any] = {
    "file_insertion_enabled": False,  # no .. include:: or :file: of local files
    "raw_enabled": False,  # no .. raw::
    "_disable_config": True,  # no docutils.conf from the working or home directory
    "report_level": 3,  # errors are collected (never printed, never fatal): they explain a missing table
    "halt_level": 5,
    "syntax_highlight": "none",  # code blocks need no Pygments lexer
}
_PROBLEM = re.compile(r"^<string>:(\d+): \((?:ERROR|SEVERE)/\d\) (.*)$", re.M)  # docutils' report lines
_EXPLICIT_TITLE = re.compile(r"(?s)(.+?)\s*<[^<>]+>")  # the text of a role, not markup: "Title <target>"


def _title_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Inliner,
    options: Mapping[str, Any] | None = None,
    content: Sequence[str] | None = None,
) -> tuple[list[nodes.reference], list[nodes.reference]]:
    """:ref:, :doc:, ... read as Sphinx renders them: a link whose text is the explicit title, else the target."""
    explicit = _EXPLICIT_TITLE.fullmatch(text)
    return [nodes.reference(rawtext, utils.unescape(explicit.group(1) if explicit else text))], []


class _SphinxCodeBlock(CodeBlock):
    """``.. code-block:: [language]`` with Sphinx's options accepted (and ignored)."""

    option_spec: ClassVar[dict[str, Any]] = {
        **CodeBlock.option_spec,
        "caption": directives.unchanged,
        "emphasize-lines": directives.unchanged,
        "dedent": directives.unchanged,
        "lineno-start": directives.unchanged,
        "force": directives.flag,
        "linenos": directives.flag,
    }


class _Ignored(Directive):
    """Sphinx directives that carry no page content (navigation)."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        return []


def _register_sphinx_markup() -> None:
    """Sphinx's markup into docutils' own registry, before every read: registering a name again
    with the same function changes nothing, so no flag of ours says whether it was done."""
    for role in ("ref", "doc", "numref", "term", "download", "any", "abbr", "guilabel", "menuselection"):
        roles.register_local_role(role, _title_role)
    for name in ("code-block", "sourcecode"):
        directives.register_directive(name, _SphinxCodeBlock)
    for name in ("toctree", "index", "only", "meta"):
        directives.register_directive(name, _Ignored)


def _fill(cell: Cell, node: nodes.Element) -> None:
    for child in node.children:
        if isinstance(child, nodes.Text):
            cell.add(child.astext())
        elif isinstance(child, nodes.system_message | nodes.target | nodes.comment):
            continue
        elif isinstance(child, nodes.strong | nodes.literal):
            start = cell.length
            _fill(cell, child)
            cell.mark(start)
        elif isinstance(child, nodes.list_item):
            cell.add(" ")
            start = cell.length
            _fill(cell, child)
            cell.item(start)
            cell.add(" ")
        elif isinstance(child, nodes.Element):
            # Paragraphs and lists get a space on either side; links and emphasis are part of the line.
            block = isinstance(child, nodes.Body) and not isinstance(child, nodes.Inline)
            if block:
                cell.add(" ")
            _fill(cell, child)
            if block:
                cell.add(" ")


def _cells(row: nodes.Element) -> list[Cell]:
    cells = []
    for entry in (c for c in row.children if isinstance(c, nodes.entry)):
        cell = Cell()
        _fill(cell, entry)
        cell.finish()
        cells.append(cell)
    return cells


def _table(sections: Sections, node: nodes.table) -> None:
    table = sections.table()
    for child in node.children:
        if isinstance(child, nodes.title):
            table.caption = " ".join(child.astext().split())
    for head in node.findall(nodes.thead):
        for row in head.findall(nodes.row):
            if not table.header:
                table.header = [c.text.lower() for c in _cells(row)]
    for body in node.findall(nodes.tbody):
        table.rows.extend(cells for row in body.findall(nodes.row) if (cells := _cells(row)))


def _walk(sections: Sections, node: nodes.Element) -> None:
    for child in node.children:
        if isinstance(child, nodes.section):
            titles = [c for c in child.children if isinstance(c, nodes.title)]
            sections.enter(titles[0].astext() if titles else "")
            _walk(sections, child)
        elif isinstance(child, nodes.table):
            _table(sections, child)
        elif isinstance(child, nodes.literal_block):
            sections.code(child.astext())
        elif isinstance(child, nodes.system_message | nodes.comment | nodes.target | nodes.title):
            continue  # section titles are read with their section
        elif isinstance(child, nodes.TextElement):
            sections.add_text(f" {child.astext()} ")
        elif isinstance(child, nodes.Element):
            _walk(sections, child)


def read(text: str) -> Blocks:
    _register_sphinx_markup()
    stream = io.StringIO()
    document = publish_doctree(text, settings_overrides=dict(_SETTINGS, warning_stream=stream))
    blocks = Blocks()
    blocks.problems = [f"line {n}: {what}" for n, what in _PROBLEM.findall(stream.getvalue())]
    sections = Sections(blocks)
    title = [c for c in document.children if isinstance(c, nodes.title)]
    if title:  # docutils lifts a lone top-level section title to the document's title
        sections.enter(title[0].astext())
    _walk(sections, document)
    return sections.finish()
