"""Which layout a page is in, told by its content, and the page read into the neutral model."""

from __future__ import annotations

from . import read_export, read_rst, read_sphinx
from .html_blocks import census
from .interpret import build
from .model import DocPage, PageFormatError

HTML_READERS = (read_sphinx, read_export)  # Sphinx's marks are the more specific: tried first
LAYOUTS = (read_export.NAME, read_sphinx.NAME, read_rst.NAME)


def _looked_for() -> str:
    return "; ".join(f"{r.NAME}: {r.LOOKS_FOR}" for r in (read_export, read_sphinx, read_rst))


def parse_page(text: str) -> DocPage:
    """The page in the neutral model; PageFormatError names what was looked for when no layout fits."""
    seen = census(text)
    if ("table", "") in seen:
        for reader in HTML_READERS:
            if reader.looks_like(seen):
                return build(reader.read(text), reader.NAME)
        raise PageFormatError(
            f"unknown page layout: an HTML page with tables, but not one of {_looked_for()}"
        )
    try:
        blocks = read_rst.read(text)
    except RecursionError:  # nesting deeper than docutils walks
        raise PageFormatError("unknown page layout: nested too deeply to read as reStructuredText") from None
    if not blocks.tables:
        raise PageFormatError(f"unknown page layout: no tables found; looked for {_looked_for()}")
    return build(blocks, read_rst.NAME)
