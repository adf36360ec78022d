"""Edge mutants (issue 10): defects that show only at the edges of the input space, where the edge
layer (modelarts_contract.edges) sends its requests: quoting, wildcards, decoding, column limits,
character sets, 32-bit arithmetic, search windows, text order, repeated keys, trimming, later pages.

Kinds an older mutant already covers: LIKE wildcards and ignored case in the name filter
(name-filter-like, name-filter-case-insensitive), a crash on any non-ASCII name
(crash-on-non-ascii-name), a crash on a large limit (crash-on-large-limit), lenient booleans
(fuzzy-match-lenient), enum values in another case (sort-dir-case-insensitive, unknown-enum-accepted).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import unquote

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from modelarts_contract.reference import Dataset, Group, ListQuery, ReferenceApp, Store
from modelarts_contract.reference.app import INT32_MAX
from modelarts_contract.reference.store import SqlArgs

from .base import mutant, with_args
from .filter_mutants import _NameSql, _swap

FILTER_FIELDS = ("name", "namespace")
SEARCH_WINDOW = 10_000  # Elasticsearch's default index.max_result_window
COLUMN_LENGTH = 255  # VARCHAR(255)
NUMERIC_KEYS = ("create_at", "update_at", "version_count")


class SqlBuiltByHand(Store):
    """Filter values pasted into the SQL between quotes, unescaped: a quote in one is a syntax error, a 500."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        parts = sql.split("?")
        inlined = "".join(part + (f"'{args[i]}'" if i < len(args) else "") for i, part in enumerate(parts))
        return inlined, []


def _edit_args(names: tuple[str, ...], edit: Callable[[str], str]) -> Callable[[MultiDict[str, str]], None]:
    """An edit for `with_args`: `edit` applied to each of `names` that the query has."""

    def apply(args: MultiDict[str, str]) -> None:
        for name in names:
            if name in args:
                args[name] = edit(args[name])

    return apply


class FilterValuesTrimmed(ReferenceApp):
    """name and namespace trimmed of surrounding whitespace (a form library's habit): name=' ' is no filter."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        return super().parse_query(with_args(request, _edit_args(FILTER_FIELDS, str.strip)), project_id)


class PercentDecodedTwice(ReferenceApp):
    """name and namespace percent-decoded a second time (a proxy already decoded once): '%5F' reads '_'."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        return super().parse_query(with_args(request, _edit_args(FILTER_FIELDS, unquote)), project_id)


class EnumWhitespaceTrimmed(ReferenceApp):
    """Enum and boolean values trimmed before validation: ' ASC', 'DEDICATED ' and ' name' pass."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def edit(args: MultiDict[str, str]) -> None:
            _edit_args(("type", "service_type", "sort_dir", "name_fuzzy_match"), str.strip)(args)
            if "sort_key" in args:
                args["sort_key"] = ",".join(key.strip() for key in args["sort_key"].split(","))

        return super().parse_query(with_args(request, edit), project_id)


class NameFilterGlob(_NameSql):
    """name matched with GLOB '*name*': '*', '?' and '[...]' are wildcards."""

    substring = "name GLOB '*' || ? || '*'"
    equals = "name GLOB ?"


def _regexp(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False  # an invalid pattern matches nothing, so the defect is the wildcards, not a crash


class NameFilterRegex(_NameSql):
    """name read as a regular expression (REGEXP): '.' matches any character."""

    substring = "name REGEXP ?"
    equals = "name REGEXP '^(?:' || ? || ')$'"

    def __init__(self, dataset: Dataset) -> None:
        super().__init__(dataset)
        self._db.create_function("regexp", 2, _regexp, deterministic=True)


class NamespaceCaseInsensitive(Store):
    """namespace compared ignoring case (a case-insensitive collation)."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        return (
            (_swap(sql, "namespace = ?", "namespace = ? COLLATE NOCASE"), args)
            if q.namespace
            else (sql, args)
        )


class NamespaceLike(Store):
    """namespace compared with LIKE: '_' and '%' are wildcards and ASCII case is ignored."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        return (_swap(sql, "namespace = ?", "namespace LIKE ?"), args) if q.namespace else (sql, args)


class _CheckedValues(Store):
    """Raises, as a stricter storage layer would, on a filter value it cannot hold: a 500."""

    def refuses(self, value: str) -> bool:
        raise NotImplementedError

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        for value in (q.name, q.namespace, q.workspace_id):
            if value and self.refuses(value):
                raise ValueError(f"{type(self).__name__}: cannot bind {value[:20]!r}")
        return super().where(q)


class ColumnLength255(_CheckedValues):
    """Filter values bound to VARCHAR(255) columns: a longer value raises, a 500."""

    def refuses(self, value: str) -> bool:
        return len(value) > COLUMN_LENGTH


class FourByteCharacterCrash(_CheckedValues):
    """Filter values go to a utf8mb3 column (MySQL's 'utf8'): a 4-byte character (an emoji) raises, a 500."""

    def refuses(self, value: str) -> bool:
        return any(ord(c) > 0xFFFF for c in value)


class ControlCharacterCrash(_CheckedValues):
    """Filter values go through a C-string API: NUL or another control character raises, a 500."""

    def refuses(self, value: str) -> bool:
        return any(ord(c) < 0x20 or c == "\x7f" for c in value)


class OffsetPlusLimitInt32(Store):
    """The page end, offset + limit, is a 32-bit sum: past 2^31 - 1 it wraps negative and the page is empty."""

    def page(self, q: ListQuery) -> tuple[int, int]:
        end = (q.offset + q.limit + 2**31) % 2**32 - 2**31
        return (0, q.offset) if end < q.offset else super().page(q)


class SearchWindowError(Store):
    """A search backend's result window: offset + limit above 10,000 raises (Elasticsearch), a 500."""

    def page(self, q: ListQuery) -> tuple[int, int]:
        if q.offset + q.limit > SEARCH_WINDOW:
            raise RuntimeError("Result window is too large, from + size must be less than or equal to 10000")
        return super().page(q)


class SearchWindowEmpty(Store):
    """A search backend's result window: offset + limit above 10,000 answers an empty page (total still right)."""

    def page(self, q: ListQuery) -> tuple[int, int]:
        return (0, q.offset) if q.offset + q.limit > SEARCH_WINDOW else super().page(q)


class NumericKeysSortedAsText(Store):
    """Numeric sort keys compared as text: version_count 10 sorts before 9."""

    def order_by(self, q: ListQuery) -> str:
        order = super().order_by(q)
        for key in NUMERIC_KEYS:
            order = re.sub(rf"\b{key} (ASC|DESC)", rf"CAST({key} AS TEXT) \1", order)
        return order


class RepeatedSortKeyCrash(ReferenceApp):
    """A repeated sort key reaches a query builder that refuses a column twice: a 500."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        if len(set(q.sort_key)) != len(q.sort_key):
            raise RuntimeError(f"duplicate column in ORDER BY: {','.join(q.sort_key)}")
        return q


class FiltersDroppedAfterFirstPage(Store):
    """Past the first page the data query loses its filters (a cursor built without them); total keeps them."""

    def fetch(self, q: ListQuery) -> list[Group]:
        return super().fetch(
            replace(q, name=None, namespace=None, type=None, service_type=None) if q.offset else q
        )


class Int32BoundsUnchecked(ReferenceApp):
    """limit and offset parsed as 64-bit and clamped to 2^31 - 1, so values past the int32 range pass."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        def clamp(value: str) -> str:
            return str(INT32_MAX) if re.fullmatch(r"[0-9]{1,19}", value) and int(value) > INT32_MAX else value

        return super().parse_query(with_args(request, _edit_args(("limit", "offset"), clamp)), project_id)


VARIANTS = (
    mutant(
        "sql-built-by-hand",
        "R14.no-server-error",
        SqlBuiltByHand,
        probes=[{"name": "'"}, {"namespace": "o'brien"}],
    ),
    mutant("filter-values-trimmed", "R10.name-filter", FilterValuesTrimmed, probes=[{"name": " "}]),
    mutant("percent-decoded-twice", "R10.name-filter", PercentDecodedTwice, probes=[{"name": "%5F"}]),
    mutant("name-filter-glob", "R10.name-filter", NameFilterGlob, probes=[{"name": "*"}]),
    mutant("name-filter-regex", "R10.name-filter", NameFilterRegex, probes=[{"name": "."}]),
    mutant(
        "namespace-case-insensitive",
        "R10.namespace-filter",
        NamespaceCaseInsensitive,
        probes=[{"namespace": "AI-LAB"}],
    ),
    mutant("namespace-like", "R10.namespace-filter", NamespaceLike, probes=[{"namespace": "ai_lab"}]),
    mutant("column-length-255", "R14.no-server-error", ColumnLength255, probes=[{"name": "a" * 256}]),
    mutant(
        "four-byte-character-crash",
        "R14.no-server-error",
        FourByteCharacterCrash,
        probes=[{"name": "\U0001f600"}],
    ),
    mutant(
        "control-character-crash", "R14.no-server-error", ControlCharacterCrash, probes=[{"name": "\x00"}]
    ),
    mutant(
        "offset-plus-limit-int32",
        "R9.window",
        OffsetPlusLimitInt32,
        probes=[{"offset": "339", "limit": "2147483647"}],
    ),
    mutant("search-window-error", "R14.no-server-error", SearchWindowError, probes=[{"limit": "10001"}]),
    mutant("search-window-empty", "R9.window", SearchWindowEmpty, probes=[{"limit": "10001"}]),
    mutant(
        "numeric-keys-sorted-as-text",
        "R11.order",
        NumericKeysSortedAsText,
        probes=[{"sort_key": "version_count", "limit": "2000"}],
    ),
    mutant(
        "repeated-sort-key-crash",
        "R14.no-server-error",
        RepeatedSortKeyCrash,
        probes=[{"sort_key": "name,name"}],
    ),
    mutant(
        "enum-whitespace-trimmed",
        "R3.invalid-rejected",
        EnumWhitespaceTrimmed,
        probes=[{"sort_dir": " ASC"}, {"type": "DEDICATED "}],
    ),
    mutant(
        "filters-dropped-after-first-page",
        "R10.name-filter",
        FiltersDroppedAfterFirstPage,
        probes=[{"name": "pytorch", "limit": "5", "offset": "5"}],
    ),
    mutant(
        "int32-bounds-unchecked",
        "R3.invalid-rejected",
        Int32BoundsUnchecked,
        probes=[{"limit": "2147483648"}],
    ),
)
