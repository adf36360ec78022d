"""Reader of the Sphinx-rendered HTML layout (the OTC docs site, built from the RST sources).

Its marks: docutils' HTML tables, with header cells ``th.head`` and rows ``tr.row-odd`` /
``tr.row-even``; a caption's text in ``span.caption-text`` (beside an optional ``span.caption-number``
and an ``a.headerlink`` pilcrow, neither of them content); code examples in ``div.highlight pre``.
"""

from __future__ import annotations

from .blocks import Blocks
from .html_blocks import HtmlLayout, collect

NAME = "Sphinx HTML"
LOOKS_FOR = "th.head header cells in tr.row-odd / tr.row-even rows (docutils/Sphinx tables)"


def _not_content(tag: str, classes: frozenset[str]) -> bool:
    # The pilcrow link after headings and captions, the "Table 2" number when numfig is on, and the
    # site's navigation, whose links repeat headings of other pages.
    return bool({"headerlink", "caption-number"} & classes) or tag == "nav"


LAYOUT = HtmlLayout(
    name=NAME,
    header_cell=lambda tag, classes: tag == "th" and "head" in classes,
    caption_text=lambda tag, classes: tag == "span" and "caption-text" in classes,
    skip=_not_content,
)


def looks_like(seen: set[tuple[str, str]]) -> bool:
    return ("th", "head") in seen and bool({("tr", "row-odd"), ("tr", "row-even")} & seen)


def read(text: str) -> Blocks:
    return collect(text, LAYOUT)
