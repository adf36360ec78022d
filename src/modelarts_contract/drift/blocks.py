"""What a layout reader takes out of a page: tables, code blocks and the text between them.

Each reader (doc-exports HTML, Sphinx HTML, reStructuredText) fills these from its own markup; from
here on nothing depends on the layout. Cells keep their list items and marked-up (bold, code) words
with their offsets, because enum values are written as lists or as bold words in a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPACE = re.compile(r"\s+")
# Sphinx turns straight quotes into typographic ones (smartquotes); the RST and the export keep them.
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@dataclass
class Cell:
    """A table cell: its text (whitespace collapsed), its list items and its marked-up words.

    Readers `add` text and record spans by offset while they walk; `finish` joins the text once, so a
    cell of many small pieces costs linear time (a hostile page can have a million of them).
    """

    text: str = ""
    items: list[str] = field(default_factory=list)  # list item texts
    marked: list[str] = field(default_factory=list)  # bold / code texts, in order
    marked_at: list[int] = field(default_factory=list)  # their offsets in text
    _parts: list[str] = field(default_factory=list, repr=False, compare=False)
    _spans: list[tuple[bool, int, int]] = field(default_factory=list, repr=False, compare=False)
    length: int = field(default=0, repr=False, compare=False)  # of the text added so far
    _space_last: bool = field(default=True, repr=False, compare=False)  # nothing yet counts as a space

    def add(self, text: str) -> None:
        """Append text with whitespace collapsed as it arrives, so that recorded offsets stay valid."""
        text = _SPACE.sub(" ", text).translate(_QUOTES)
        if self._space_last:
            text = text.lstrip()
        if text:
            self._parts.append(text)
            self.length += len(text)
            self._space_last = text.endswith(" ")

    def mark(self, start: int) -> None:
        """The text added since offset `start` is marked up (bold, code)."""
        self._spans.append((True, start, self.length))

    def item(self, start: int) -> None:
        """The text added since offset `start` is a list item."""
        self._spans.append((False, start, self.length))

    def finish(self) -> None:
        """Join the text and read the recorded spans out of it (once, when the cell ends)."""
        self.text = "".join(self._parts)
        for marked, start, end in self._spans:
            token = self.text[start:end]
            if not marked:
                self.items.append(token.strip())
            elif token.strip():
                self.marked.append(token.strip())
                self.marked_at.append(start + len(token) - len(token.lstrip()))
        self.text = self.text.rstrip()
        self._parts, self._spans = [], []


@dataclass
class Table:
    caption: str = ""  # "Table 2 Query Parameters"
    header: list[str] = field(default_factory=list)  # lower-cased header cell texts
    rows: list[list[Cell]] = field(default_factory=list)
    section: str = ""  # the heading the table sits under
    status: int | None = None  # the "Status code: NNN" line above it, in the same section


@dataclass
class Code:
    text: str
    section: str = ""
    status: int | None = None


@dataclass
class Blocks:
    tables: list[Table] = field(default_factory=list)
    code: list[Code] = field(default_factory=list)
    text: dict[str, str] = field(default_factory=dict)  # section heading -> its text outside tables
    problems: list[str] = field(default_factory=list)  # what the parser could not read, where


STATUS_LINE = re.compile(r"Status code:\s*(\d{3})")


class Sections:
    """Tracks the current section and the last status line in it, as a reader walks a page in order.

    Text is kept in pieces and joined once (`finish`): a page of a million small pieces costs
    linear time. The status line is looked for in each piece with the end of the one before, so a
    line split across pieces ("Status code: " + "200") is still seen.
    """

    _OVERLAP = 40  # longer than any status line

    def __init__(self, blocks: Blocks) -> None:
        self.blocks = blocks
        self.name = ""
        self._parts: dict[str, list[str]] = {}
        self._tail = ""
        self._status: int | None = None

    def enter(self, heading: str) -> None:
        self.name = " ".join(heading.split())
        self._parts.setdefault(self.name, [])
        self._tail, self._status = "", None

    def add_text(self, text: str) -> None:
        self._parts.setdefault(self.name, []).append(text)
        window = self._tail + text
        if found := STATUS_LINE.findall(window):
            self._status = int(found[-1])
        self._tail = window[-self._OVERLAP :]

    def status(self) -> int | None:
        return self._status

    def table(self) -> Table:
        table = Table(section=self.name, status=self.status())
        self.blocks.tables.append(table)
        return table

    def code(self, text: str) -> None:
        self.blocks.code.append(Code(text, self.name, self.status()))

    def finish(self) -> Blocks:
        self.blocks.text = {name: "".join(parts) for name, parts in self._parts.items()}
        return self.blocks
