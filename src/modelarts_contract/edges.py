"""The edge catalogue: requests at the edges of every parameter, derived from the spec (issue 10).

Pure functions from the `Contract` (and, for the values taken from the data, the listing's field
values or total) to named `Edge`s. Which parameters are free strings, integers, enums or booleans,
their bounds, defaults, enums and documented formats all come from the spec. What the spec cannot
say, the generic values where implementations break, are the constants below, each with its reason.

Each edge is one request that differs from a plain request in one parameter (the edge "alone");
the few that pair two values (an offset at the end of the listing with the largest limit, a filter
with a sort key on a later page) are that pairing by design. The checks judge every edge as they
judge a generated request (`checks.relations` for the families compared with the listing,
tests/contract/test_edges.py for the rest).
"""

from __future__ import annotations

import itertools
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from modelarts_contract.contract import Contract, FieldFilter, Parameter, ScopeFilter, SubsetFilter

# --- Generic edge values: what implementations get wrong, whatever the spec says. -----------------

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


def _edge(family: str, kind: str, label: str, **params: str) -> Edge:
    return Edge(family, kind, label, tuple(params.items()))


def _unique(edges: Iterable[Edge]) -> list[Edge]:
    """Edges in order, each query once (a value two rules produce is sent once, under its first name)."""
    unique: dict[tuple[tuple[str, str], ...], Edge] = {}
    for edge in edges:
        unique.setdefault(edge.params, edge)
    return list(unique.values())


# --- Free strings ----------------------------------------------------------------------------------


def free_string_parameters(contract: Contract) -> list[Parameter]:
    return [p for p in contract.parameters.values() if p.is_free_string]


def documented_lengths(parameter: Parameter, longest: int = max(COMMON_LENGTHS)) -> list[int]:
    """Lengths at and around each limit of the documented format: where FILL * n starts or stops
    matching it (for "^[a-z][a-z0-9._-]{0,63}$": 0, 1, 2 and 63, 64, 65)."""
    if parameter.documented_format is None:
        return []
    fits = [re.fullmatch(parameter.documented_format, FILL * n) is not None for n in range(longest + 2)]
    # A limit is a fitting length next to one that does not fit.
    limits = {n if fits[n] else n + 1 for n in range(longest + 1) if fits[n] != fits[n + 1]}
    return sorted({m for limit in limits for m in (limit - 1, limit, limit + 1) if m >= 0})


def free_string_edges(contract: Contract, parameter: str, samples: Sequence[str] = ()) -> list[Edge]:
    """Lengths, punctuation, whitespace and control characters, non-ASCII, percent-looking text, and
    (for a filter, given the field's values in the listing) values taken from the data."""
    p = contract.parameter(parameter)
    family = "free-string"
    documented = documented_lengths(p)
    edges = [
        _edge(family, "length", f"length {n}" + (" (documented format)" if n in documented else ""),
              **{parameter: FILL * n})
        for n in sorted({*COMMON_LENGTHS, *documented})
    ]  # fmt: skip
    edges += [_edge(family, "punctuation", repr(c), **{parameter: c}) for c in PUNCTUATION]
    edges += [
        _edge(family, "whitespace-control", k, **{parameter: v}) for k, v in WHITESPACE_AND_CONTROL.items()
    ]
    edges += [_edge(family, "non-ascii", k, **{parameter: v}) for k, v in NON_ASCII.items()]
    edges += [_edge(family, "percent-looking", repr(v), **{parameter: v}) for v in PERCENT_LOOKING]
    rule = next(
        (f for f in contract.filters if isinstance(f, FieldFilter) and f.parameter == parameter), None
    )
    if rule is not None:
        edges += data_edges(contract, rule, samples)
    return _unique(edges)


def probe_value(samples: Sequence[str], match: str) -> str | None:
    """The value from the data that makes the most telling filter, ties to the smallest: for a
    substring filter the value found inside the most others, for equality the most frequent one."""
    counts = Counter(s for s in samples if s)
    if not counts:
        return None
    ranked = sorted(counts, key=lambda s: (-counts[s], s))
    if match != "substring":
        return ranked[0]
    candidates = ranked[:100]  # bounded: a tenant may hold 20,000 distinct names
    distinct = sorted(counts)
    return min(candidates, key=lambda c: (-sum(c in s for s in distinct), c))


def _with_metacharacter(value: str, metacharacter: str) -> str:
    """`value` with its middle character replaced (a later one if that already is `metacharacter`)."""
    for i in itertools.chain(range(len(value) // 2, len(value)), range(len(value) // 2)):
        if value[i] != metacharacter:
            return value[:i] + metacharacter + value[i + 1 :]
    return value


def data_edges(contract: Contract, rule: FieldFilter, samples: Sequence[str]) -> list[Edge]:
    """A value from the data as it is, a part of it, with its case changed and with one character
    replaced by each metacharacter; for a filter with an exact switch, the value in both modes."""
    probe = probe_value(samples, rule.match)
    if probe is None:
        return []
    name, family = rule.parameter, "free-string"
    part = probe[1:-1] if rule.match == "substring" and len(probe) > 2 else probe[: max(1, len(probe) // 2)]
    recased = probe.upper() if probe.upper() != probe else probe.lower()
    edges = [
        _edge(family, "from-data", "a value in the data", **{name: probe}),
        _edge(family, "from-data", "part of a value in the data", **{name: part}),
        _edge(family, "from-data", "a value in the data, case changed", **{name: recased}),
    ]
    edges += [
        _edge(family, "from-data", f"a value in the data, one character replaced by {m!r}",
              **{name: _with_metacharacter(probe, m)})
        for m in METACHARACTERS
    ]  # fmt: skip
    switch = rule.exact_switch
    if switch is not None:
        for exact in (switch.exact_when, not switch.exact_when):
            mode = "equals" if exact == switch.exact_when else rule.match
            flag = str(exact).lower()
            edges.append(
                _edge(
                    family,
                    "from-data",
                    f"a value in the data, {mode}",
                    **{name: probe, switch.parameter: flag},
                )
            )
    return edges


# --- Integers --------------------------------------------------------------------------------------


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
        _edge("integer", "value", " = ".join(dict.fromkeys(labelled[v])), **{parameter: str(v)})
        for v in sorted(labelled)
    ]
    edges += [_edge("integer", "malformed", repr(v), **{parameter: v}) for v in MALFORMED_INTEGERS]
    return _unique(edges)


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
    return _unique(
        _edge("end-of-listing", "largest limit", f"{label}, the largest limit",
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
                edges.append(_edge("enum", "case", f"{kind} {value!r}", **{parameter: variant}))
                break
    for i, (kind, template) in enumerate(WHITESPACE_AROUND.items()):
        value = values[i % len(values)]
        edges.append(_edge("enum", "whitespace", f"{kind} {value!r}", **{parameter: template.format(value)}))
    edges.append(_edge("enum", "empty", "empty value", **{parameter: ""}))
    if p.kind == "array" and len(values) > 1:
        separator = contract.sorting.separator if parameter == contract.sorting.key_parameter else ","
        first, second = values[0], values[1]
        edges += [
            _edge("enum", "list", "empty last element", **{parameter: first + separator}),
            _edge("enum", "list", "empty first element", **{parameter: separator + first}),
            _edge("enum", "list", "space after the separator", **{parameter: f"{first}{separator} {second}"}),
        ]
    return _unique(edges)


def boolean_edges(contract: Contract, parameter: str) -> list[Edge]:
    """The spellings lenient parsers accept, the default with whitespace around it, the empty value:
    R3 accepts exactly "true" and "false"."""
    p = contract.parameter(parameter)
    wire = p.wire_default() or "true"
    other = "false" if wire == "true" else "true"
    edges = [_edge("boolean", "lenient", repr(v), **{parameter: v}) for v in LENIENT_BOOLEANS]
    edges += [
        _edge("boolean", "whitespace", f"leading space {wire!r}", **{parameter: " " + wire}),
        _edge("boolean", "whitespace", f"trailing space {other!r}", **{parameter: other + " "}),
        _edge("boolean", "empty", "empty value", **{parameter: ""}),
    ]
    return _unique(edges)


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
    return _unique(edges)


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


# --- The whole catalogue ---------------------------------------------------------------------------


def catalogue(
    contract: Contract, samples: Mapping[str, Sequence[str]] | None = None, total: int = 0
) -> list[Edge]:
    """Every edge of a default run, given the listing's field values (`samples`) and `total`."""
    samples = samples or {}
    edges: list[Edge] = []
    for p in free_string_parameters(contract):
        rule = next(
            (f for f in contract.filters if isinstance(f, FieldFilter) and f.parameter == p.name), None
        )
        edges += free_string_edges(contract, p.name, samples.get(rule.field, ()) if rule else ())
    for p in integer_parameters(contract):
        edges += integer_edges(contract, p.name)
    edges += end_of_listing_edges(contract, total)
    for p in enum_parameters(contract):
        edges += enum_edges(contract, p.name)
    for p in boolean_parameters(contract):
        edges += boolean_edges(contract, p.name)
    edges += sort_key_edges(contract)
    edges += filter_sort_edges(contract, samples)
    return edges
