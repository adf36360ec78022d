"""Integer, enum, boolean, sort-key and filter x sort edges."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from modelarts_contract.contract import Contract, FieldFilter, Parameter, ScopeFilter, SubsetFilter
from modelarts_contract.edges.strings import probe_value
from modelarts_contract.edges.values import (
    BACKEND_WINDOWS,
    CASE_VARIANTS,
    FILL,
    FILTER_PAGE,
    FORMAT_BOUNDS,
    LENIENT_BOOLEANS,
    MALFORMED_INTEGERS,
    WHITESPACE_AROUND,
    Edge,
    make_edge,
    shown_value,
    unique_edges,
)


def integer_parameters(contract: Contract) -> list[Parameter]:
    return [p for p in contract.parameters.values() if p.kind == "integer"]


def integer_edges(contract: Contract, parameter: str) -> list[Edge]:
    """0, 1, the default, the schema's bounds and the format's on both sides, backend windows, and
    malformed values."""
    p = contract.parameter(parameter)
    low, high = p.schema.get("minimum"), p.schema.get("maximum")
    labelled: dict[int, list[str]] = {}

    def add(value: int | None, label: str) -> None:
        if value is not None:
            labelled.setdefault(value, []).append(label)

    add(0, "0")
    add(1, "1")
    add(p.default, "the default")
    if low is not None:
        add(low - 1, "minimum - 1")
        add(low, "minimum")
    if high is not None:
        if parameter == contract.paging.limit:
            add(high - 1, "maximum - 1 (the largest pages)")
        add(high, "maximum")
        add(high + 1, "maximum + 1")
    bounds = FORMAT_BOUNDS.get(p.schema.get("format", ""))
    if bounds is not None:
        fmt = p.schema["format"]
        add(bounds[0] - 1, f"{fmt} minimum - 1")
        add(bounds[0], f"{fmt} minimum")
        add(bounds[1], f"{fmt} maximum")
        add(bounds[1] + 1, f"{fmt} maximum + 1")
    for window in BACKEND_WINDOWS:
        add(window, f"backend window {window:,}")
    edges = [
        make_edge("integer", "value", " = ".join(dict.fromkeys(labelled[v])), **{parameter: str(v)})
        for v in sorted(labelled)
    ]
    edges += [make_edge("integer", "malformed", repr(v), **{parameter: v}) for v in MALFORMED_INTEGERS]
    return unique_edges(edges)


def end_of_listing_edges(contract: Contract, total: int) -> list[Edge]:
    """Offsets before, at and past the end of a listing of `total` groups, and the largest offset,
    each with the largest limit: offset + limit overflows a 32-bit sum."""
    paging = contract.paging
    largest_limit = contract.parameter(paging.limit).schema.get("maximum")
    largest_offset = contract.parameter(paging.offset).schema.get("maximum")
    if largest_limit is None:
        return []
    # (Offset 0 with the largest limit is the integer edge "limit = maximum" alone.)
    if paging.offset_unit == "record":
        offsets = {"offset total - 1": total - 1, "offset total": total, "offset total + 1": total + 1}
    else:
        offsets = {"offset 1": 1}
    if largest_offset is not None:
        offsets["the largest offset"] = largest_offset
    return unique_edges(
        make_edge("end-of-listing", "largest limit", f"{label}, the largest limit",
              **{paging.offset: str(offset), paging.limit: str(largest_limit)})
        for label, offset in offsets.items()
        if offset >= 0
    )  # fmt: skip


# --- Enums and booleans ----------------------------------------------------------------------------


def enum_parameters(contract: Contract) -> list[Parameter]:
    return [p for p in contract.parameters.values() if p.enum]


def boolean_parameters(contract: Contract) -> list[Parameter]:
    return [p for p in contract.parameters.values() if p.kind == "boolean"]


def enum_edges(contract: Contract, parameter: str) -> list[Edge]:
    """Every case variant and surrounding whitespace, spread over the values (each value and each
    variant at least once), the empty value and, for a list, empty elements and a space after the
    separator. All are outside the enum: R3 makes them a 400."""
    p = contract.parameter(parameter)
    values = p.enum
    edges = []
    kinds = list(CASE_VARIANTS)
    for i in range(max(len(values), len(kinds))):
        value = values[i % len(values)]
        for kind in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:  # the next variant that differs
            variant = CASE_VARIANTS[kind](value)
            if variant != value:
                edges.append(make_edge("enum", "case", f"{kind} {value!r}", **{parameter: variant}))
                break
    for i, (kind, template) in enumerate(WHITESPACE_AROUND.items()):
        value = values[i % len(values)]
        edges.append(
            make_edge("enum", "whitespace", f"{kind} {value!r}", **{parameter: template.format(value)})
        )
    edges.append(make_edge("enum", "empty", "empty value", **{parameter: ""}))
    if p.kind == "array" and len(values) > 1:
        separator = contract.sorting.separator if parameter == contract.sorting.key_parameter else ","
        first, second = values[0], values[1]
        edges += [
            make_edge("enum", "list", "empty last element", **{parameter: first + separator}),
            make_edge("enum", "list", "empty first element", **{parameter: separator + first}),
            make_edge(
                "enum", "list", "space after the separator", **{parameter: f"{first}{separator} {second}"}
            ),
        ]
    return unique_edges(edges)


def boolean_edges(contract: Contract, parameter: str) -> list[Edge]:
    """The spellings lenient parsers accept, the default with whitespace around it, the empty value:
    R3 accepts exactly "true" and "false"."""
    p = contract.parameter(parameter)
    wire = p.wire_default() or "true"
    other = "false" if wire == "true" else "true"
    edges = [make_edge("boolean", "lenient", repr(v), **{parameter: v}) for v in LENIENT_BOOLEANS]
    edges += [
        make_edge("boolean", "whitespace", f"leading space {wire!r}", **{parameter: " " + wire}),
        make_edge("boolean", "whitespace", f"trailing space {other!r}", **{parameter: other + " "}),
        make_edge("boolean", "empty", "empty value", **{parameter: ""}),
    ]
    return unique_edges(edges)


# --- Sorting ---------------------------------------------------------------------------------------


def sort_key_edges(contract: Contract) -> list[Edge]:
    """Every key in both directions, every ordered pair, all keys, and repeated keys. Directions
    rotate (the default, by leaving sort_dir out, among them), so each is met with every kind."""
    rules = contract.sorting
    keys = contract.parameter(rules.key_parameter).enum
    directions: list[str | None] = [None, *rules.directions]
    default = contract.parameter(rules.direction_parameter).wire_default()
    others = [d for d in rules.directions if d != default] or list(rules.directions)

    def edge(kind: str, chosen: Sequence[str], direction: str | None) -> Edge:
        params = {rules.key_parameter: rules.separator.join(chosen)}
        if direction is not None:
            params[rules.direction_parameter] = direction
        label = f"{rules.separator.join(chosen)} {direction or f'(default {default})'}"
        return Edge("sort-key", kind, label, tuple(params.items()))

    edges = [edge("one key", [k], d) for k in keys for d in (None, others[0])]
    pairs = list(itertools.permutations(keys, 2))
    edges += [edge("pair", list(pair), directions[i % len(directions)]) for i, pair in enumerate(pairs)]
    edges += [edge("all keys", list(keys), others[0]), edge("all keys", list(reversed(keys)), None)]
    repeats = [[keys[0], keys[0]], [keys[-1], keys[0], keys[-1]]] if keys else []
    edges += [
        edge("repeated key", chosen, directions[i % len(directions)]) for i, chosen in enumerate(repeats)
    ]
    return unique_edges(edges)


def filter_values(contract: Contract, samples: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Per filter parameter, the values the filter x sort edges use: for a field filter the telling
    value from its field's `samples` (FILL without data), for a subset filter every enum value, for
    a scope filter its default."""
    values: dict[str, list[str]] = {}
    for rule in contract.filters:
        if isinstance(rule, FieldFilter):
            values[rule.parameter] = [probe_value(samples.get(rule.field, ()), rule.match) or FILL]
        elif isinstance(rule, SubsetFilter):
            values[rule.parameter] = list(contract.parameter(rule.parameter).enum)
        elif isinstance(rule, ScopeFilter):
            values[rule.parameter] = [contract.parameter(rule.parameter).wire_default() or ""]
    return values


def filter_sort_edges(contract: Contract, samples: Mapping[str, Sequence[str]]) -> list[Edge]:
    """Every filter with every sort key, on the second page; directions and enum values rotate."""
    rules, paging = contract.sorting, contract.paging
    keys = contract.parameter(rules.key_parameter).enum
    directions = list(rules.directions)
    edges = []
    for parameter, values in filter_values(contract, samples).items():
        for i, key in enumerate(keys):
            value, direction = values[i % len(values)], directions[i % len(directions)]
            params = {parameter: value, rules.key_parameter: key, rules.direction_parameter: direction}
            params |= {paging.limit: str(FILTER_PAGE)}
            params |= {paging.offset: str(1 if paging.offset_unit == "page" else FILTER_PAGE)}
            label = f"{parameter}={shown_value(value)}, {key} {direction}, second page"
            edges.append(Edge("filter-sort", parameter, label, tuple(params.items())))
    return edges
