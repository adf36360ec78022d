"""Drift check: compare a published API reference page with the hand-written OpenAPI spec.

``python -m modelarts_contract.drift DOC.html [--spec openapi/images-group.yaml] [--format text|json]``
"""

from .compare import KINDS, Difference, compare, load_spec
from .page import DocField, DocPage, PageFormatError, parse_page

__all__ = [
    "KINDS",
    "Difference",
    "DocField",
    "DocPage",
    "PageFormatError",
    "compare",
    "load_spec",
    "parse_page",
]
