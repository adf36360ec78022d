"""Near-miss filter mutants (R10, issue 19): an exact or substring match that blurs what R10 keeps
apart (trailing spaces, case, normalisation forms, fullwidth forms, separators, prefixes). Benign:
the reference on data with accented names in NFC (the near-misses then include the NFD form)."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from werkzeug.wrappers import Request

from modelarts_contract.reference import Dataset, ListQuery, ReferenceApp, Store, default_dataset
from modelarts_contract.reference.store import SqlArgs

from .base import benign, mutant
from .filter_mutants import EQUALS, _swap

ACCENTED = "café-modèle"  # NFC; its NFD form differs
_NAMESPACE_EQUALS = "namespace = ?"


class NamePadSpace(Store):
    """An exact name match ignores trailing spaces (a SQL PAD SPACE collation)."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        if q.name and not q.name_fuzzy_match:
            sql = _swap(sql, EQUALS, "rtrim(name, ' ') = rtrim(?, ' ')")
        return sql, args


class NamespacePadSpace(Store):
    """The namespace match ignores trailing spaces (a SQL PAD SPACE collation)."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        if q.namespace:
            sql = _swap(sql, _NAMESPACE_EQUALS, "rtrim(namespace, ' ') = rtrim(?, ' ')")
        return sql, args


class ExactNameCaseInsensitive(Store):
    """An exact name match ignores case (a case-insensitive collation); substring matches do not."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        if q.name and not q.name_fuzzy_match:
            sql = _swap(sql, EQUALS, "name = ? COLLATE NOCASE")
        return sql, args


class ExactNamePrefix(Store):
    """An exact name match is a prefix match (LIKE 'value%' where equality is due)."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        if q.name and not q.name_fuzzy_match:
            sql = _swap(sql, EQUALS, "instr(name, ?) = 1")
        return sql, args


class _FoldedValue(ReferenceApp):
    """The name and namespace filter values are folded by `fold` before the store compares them."""

    def fold(self, value: str) -> str:
        raise NotImplementedError

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        name, namespace = (self.fold(v) if v else v for v in (q.name, q.namespace))
        return replace(q, name=name, namespace=namespace)


class NfcFolded(_FoldedValue):
    """Filter values are normalised to NFC first: an NFD value finds the NFC name."""

    def fold(self, value: str) -> str:
        return unicodedata.normalize("NFC", value)


class FullwidthFolded(_FoldedValue):
    """Filter values are NFKC-normalised first: fullwidth letters and digits find the ASCII name."""

    def fold(self, value: str) -> str:
        return unicodedata.normalize("NFKC", value)


class SeparatorsFolded(Store):
    """'-', '_' and '.' count as the same character in name and namespace matches (slug folding)."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        for column in ("name", "namespace"):
            slug = f"replace(replace({column}, '_', '-'), '.', '-')"
            sql = sql.replace(
                f"instr({column}, ?)", f"instr({slug}, replace(replace(?, '_', '-'), '.', '-'))"
            )
            sql = sql.replace(f"{column} = ?", f"{slug} = replace(replace(?, '_', '-'), '.', '-')")
        return sql, args


def accented_dataset() -> Dataset:
    """The default data, with one group renamed to an accented name (NFC)."""
    base = default_dataset()
    main = base.projects[0].project_id
    first = next(i for i in base.images if i.project_id == main and i.workspace_id == "0")
    images = [
        replace(i, name=ACCENTED) if (i.project_id, i.workspace_id, i.namespace, i.name) == (
            first.project_id, first.workspace_id, first.namespace, first.name) else i
        for i in base.images
    ]  # fmt: skip
    return replace(base, images=images)


_NAME, _NAMESPACE = "R10.name-filter", "R10.namespace-filter"
_EXACT = {"name_fuzzy_match": "false"}
VARIANTS = (
    mutant("name-pad-space", _NAME, NamePadSpace, probes=[{"name": "pytorch ", **_EXACT}]),
    mutant("namespace-pad-space", _NAMESPACE, NamespacePadSpace, probes=[{"namespace": "ai-lab "}]),
    mutant(
        "exact-name-case-insensitive", _NAME, ExactNameCaseInsensitive, probes=[{"name": "PYTORCH", **_EXACT}]
    ),
    mutant("exact-name-prefix", _NAME, ExactNamePrefix, probes=[{"name": "pyt", **_EXACT}]),
    mutant(
        "nfc-folded",
        _NAME,
        NfcFolded,
        dataset=accented_dataset,
        probes=[{"name": unicodedata.normalize("NFD", ACCENTED)}],
    ),
    mutant(
        "fullwidth-folded",
        _NAME,
        FullwidthFolded,
        probes=[{"name": "pytorch".translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})}],
    ),
    mutant("separators-folded", _NAME, SeparatorsFolded, probes=[{"name": "mock_service_python"}]),
    benign(
        "accented-names", _NAME, dataset=accented_dataset, summary="the reference with an accented name (NFC)"
    ),
)
