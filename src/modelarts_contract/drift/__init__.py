"""Drift check: compare a published API reference page with the hand-written OpenAPI spec.

``python -m modelarts_contract.drift DOC [--spec openapi/images-group.yaml] [--format text|json]``

DOC is a file or an http(s) URL in one of three layouts, told by content: doc-exports HTML,
Sphinx-rendered HTML, reStructuredText. Each is read into one neutral model (`DocPage`), which
`compare` holds against the spec.
"""

from .compare import compare, load_spec
from .differences import KINDS, Difference
from .layout import LAYOUTS, parse_page
from .model import DocField, DocPage, Example, PageFormatError

__all__ = [
    "KINDS",
    "LAYOUTS",
    "Difference",
    "DocField",
    "DocPage",
    "Example",
    "PageFormatError",
    "compare",
    "load_spec",
    "parse_page",
]
