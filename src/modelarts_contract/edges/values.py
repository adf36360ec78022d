"""Generic edge values (what implementations get wrong, whatever the spec says) and the `Edge`."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Lengths at the limits of common storage and buffers: 255/256 (VARCHAR(255), one-byte length
# prefixes), 511-513 (the documented name limit, 512, and 2^9 buffers), 1,024 and 4,096 (buffer and
# page sizes; well under the 8 KB URL limit of common gateways). Limits the documented format
# implies are added per parameter.
COMMON_LENGTHS = (0, 1, 255, 256, 257, 511, 512, 513, 1024, 4096)
FILL = "a"  # a lower-case letter: inside every documented format, so a length edge tests length only
# Every ASCII punctuation character: quotes and backslash (SQL and shell quoting), % and _ (LIKE),
# * ? [ (glob), . ^ $ ( ) + { } | (regular expressions), & = # ; + (query-string syntax).
PUNCTUATION = string.punctuation
WHITESPACE_AND_CONTROL = {
    "space": " ",  # trimmed by lenient parsers; '+' on the wire
    "tab": "\t",
    "line feed": "\n",  # log injection, line-based protocols
    "NUL": "\x00",  # ends a C string
    "escape": "\x1b",  # terminal escapes
    "DEL": "\x7f",
}
NON_ASCII = {
    "Latin-1": "é",  # two bytes in UTF-8, one in Latin-1: a charset mix-up shows
    "CJK": "镜像",  # three bytes each
    "emoji": "😀",  # four bytes: MySQL's utf8 (utf8mb3) rejects it
    "combining mark": "e\u0301",  # 'é' decomposed: a normalising server matches the composed one
    "right-to-left": "שלום",  # bidirectional text
}
# Text that looks percent-encoded: a server that decodes twice reads '_', '%' and NUL.
PERCENT_LOOKING = ("%5F", "%25", "%00")
# Wildcards of LIKE (_ %), regular expressions (.) and globs (* ?): each replaces one character of
# a value from the data, which then matches nothing unless the server reads it as a pattern.
METACHARACTERS = ("_", "%", ".", "*", "?")
# Integer formats and the range they hold: an implementation may hold a value in a narrower type.
FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# Result windows of common search backends: Elasticsearch and OpenSearch refuse offset + limit
# above index.max_result_window (10,000 by default); 100,000 is the next common cap.
BACKEND_WINDOWS = (10_000, 10_001, 100_000)
MALFORMED_INTEGERS = ("1.5", "abc", "")  # a fraction, no digits, an empty value: all malformed (R3)
# Spellings lenient boolean parsers accept (Go's strconv.ParseBool, Python's strtobool, YAML 1.1).
LENIENT_BOOLEANS = ("TRUE", "True", "FALSE", "False", "1", "0", "t", "F", "yes", "no", "on", "off")
FILTER_PAGE = 5  # the page size of the filter x sort edges: their page is the second one


def _alternating(value: str) -> str:
    return "".join(c.lower() if i % 2 == 0 else c.upper() for i, c in enumerate(value))


CASE_VARIANTS: dict[str, Callable[[str], str]] = {
    "lower case": str.lower,
    "upper case": str.upper,
    "capitalised": str.capitalize,
    "alternating case": _alternating,
}
WHITESPACE_AROUND = {"leading space": " {}", "trailing space": "{} "}


@dataclass(frozen=True)
class Edge:
    """One request at an edge: its family (the test that judges it), kind, label and query."""

    family: str  # "free-string", "integer", "end-of-listing", "enum", "boolean", "sort-key", "filter-sort"
    kind: str  # within the family: "length", "punctuation", "int32", ...
    label: str  # what is at the edge, readable
    params: tuple[tuple[str, str], ...]

    @property
    def query(self) -> dict[str, str]:
        return dict(self.params)

    def __str__(self) -> str:
        shown = ", ".join(f"{name}={shown_value(value)}" for name, value in self.params)
        return f"{self.family}/{self.kind} {self.label} ({shown})"


def shown_value(value: str, limit: int = 40) -> str:
    """A value as a reader can see it: escapes for control characters, long values cut short."""
    return repr(value) if len(value) <= limit else f"{value[:8]!r}... ({len(value)} characters)"


def make_edge(family: str, kind: str, label: str, **params: str) -> Edge:
    return Edge(family, kind, label, tuple(params.items()))


def unique_edges(edges: Iterable[Edge]) -> list[Edge]:
    """Edges in order, each query once (a value two rules produce is sent once, under its first name)."""
    unique: dict[tuple[tuple[str, str], ...], Edge] = {}
    for edge in edges:
        unique.setdefault(edge.params, edge)
    return list(unique.values())
