"""Relations across requests (R2, R4, R6, R7, R9-R12): they hold for ANY dataset, empty or huge.

Each relation compares answers of the target with each other (or with what follows from the whole
listing by hand), never with a dataset the suite knows. Probe values come from the listing itself.
The edge relations (`edge_relations`) judge the edge catalogue (modelarts_contract.edges) the same way.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

from modelarts_contract.checks import sorting
from modelarts_contract.checks.core import Verifier
from modelarts_contract.checks.filters import satisfies
from modelarts_contract.checks.listing import Lister, Listing, Page
from modelarts_contract.checks.registry import filter_clauses, relation
from modelarts_contract.contract import FieldFilter, ScopeFilter, SubsetFilter
from modelarts_contract.edges import shown_value

MAX_WALK_PAGES = 8
UNKNOWN_PARAMETER = "x_contract_probe"


def shown(keys: list[Any], limit: int = 5) -> str:
    return repr(keys[:limit]) + (f" ... ({len(keys)} in all)" if len(keys) > limit else "")


def shown_params(params: dict[str, str]) -> str:
    """A query for a message: control characters escaped, long values cut short."""
    return "{" + ", ".join(f"{name}={shown_value(value)}" for name, value in params.items()) + "}"


def walk_offsets(total: int, limit: int) -> list[int]:
    """Page offsets to visit: all of them, or a sample (first, last, some between) on a large listing."""
    offsets = list(range(0, max(total, 1), limit))
    if len(offsets) <= MAX_WALK_PAGES:
        return offsets
    middle = offsets[2:-1]
    return sorted({*offsets[:2], offsets[-1], *random.Random(total).sample(middle, MAX_WALK_PAGES - 3)})


def _no_repeats(v: Verifier, keys: list[tuple[Any, ...]], where: str) -> None:
    if len(keys) < 2:
        return  # nothing can repeat: R12.unique stays not exercised rather than held
    repeated = sorted((k for k, n in Counter(keys).items() if n > 1), key=str)
    v.expect("R12.unique", not repeated, f"each group once in {where}", f"repeated: {shown(repeated)}", None)


def in_order(v: Verifier, items: list[dict[str, Any]], params: dict[str, str], where: str) -> None:
    order = sorting.requested_order(v.contract, {k: [x] for k, x in params.items()})
    if order is None or len(items) < 2:
        return  # no order requested, or nothing to order (R11.order stays not exercised)
    i = sorting.first_disorder(v.contract, items, *order)
    v.expect("R11.order", i is None, f"{where} in order {order}", f"out of order at position {i}", None)


@relation(
    "R9.stable-paging",
    "R9.total-invariant",
    "R12.unique",
    "R11.order",
    cases={"default-order": {}, "namespace,create_at": {"sort_key": "namespace,create_at"}},
)
def pages_join_to_listing(v: Verifier, lister: Lister, params: dict[str, str]) -> None:
    """Walk the pages: the same total on each (R9.total-invariant), no group twice (R12.unique), the
    requested order across pages (R11.order), and exactly the whole listing (R9.stable-paging)."""
    listing = lister.listing(params)
    keys = lister.keys_of(listing)
    _no_repeats(v, keys, "the whole listing")
    in_order(v, listing.items, params, "the whole listing")
    known = len(listing.items)
    limit = max(1, math.ceil(known / 5))
    pages = {offset: lister.window(params, limit, offset) for offset in walk_offsets(known, limit)}
    for page in pages.values():
        v.expect(
            "R9.total-invariant",
            page.total == listing.total,
            f"total {listing.total} (as in the whole listing)",
            f"total {page.total}",
            page.exchange,
        )
    _pages_are_the_listing(v, lister, params, keys, pages, limit, walked_all=listing.complete)


def _pages_are_the_listing(
    v: Verifier,
    lister: Lister,
    params: dict[str, str],
    keys: list[tuple[Any, ...]],
    pages: dict[int, Page],
    limit: int,
    walked_all: bool,
) -> None:
    """Each page holds its records of the whole listing; walked to the end, the pages joined are
    the whole listing, in order, no group twice (R9.stable-paging, R12.unique, R11.order)."""
    known = len(keys)
    walked_all = walked_all and len(pages) * limit >= known
    joined_items = [item for offset in sorted(pages) for item in pages[offset].items]
    if walked_all:
        _no_repeats(v, lister.keys(joined_items), f"the pages of {limit} joined")
        in_order(v, joined_items, params, f"the pages of {limit} joined")
    for offset, page in pages.items():
        expected = keys[offset : offset + limit]
        v.expect(
            "R9.stable-paging",
            lister.keys(page.items) == expected,
            f"records {offset}..{offset + limit - 1} of the whole listing {params}: {shown(expected)}",
            shown(lister.keys(page.items)),
            page.exchange,
        )
    if walked_all:
        joined = lister.keys(joined_items)
        v.expect(
            "R9.stable-paging",
            joined == keys,
            f"the pages joined == the whole listing ({known} groups)",
            f"{len(joined)} groups, {len(set(joined))} distinct",
            None,
        )


@relation("R9.window")
def record_offsets(v: Verifier, lister: Lister) -> None:
    """R9.window across requests: offset counts records, not pages, and limit is honoured."""
    keys = lister.keys_of(lister.listing())
    known = len(keys)
    for limit, offset in [(3, 1), (3, 4), (5, 7), (2, max(0, known - 1)), (4, max(0, known - 2))]:
        page = lister.window({}, limit, offset)
        expected = keys[offset : offset + limit]
        v.holds(
            lister.keys(page.items) == expected,
            f"limit={limit}, offset={offset}: records {offset}..{offset + limit - 1} of the listing {shown(expected)}",
            shown(lister.keys(page.items)),
            page.exchange,
        )


@relation("R2.defaults")
def default_page(v: Verifier, lister: Lister) -> None:
    """R2.defaults: leaving limit and offset out is the first `default limit` records."""
    paging = v.contract.paging
    limit, offset = (v.contract.parameter(name) for name in (paging.limit, paging.offset))
    keys = lister.keys_of(lister.listing())
    start = paging.first_record(limit.default, offset.default)
    expected = keys[start : start + limit.default]
    for params in ({}, {offset.name: str(offset.default)}, {limit.name: str(limit.default)}):
        page = lister.page(params)
        v.holds(
            lister.keys(page.items) == expected,
            f"{params or 'no limit/offset'}: the first {limit.default} records from {start} "
            f"({len(expected)} groups)",
            f"{len(page.items)} groups: {shown(lister.keys(page.items))}",
            page.exchange,
        )


def same_listing(
    v: Verifier, lister: Lister, clause_id: str, base: Listing, params: dict[str, str], why: str
) -> None:
    other = lister.listing(params)
    got, expected = lister.keys_of(other), lister.keys_of(base)
    v.expect(
        clause_id,
        other.total == base.total and got == expected,
        f"{shown_params(params)} {why}: total {base.total}, {shown(expected)}",
        f"total {other.total}, {shown(got)}",
        None,
    )


@relation("R6.unknown-ignored", *filter_clauses(ScopeFilter))
def neutral_parameters(v: Verifier, lister: Lister) -> None:
    """R6 (unknown parameters), R7 (the scope's default). R4's empty name or namespace is the
    length-0 free-string edge (edge_relations.free_strings)."""
    base = lister.listing()
    for rule in v.contract.filters:
        if isinstance(rule, ScopeFilter):
            params = {rule.parameter: v.contract.parameter(rule.parameter).wire_default() or ""}
            same_listing(v, lister, rule.clause, base, params, "equals leaving it out")
    assert UNKNOWN_PARAMETER not in v.contract.parameters
    same_listing(v, lister, "R6.unknown-ignored", base, {UNKNOWN_PARAMETER: "1"}, "is ignored")


def filtered_by_hand(
    v: Verifier, lister: Lister, rule: FieldFilter, base: Listing, params: dict[str, str], mode: str
) -> None:
    """The filtered listing is exactly the groups of `base` that the filter picks (R10); with an empty
    value that means no filter, exactly `base` (R4)."""
    value = params[rule.parameter]
    if value == "" and rule.empty_means_absent:
        same_listing(v, lister, "R4.free-strings", base, params, "equals no filter")
        return
    filtered = lister.listing_unless_free_400(params)
    if filtered is None:
        return  # R4: a value outside the documented format may be refused with 400
    got = set(lister.keys_of(filtered))
    if not base.complete:
        # A listing too large to read: the by-hand answer is unknown; "no larger" remains (and per item).
        v.expect(
            rule.clause,
            filtered.total <= base.total,
            f"total <= {base.total}",
            f"total {filtered.total}",
            None,
        )
        return
    keys = zip(lister.keys_of(base), base.items, strict=True)
    expected = {k for k, i in keys if satisfies(i, rule.field, value, mode)}
    v.expect(
        rule.clause,
        got == expected and filtered.total == len(expected),
        f"{shown_params(params)}: the {len(expected)} groups whose {rule.field} "
        f"{'contains' if mode == 'substring' else 'equals'} {shown_value(value)}",
        f"total {filtered.total}; missing {shown(sorted(expected - got, key=str))}; "
        f"extra {shown(sorted(got - expected, key=str))}",
        None,
    )


@relation(*filter_clauses(SubsetFilter))
def subset_filters(v: Verifier, lister: Lister) -> None:
    """R10.subset-filters: the subset filters (type and service_type) only ever narrow the listing."""
    base = lister.listing()
    everything = set(lister.keys_of(base))
    for rule in v.contract.filters:
        if not isinstance(rule, SubsetFilter):
            continue
        for value in v.contract.parameter(rule.parameter).enum:
            filtered = lister.listing({rule.parameter: value})
            extra = set(lister.keys_of(filtered)) - everything if base.complete else set()
            v.expect(
                rule.clause,
                filtered.total <= base.total and not extra,
                f"{rule.parameter}={value}: a subset of the {base.total} unfiltered groups",
                f"total {filtered.total}; not in the unfiltered listing: {shown(sorted(extra, key=str))}",
                None,
            )
