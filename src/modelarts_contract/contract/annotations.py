"""The spec's x- annotations as typed, frozen objects, validated once at load.

Each annotation states a semantic the checks rely on (paging, filters, sorting, identity,
plausibility). Values the spec already holds elsewhere (defaults, enums) are read from the
parameter, not repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelarts_contract.contract.document import SpecError
from modelarts_contract.contract.reader import Node


@dataclass(frozen=True)
class Clause:
    id: str
    text: str
    source: str
    freedom: str | None = None  # what the clause leaves open; a benign variant must take it


@dataclass(frozen=True)
class Parameter:
    """A query parameter: its JSON schema and, for free strings, the documented (unenforced) format."""

    name: str
    schema: dict[str, Any]
    documented_format: str | None = None

    @property
    def kind(self) -> str:
        return str(self.schema.get("type", "string"))

    @property
    def item_schema(self) -> dict[str, Any]:
        """The schema of one value: the items of an array, else the schema itself."""
        items = self.schema.get("items")
        return items if self.kind == "array" and isinstance(items, dict) else self.schema

    @property
    def enum(self) -> tuple[str, ...]:
        return tuple(self.item_schema.get("enum", ()))

    @property
    def default(self) -> Any:
        return self.schema.get("default")

    @property
    def is_free_string(self) -> bool:
        return self.kind == "string" and not self.enum

    def wire_default(self) -> str | None:
        """The default as it goes on the wire (booleans lower-case), or None without one."""
        if self.default is None:
            return None
        return str(self.default).lower() if isinstance(self.default, bool) else str(self.default)


@dataclass(frozen=True)
class Paging:
    limit: str  # parameter names
    offset: str
    offset_unit: str  # "record": the page starts at record `offset`; "page": at offset * limit
    items: str  # body fields
    total: str
    size: str
    size_one_of: frozenset[str]  # "items" (len(data)) and/or "limit"
    pages: str
    pages_when_empty: tuple[int, ...]
    current: str
    current_base: int
    current_defined_when: str  # "offset-multiple-of-limit" or "always"

    def first_record(self, limit: int, offset: int) -> int:
        return offset * limit if self.offset_unit == "page" else offset

    def current_defined(self, limit: int, offset: int) -> bool:
        return self.current_defined_when == "always" or self.offset_unit == "page" or offset % limit == 0

    def expected_current(self, limit: int, offset: int) -> int:
        page_index = offset if self.offset_unit == "page" else offset // limit
        return page_index + self.current_base


@dataclass(frozen=True)
class ExactSwitch:
    parameter: str  # a boolean parameter; its default comes from its schema
    exact_when: bool


@dataclass(frozen=True)
class FieldFilter:
    """A filter on a field of ImageGroup that one response can show (R10)."""

    parameter: str
    field: str
    match: str  # "substring" or "equals"
    empty_means_absent: bool
    exact_switch: ExactSwitch | None
    clause: str

    def mode(self, query: dict[str, list[str]], switch_default: str) -> str:
        """'substring' or 'equals' for this query."""
        if self.exact_switch is None:
            return self.match
        flag = query.get(self.exact_switch.parameter, [switch_default])
        return "equals" if flag == [str(self.exact_switch.exact_when).lower()] else self.match


@dataclass(frozen=True)
class SubsetFilter:
    """A filter on something ImageGroup does not show: only "a subset, total no larger" is checkable."""

    parameter: str
    clause: str


@dataclass(frozen=True)
class ScopeFilter:
    """A parameter that picks the scope (workspace): sending its default equals leaving it out."""

    parameter: str
    clause: str


Filter = FieldFilter | SubsetFilter | ScopeFilter


@dataclass(frozen=True)
class Sorting:
    key_parameter: str
    separator: str
    direction_parameter: str
    directions: dict[str, str]  # wire value -> "ascending" | "descending"
    applies_to: str  # "every-key": sort_dir applies to each key
    default_key: str | None  # None: unspecified (only determinism is asserted)
    string_order: str  # "codepoint" or "casefold"


@dataclass(frozen=True)
class Plausibility:
    ordered: tuple[str, str]
    timestamps: tuple[str, ...]
    not_before_ms: int
    max_future_ms: int
    minimum: dict[str, int]


MATCHES = ("substring", "equals")


def parse_clauses(root: Node) -> dict[str, Clause]:
    clauses: dict[str, Clause] = {}
    for node in root.items("x-clauses"):
        clause = Clause(
            node.text("id"), node.text("text"), node.text("source"), node.optional("freedom", str)
        )
        node.done()
        if clause.id in clauses:
            raise SpecError(f"{node.path}.id: {clause.id} is defined twice")
        clauses[clause.id] = clause
    return clauses


def parse_paging(node: Node, parameters: dict[str, Parameter]) -> Paging:
    limit, offset = node.child("limit"), node.child("offset")
    size, pages, current = node.child("size"), node.child("pages"), node.child("current")
    paging = Paging(
        limit=_known(limit, "parameter", parameters),
        offset=_known(offset, "parameter", parameters),
        offset_unit=offset.choice("unit", ("record", "page")),
        items=node.text("items"),
        total=node.text("total"),
        size=size.text("field"),
        size_one_of=frozenset(_choices(size, "one-of", ("items", "limit"))),
        pages=pages.text("field"),
        pages_when_empty=pages.integers("when-empty"),
        current=current.text("field"),
        current_base=current.integer("base"),
        current_defined_when=current.choice("defined-when", ("offset-multiple-of-limit", "always")),
    )
    pages.choice("rule", ("ceil-total-over-limit",))  # the one rule R9 states; named for readers
    for part in (limit, offset, size, pages, current, node):
        part.done()
    for name in (paging.limit, paging.offset):
        if not isinstance(parameters[name].default, int):
            raise SpecError(f"{node.path}: parameter {name} needs an integer default")
    return paging


def parse_filter(node: Node, parameters: dict[str, Parameter], clause_ids: set[str]) -> Filter:
    parameter = _known(node, "parameter", parameters)
    match = node.choice("match", (*MATCHES, "subset", "scope"))
    clause = node.text("clause")
    if clause not in clause_ids:
        raise SpecError(f"{node.path}.clause: {clause} is not in x-clauses")
    result: Filter
    if match in MATCHES:
        switch = None
        if "exact-switch" in node.value:
            s = node.child("exact-switch")
            switch = ExactSwitch(_known(s, "parameter", parameters), s.flag("exact-when"))
            s.done()
            if parameters[switch.parameter].kind != "boolean":
                raise SpecError(f"{s.path}.parameter: {switch.parameter} is not a boolean parameter")
        result = FieldFilter(
            parameter,
            node.text("field"),
            match,
            bool(node.optional("empty-means-absent", bool)),
            switch,
            clause,
        )
    elif match == "subset":
        result = SubsetFilter(parameter, clause)
    else:
        if parameters[parameter].default is None:
            raise SpecError(f"{node.path}.parameter: a scope parameter needs a default")
        result = ScopeFilter(parameter, clause)
    node.done()
    return result


def parse_sorting(node: Node, parameters: dict[str, Parameter]) -> Sorting:
    directions_node = node.child("directions")
    directions = {
        key: directions_node.choice(key, ("ascending", "descending")) for key in directions_node.value
    }
    key_parameter = _known(node, "key-parameter", parameters)
    direction_parameter = _known(node, "direction-parameter", parameters)
    if set(directions) != set(parameters[direction_parameter].enum):
        raise SpecError(f"{directions_node.path}: must map every value of {direction_parameter}'s enum")
    default_key = node.text("default-key")
    if default_key != "unspecified" and default_key not in parameters[key_parameter].enum:
        raise SpecError(f"{node.path}.default-key: {default_key!r} is not a {key_parameter} value")
    sorting = Sorting(
        key_parameter=key_parameter,
        separator=node.text("separator"),
        direction_parameter=direction_parameter,
        directions=directions,
        applies_to=node.choice("applies-to", ("every-key",)),
        default_key=None if default_key == "unspecified" else default_key,
        string_order=node.choice("string-order", ("codepoint", "casefold")),
    )
    node.done()
    return sorting


def parse_plausibility(node: Node) -> Plausibility:
    ordered = node.texts("ordered")
    if len(ordered) != 2:
        raise SpecError(f"{node.path}.ordered: expected two field names")
    try:
        not_before = datetime.fromisoformat(node.text("not-before").replace("Z", "+00:00"))
    except ValueError as exc:
        raise SpecError(f"{node.path}.not-before: {exc}") from None
    minimum = node.child("minimum")
    plausibility = Plausibility(
        ordered=(ordered[0], ordered[1]),
        timestamps=node.texts("timestamps"),
        not_before_ms=int(not_before.timestamp() * 1000),
        max_future_ms=node.integer("max-future-ms"),
        minimum={key: minimum.integer(key) for key in minimum.value},
    )
    node.done()
    return plausibility


def _known(node: Node, key: str, parameters: dict[str, Parameter]) -> str:
    name = node.text(key)
    if name not in parameters:
        raise SpecError(f"{node.path}.{key}: {name!r} is not a query parameter of the operation")
    return name


def _choices(node: Node, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = node.texts(key)
    wrong = [v for v in values if v not in allowed]
    if wrong or not values:
        raise SpecError(f"{node.path}.{key}: expected some of {', '.join(allowed)}, got {list(values)}")
    return values
