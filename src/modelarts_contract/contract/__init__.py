"""The contract as the checks read it: the hand-written OpenAPI document in openapi/.

Everything a check expects (types, enums, defaults, paging, filters, sorting, clause texts) comes
from here, so a user who reads a point differently edits the YAML, not the code. The x- annotations
are parsed once, at load, into typed objects; a mistake in them fails the load and names its path.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from modelarts_contract.contract.annotations import (
    Clause,
    ExactSwitch,
    FieldFilter,
    Filter,
    Paging,
    Parameter,
    Plausibility,
    ScopeFilter,
    Sorting,
    SubsetFilter,
    parse_clauses,
    parse_filter,
    parse_paging,
    parse_plausibility,
    parse_sorting,
)
from modelarts_contract.contract.document import (
    OPERATION_PATH,
    SpecError,
    load_document,
    resolve_refs,
    spec_file,
    spec_text,
)
from modelarts_contract.contract.reader import Node

__all__ = [
    "OPERATION_PATH",
    "Clause",
    "Contract",
    "ExactSwitch",
    "FieldFilter",
    "Filter",
    "Paging",
    "Parameter",
    "Plausibility",
    "ScopeFilter",
    "Sorting",
    "SpecError",
    "SubsetFilter",
    "load_contract",
    "load_document",
    "spec_file",
    "spec_text",
]


_T = TypeVar("_T")


class Contract:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.document: dict[str, Any] = resolve_refs(raw, raw)
        operation_path = f"paths.{OPERATION_PATH}.get"
        try:
            self.operation: dict[str, Any] = self.document["paths"][OPERATION_PATH]["get"]
        except (KeyError, TypeError):
            raise SpecError(f"{operation_path}: required") from None
        root = Node(self.document, "(root)")
        operation = Node(self.operation, operation_path)
        self.version = str(root.child("info").value.get("version", ""))
        self.clauses: dict[str, Clause] = parse_clauses(root)
        self.parameters: dict[str, Parameter] = {
            p["name"]: Parameter(p["name"], p.get("schema", {}), p.get("x-documented-format"))
            for p in self.operation.get("parameters", [])
            if p.get("in") == "query"
        }
        self.paging: Paging = parse_paging(operation.child("x-paging"), self.parameters)
        self.filters: tuple[Filter, ...] = tuple(
            parse_filter(node, self.parameters, set(self.clauses)) for node in operation.items("x-filters")
        )
        self.sorting: Sorting = parse_sorting(operation.child("x-sorting"), self.parameters)
        identity = operation.child("x-identity")
        self.identity: tuple[str, ...] = identity.texts("fields")
        identity.done()
        group = Node(self.schemas.get("ImageGroup"), "components.schemas.ImageGroup")
        self.plausibility: Plausibility = parse_plausibility(group.child("x-plausibility"))
        self.statuses: frozenset[int] = frozenset(int(code) for code in self.operation["responses"])
        self._strict: dict[int, dict[str, Any] | None] = {}
        self._derived: dict[Hashable, object] = {}

    def derived(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """`make()`, made once per contract under `key`: a pure cache of what derives from the
        contract alone (a compiled validator of one of its schemas), never run state."""
        if key not in self._derived:
            self._derived[key] = make()
        return cast(_T, self._derived[key])

    @property
    def schemas(self) -> dict[str, Any]:
        schemas: dict[str, Any] = self.document.get("components", {}).get("schemas", {})
        return schemas

    def clause(self, clause_id: str) -> Clause:
        return self.clauses[clause_id]  # KeyError: a check names a clause the spec lacks

    def parameter(self, name: str) -> Parameter:
        return self.parameters[name]

    def field_filter(self, parameter: str) -> FieldFilter:
        found = [f for f in self.filters if isinstance(f, FieldFilter) and f.parameter == parameter]
        if not found:
            raise KeyError(f"no field filter on {parameter!r} in x-filters")
        return found[0]

    def response_schema(self, status: int) -> dict[str, Any] | None:
        response = self.operation["responses"].get(str(status))
        if response is None:
            return None
        schema: dict[str, Any] | None = response.get("content", {}).get("application/json", {}).get("schema")
        return schema

    def strict_schema(self, status: int) -> dict[str, Any] | None:
        """The response schema with no undocumented properties allowed (strict mode); made once."""
        if status not in self._strict:
            self._strict[status] = self._closed(status)
        return self._strict[status]

    def _closed(self, status: int) -> dict[str, Any] | None:
        schema = copy.deepcopy(self.response_schema(status))

        def close(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "object" and "properties" in node:
                    node.setdefault("additionalProperties", False)
                for value in node.values():
                    close(value)
            elif isinstance(node, list):
                for item in node:
                    close(item)

        close(schema)
        return schema

    @property
    def error_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.schemas["Error"]
        return schema


@lru_cache(maxsize=4)
def load_contract(path: str | Path | None = None) -> Contract:
    """The packaged spec (or the file at `path`), parsed and validated."""
    return Contract(load_document(path))
