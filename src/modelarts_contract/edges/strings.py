"""Free-string edges: lengths, punctuation, control and non-ASCII characters, values from the data."""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Sequence

from modelarts_contract.contract import Contract, FieldFilter, Parameter
from modelarts_contract.edges.values import (
    COMMON_LENGTHS,
    FILL,
    METACHARACTERS,
    NON_ASCII,
    PERCENT_LOOKING,
    PUNCTUATION,
    WHITESPACE_AND_CONTROL,
    Edge,
    make_edge,
    unique_edges,
)


def free_string_parameters(contract: Contract) -> list[Parameter]:
    return [p for p in contract.parameters.values() if p.is_free_string]


def documented_lengths(parameter: Parameter, longest: int = max(COMMON_LENGTHS)) -> list[int]:
    """Lengths at and around each limit of the documented format: where FILL * n starts or stops
    matching it (for "^[a-z][a-z0-9._-]{0,63}$": 0, 1, 2 and 63, 64, 65)."""
    if parameter.documented_format is None:
        return []
    return list(_lengths_around_limits(parameter.documented_format, longest))


@functools.lru_cache(maxsize=64)  # a few thousand matches per format, asked for by several relations
def _lengths_around_limits(pattern: str, longest: int) -> tuple[int, ...]:
    fits = [re.fullmatch(pattern, FILL * n) is not None for n in range(longest + 2)]
    # A limit is a fitting length next to one that does not fit.
    limits = {n if fits[n] else n + 1 for n in range(longest + 1) if fits[n] != fits[n + 1]}
    return tuple(sorted({m for limit in limits for m in (limit - 1, limit, limit + 1) if m >= 0}))


def free_string_edges(contract: Contract, parameter: str, samples: Sequence[str] = ()) -> list[Edge]:
    """Lengths, punctuation, whitespace and control characters, non-ASCII, percent-looking text, and
    (for a filter, given the field's values in the listing) values taken from the data."""
    p = contract.parameter(parameter)
    family = "free-string"
    documented = documented_lengths(p)
    edges = [
        make_edge(family, "length", f"length {n}" + (" (documented format)" if n in documented else ""),
              **{parameter: FILL * n})
        for n in sorted({*COMMON_LENGTHS, *documented})
    ]  # fmt: skip
    edges += [make_edge(family, "punctuation", repr(c), **{parameter: c}) for c in PUNCTUATION]
    edges += [
        make_edge(family, "whitespace-control", k, **{parameter: v})
        for k, v in WHITESPACE_AND_CONTROL.items()
    ]
    edges += [make_edge(family, "non-ascii", k, **{parameter: v}) for k, v in NON_ASCII.items()]
    edges += [make_edge(family, "percent-looking", repr(v), **{parameter: v}) for v in PERCENT_LOOKING]
    rule = next(
        (f for f in contract.filters if isinstance(f, FieldFilter) and f.parameter == parameter), None
    )
    if rule is not None:
        edges += data_edges(contract, rule, samples)
    return unique_edges(edges)


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
        make_edge(family, "from-data", "a value in the data", **{name: probe}),
        make_edge(family, "from-data", "part of a value in the data", **{name: part}),
        make_edge(family, "from-data", "a value in the data, case changed", **{name: recased}),
    ]
    edges += [
        make_edge(family, "from-data", f"a value in the data, one character replaced by {m!r}",
              **{name: _with_metacharacter(probe, m)})
        for m in METACHARACTERS
    ]  # fmt: skip
    switch = rule.exact_switch
    if switch is not None:
        for exact in (switch.exact_when, not switch.exact_when):
            mode = "equals" if exact == switch.exact_when else rule.match
            flag = str(exact).lower()
            edges.append(
                make_edge(
                    family,
                    "from-data",
                    f"a value in the data, {mode}",
                    **{name: probe, switch.parameter: flag},
                )
            )
    return edges
