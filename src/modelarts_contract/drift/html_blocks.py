"""Collect the blocks of an HTML page (both HTML layouts share this; each says what its markup means).

The page is read with the stdlib ``html.parser``, never with regular expressions over markup. What
differs between layouts (which cells are header cells, where a caption's text sits, which elements
carry no content) is an `HtmlLayout` given by the layout's reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .blocks import Blocks, Cell, Sections, Table

Predicate = Callable[[str, frozenset[str]], bool]  # (tag, classes) -> yes or no

_BLOCK = {"p", "li", "ul", "ol", "br", "div", "tr", "pre", "section", "dl", "dt", "dd"}
_MARK = {"strong", "b", "code"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_NO_CONTENT = {"script", "style", "title", "template"}


@dataclass(frozen=True)
class HtmlLayout:
    name: str
    header_cell: Predicate  # a cell of the table's header row
    caption_text: Predicate | None = None  # the element inside <caption> that holds its text (None: all)
    skip: Predicate = lambda tag, classes: False  # elements whose text is not content (link marks)


def _classes(attrs: list[tuple[str, str | None]]) -> frozenset[str]:
    return frozenset(" ".join(v or "" for k, v in attrs if k == "class").split())


@dataclass
class _TableState:
    table: Table
    row: list[Cell] | None = None
    header_row: bool = False
    cell: Cell | None = None
    starts: list[tuple[str, int]] = field(default_factory=list)  # open <li>/<strong>/... and their offsets


class _Collector(HTMLParser):
    def __init__(self, layout: HtmlLayout) -> None:
        super().__init__(convert_charrefs=True)
        self.layout = layout
        self.blocks = Blocks()
        self.sections = Sections(self.blocks)
        self._tables: list[_TableState] = []
        self._skip: list[str] = []  # the open element being skipped, once per nesting level
        self._heading: list[str] | None = None
        self._caption: list[str] | None = None  # all the caption's text
        self._caption_inner: list[str] = []  # the text of its text element, where the layout names one
        self._caption_tag: str | None = None  # the caption's text element, when the layout names one
        self._caption_depth = 0  # > 0 inside it (nested elements of the same tag counted)
        self._code: list[str] | None = None

    # -- where text goes -------------------------------------------------------------------------
    def _text(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)
        elif self._heading is not None:
            self._heading.append(data)
        elif self._caption is not None:
            self._caption.append(data)
            if self._caption_depth:
                self._caption_inner.append(data)
        elif self._tables and (cell := self._tables[-1].cell) is not None:
            cell.add(data)
        elif not self._tables:
            self.sections.add_text(data)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text(data)

    # -- structure ---------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = _classes(attrs)
        if self._skip:
            if tag == self._skip[0]:
                self._skip.append(tag)
            return
        if tag in _NO_CONTENT or self.layout.skip(tag, classes):
            self._skip.append(tag)
            return
        if self._caption is not None and self.layout.caption_text:
            if self._caption_depth and tag == self._caption_tag:
                self._caption_depth += 1
            elif not self._caption_depth and self.layout.caption_text(tag, classes):
                self._caption_tag, self._caption_depth = tag, 1
        if tag in _HEADINGS and not self._tables:
            self._heading = []
        elif tag == "pre" and self._code is None:
            self._code = []
        elif tag == "table":
            self._tables.append(_TableState(self.sections.table()))
        elif tag == "caption" and self._tables:
            self._caption, self._caption_inner = [], []
            self._caption_tag, self._caption_depth = None, 0
        elif tag == "tr" and self._tables:
            state = self._tables[-1]
            state.row, state.header_row = [], False
        elif tag in ("td", "th") and self._tables and self._tables[-1].row is not None:
            state = self._tables[-1]
            state.cell, state.starts = Cell(), []
            state.header_row = state.header_row or self.layout.header_cell(tag, classes)
        elif self._tables and (cell := self._tables[-1].cell) is not None:
            if tag in _BLOCK:
                cell.add(" ")
            if tag == "li" or tag in _MARK:
                self._tables[-1].starts.append((tag, cell.length))
        elif tag in _BLOCK and not self._tables:
            self.sections.add_text(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if self._caption is not None and self._caption_depth and tag == self._caption_tag:
            self._caption_depth -= 1
        if tag in _HEADINGS and self._heading is not None:
            self.sections.enter("".join(self._heading))
            self._heading = None
        elif tag == "pre" and self._code is not None:
            self.sections.code("".join(self._code))
            self._code = None
        elif tag == "table" and self._tables:
            self._tables.pop()
        elif tag == "caption" and self._caption is not None and self._tables:
            # The text element's text where there is one (plain docutils HTML has none: all of it).
            text = self._caption_inner if self._caption_tag else self._caption
            self._tables[-1].table.caption = " ".join("".join(text).split())
            self._caption = None
        elif tag in ("td", "th") and self._tables and self._tables[-1].cell is not None:
            self._end_cell(self._tables[-1])
        elif tag == "tr" and self._tables and self._tables[-1].row is not None:
            self._end_row(self._tables[-1])
        elif self._tables and (cell := self._tables[-1].cell) is not None:
            self._end_in_cell(tag, self._tables[-1], cell)
        elif tag in _BLOCK and not self._tables:
            self.sections.add_text(" ")

    @staticmethod
    def _end_cell(state: _TableState) -> None:
        assert state.cell is not None
        state.cell.finish()
        if state.row is not None:
            state.row.append(state.cell)
        state.cell = None

    @staticmethod
    def _end_row(state: _TableState) -> None:
        assert state.row is not None
        if state.header_row and not state.table.header:
            state.table.header = [c.text.lower() for c in state.row]
        elif state.row:
            state.table.rows.append(state.row)
        state.row = None

    @staticmethod
    def _end_in_cell(tag: str, state: _TableState, cell: Cell) -> None:
        starts = state.starts
        if (tag == "li" or tag in _MARK) and starts and starts[-1][0] == tag:
            _, start = starts.pop()
            if tag == "li":
                cell.item(start)
            else:
                cell.mark(start)
        if tag in _BLOCK:
            cell.add(" ")


def collect(text: str, layout: HtmlLayout) -> Blocks:
    collector = _Collector(layout)
    collector.feed(text)
    collector.close()
    return collector.sections.finish()


class _Census(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: set[tuple[str, str]] = set()  # (tag, class); class "" for the tag itself

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add((tag, ""))
        self.seen.update((tag, c) for c in _classes(attrs))


def census(text: str) -> set[tuple[str, str]]:
    """The elements of an HTML page, as (tag, class) pairs: what layout detection looks at."""
    parser = _Census()
    parser.feed(text)
    parser.close()
    return parser.seen
