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
    text: str = ""
    items: list[str] = field(default_factory=list)  # list item texts
    marked: list[str] = field(default_factory=list)  # bold / code texts, in order
    marked_at: list[int] = field(default_factory=list)  # their offsets in text

    def add(self, text: str) -> None:
        """Append text with whitespace collapsed as it arrives, so that recorded offsets stay valid."""
        text = _SPACE.sub(" ", text).translate(_QUOTES)
        self.text += text.lstrip() if not self.text or self.text.endswith(" ") else text

    def mark(self, start: int) -> None:
        """Record the marked-up words written since offset `start`."""
        if token := self.text[start:].strip():
            self.marked.append(token)
            self.marked_at.append(start + len(self.text[start:]) - len(self.text[start:].lstrip()))

    def item(self, start: int) -> None:
        """Record the list item written since offset `start`."""
        self.items.append(self.text[start:].strip())


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
    """Tracks the current section and the last status line in it, as a reader walks a page in order."""

    def __init__(self, blocks: Blocks) -> None:
        self.blocks = blocks
        self.name = ""

    def enter(self, heading: str) -> None:
        self.name = " ".join(heading.split())
        self.blocks.text.setdefault(self.name, "")

    def add_text(self, text: str) -> None:
        self.blocks.text[self.name] = self.blocks.text.get(self.name, "") + text

    def status(self) -> int | None:
        found = STATUS_LINE.findall(self.blocks.text.get(self.name, ""))
        return int(found[-1]) if found else None

    def table(self) -> Table:
        table = Table(section=self.name, status=self.status())
        self.blocks.tables.append(table)
        return table

    def code(self, text: str) -> None:
        self.blocks.code.append(Code(text, self.name, self.status()))
