"""Filter mutants (R10, R4, R7, R9.window): the WHERE clause matches the wrong groups."""

from __future__ import annotations

from dataclasses import replace

from werkzeug.wrappers import Request

from modelarts_contract.reference import ListQuery, ReferenceApp, Store
from modelarts_contract.reference.store import SqlArgs

from .base import mutant

SUBSTRING = "instr(name, ?) > 0"  # the reference's SQL for a fuzzy name filter
EQUALS = "name = ?"


def _swap(sql: str, old: str, new: str) -> str:
    # Fail loudly if the reference's SQL changed, rather than silently becoming the reference.
    if old not in sql:
        raise AssertionError(f"reference SQL changed: {old!r} not in {sql!r}")
    return sql.replace(old, new)


def _any_workspace(where: tuple[str, SqlArgs]) -> tuple[str, SqlArgs]:
    """Drops the workspace condition: the reference's WHERE starts "project_id = ? AND workspace_id = ?"."""
    sql, args = where
    return _swap(sql, "project_id = ? AND workspace_id = ?", "project_id = ?"), [args[0], *args[2:]]


class FuzzyDefaultFalse(ReferenceApp):
    """name_fuzzy_match defaults to false: a bare name filter matches exactly."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        return q if "name_fuzzy_match" in request.args else replace(q, name_fuzzy_match=False)


class FuzzyFlagIgnored(Store):
    """name always matches as a substring, whatever name_fuzzy_match says."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        return super().where(replace(q, name_fuzzy_match=True))


class FuzzyFlagInverted(Store):
    """name_fuzzy_match read the wrong way round."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        return super().where(replace(q, name_fuzzy_match=not q.name_fuzzy_match))


class _NameSql(Store):
    """Rewrites the reference's name conditions."""

    substring = SUBSTRING
    equals = EQUALS

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        if q.name:
            old, new = (SUBSTRING, self.substring) if q.name_fuzzy_match else (EQUALS, self.equals)
            sql = _swap(sql, old, new)
        return sql, args


class NameFilterLike(_NameSql):
    """name matched with SQL LIKE '%name%': '_' and '%' are wildcards, ASCII case is ignored."""

    substring = "name LIKE '%' || ? || '%'"


class NameFilterCaseInsensitive(_NameSql):
    """name matched ignoring case (substring and exact)."""

    substring = "instr(lower(name), lower(?)) > 0"
    equals = "name = ? COLLATE NOCASE"


class NamePrefixOnly(_NameSql):
    """A fuzzy name matches only at the start of the group name (startswith)."""

    substring = "instr(name, ?) = 1"


class NamespaceSubstring(Store):
    """namespace matched as a substring, not by equality."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        return (_swap(sql, "namespace = ?", "instr(namespace, ?) > 0"), args) if q.namespace else (sql, args)


class TotalIgnoresFilters(Store):
    """total counts every group of the workspace; only data is filtered."""

    def count(self, q: ListQuery) -> int:
        return super().count(replace(q, name=None, namespace=None, type=None, service_type=None))


class TypeFilterAllWorkspaces(Store):
    """With a type filter, the workspace condition is dropped: groups of every workspace come back."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        return _any_workspace(super().where(q)) if q.type else super().where(q)


class EmptyNameMatchesNothing(ReferenceApp):
    """name= is kept as an exact filter on the empty string (a `is not None` test), so nothing matches."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        return replace(q, name="", name_fuzzy_match=False) if request.args.get("name") == "" else q


class _EmptyNameIsAFilter(Store):
    """The store half of empty-name-matches-nothing: an empty name is a condition too."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        sql, args = super().where(q)
        return (f"{sql} AND name = ?", [*args, ""]) if q.name == "" else (sql, args)


class WorkspaceDefaultAll(ReferenceApp):
    """Without workspace_id the workspace is left empty, which the store reads as "any workspace"."""

    def parse_query(self, request: Request, project_id: str) -> ListQuery:
        q = super().parse_query(request, project_id)
        return q if request.args.get("workspace_id") else replace(q, workspace_id="")


class _EmptyWorkspaceIsAny(Store):
    """The store half of workspace-default-all."""

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        return super().where(q) if q.workspace_id else _any_workspace(super().where(q))


VARIANTS = (
    mutant("fuzzy-default-false", "R10.name-filter", FuzzyDefaultFalse, probes=[{"name": "pytorch"}]),
    mutant(
        "fuzzy-flag-ignored",
        "R10.name-filter",
        FuzzyFlagIgnored,
        probes=[{"name": "pytorch", "name_fuzzy_match": "false"}],
    ),
    mutant("fuzzy-flag-inverted", "R10.name-filter", FuzzyFlagInverted, probes=[{"name": "pytorch"}]),
    mutant(
        "name-filter-like",
        "R10.name-filter",
        NameFilterLike,
        probes=[{"name": "pytorch_1"}, {"name": "PyTorch"}],
    ),
    mutant(
        "name-filter-case-insensitive",
        "R10.name-filter",
        NameFilterCaseInsensitive,
        probes=[{"name": "PyTorch"}],
    ),
    mutant("name-prefix-only", "R10.name-filter", NamePrefixOnly, probes=[{"name": "torch"}]),
    mutant("namespace-substring", "R10.namespace-filter", NamespaceSubstring, probes=[{"namespace": "ai"}]),
    mutant("total-ignores-filters", "R9.window", TotalIgnoresFilters, probes=[{"name": "pytorch"}]),
    mutant(
        "type-filter-all-workspaces",
        "R10.subset-filters",
        TypeFilterAllWorkspaces,
        probes=[{"type": "DEDICATED", "limit": "2000"}],
    ),
    mutant(
        "empty-name-matches-nothing",
        "R4.free-strings",
        EmptyNameMatchesNothing,
        _EmptyNameIsAFilter,
        probes=[{"name": ""}],
    ),
    mutant(
        "workspace-default-all",
        "R7.workspace-default",
        WorkspaceDefaultAll,
        _EmptyWorkspaceIsAny,
        probes=[{}],
    ),
)
