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

from collections.abc import Mapping, Sequence

from modelarts_contract.contract import Contract, FieldFilter
from modelarts_contract.edges.parameters import (
    boolean_edges,
    boolean_parameters,
    end_of_listing_edges,
    enum_edges,
    enum_parameters,
    filter_sort_edges,
    filter_values,
    integer_edges,
    integer_parameters,
    sort_key_edges,
)
from modelarts_contract.edges.strings import (
    data_edges,
    documented_lengths,
    free_string_edges,
    free_string_parameters,
    probe_value,
)
from modelarts_contract.edges.values import (
    BACKEND_WINDOWS,
    CASE_VARIANTS,
    COMMON_LENGTHS,
    FILL,
    FILTER_PAGE,
    FORMAT_BOUNDS,
    LENIENT_BOOLEANS,
    MALFORMED_INTEGERS,
    METACHARACTERS,
    NON_ASCII,
    PERCENT_LOOKING,
    PUNCTUATION,
    WHITESPACE_AND_CONTROL,
    WHITESPACE_AROUND,
    Edge,
    shown_value,
)

__all__ = [
    "BACKEND_WINDOWS",
    "CASE_VARIANTS",
    "COMMON_LENGTHS",
    "FILL",
    "FILTER_PAGE",
    "FORMAT_BOUNDS",
    "LENIENT_BOOLEANS",
    "MALFORMED_INTEGERS",
    "METACHARACTERS",
    "NON_ASCII",
    "PERCENT_LOOKING",
    "PUNCTUATION",
    "WHITESPACE_AND_CONTROL",
    "WHITESPACE_AROUND",
    "Edge",
    "boolean_edges",
    "boolean_parameters",
    "catalogue",
    "data_edges",
    "documented_lengths",
    "end_of_listing_edges",
    "enum_edges",
    "enum_parameters",
    "filter_sort_edges",
    "filter_values",
    "free_string_edges",
    "free_string_parameters",
    "integer_edges",
    "integer_parameters",
    "probe_value",
    "shown_value",
    "sort_key_edges",
]


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
