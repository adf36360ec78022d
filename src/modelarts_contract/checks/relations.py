"""Relations across requests (R2, R4, R6, R7, R9-R12): they hold for ANY dataset, empty or huge.

Each relation compares answers of the target with each other (or with what follows from the whole
listing by hand), never with a dataset the suite knows. Probe values come from the listing itself.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

from modelarts_contract.checks import sorting
from modelarts_contract.checks.core import Verifier
from modelarts_contract.checks.filters import satisfies
from modelarts_contract.checks.listing import Lister, Listing
from modelarts_contract.checks.registry import RelationCase, relation
from modelarts_contract.spec import FieldFilter, ScopeFilter, SubsetFilter

MAX_WALK_PAGES = 8
UNKNOWN_PARAMETER = "x_contract_probe"


def _shown(keys: list[Any], limit: int = 5) -> str:
    return repr(keys[:limit]) + (f" ... ({len(keys)} in all)" if len(keys) > limit else "")


def walk_offsets(total: int, limit: int) -> list[int]:
    """Page offsets to visit: all of them, or a sample (first, last, some between) on a large listing."""
    offsets = list(range(0, max(total, 1), limit))
    if len(offsets) <= MAX_WALK_PAGES:
        return offsets
    middle = offsets[2:-1]
    return sorted({*offsets[:2], offsets[-1], *random.Random(total).sample(middle, MAX_WALK_PAGES - 3)})


def _no_repeats(v: Verifier, keys: list[tuple[Any, ...]], where: str) -> None:
    repeated = sorted((k for k, n in Counter(keys).items() if n > 1), key=str)
    v.expect("R12.unique", not repeated, f"each group once in {where}", f"repeated: {_shown(repeated)}", None)


def _in_order(v: Verifier, items: list[dict[str, Any]], params: dict[str, str], where: str) -> None:
    order = sorting.requested_order(v.contract, {k: [x] for k, x in params.items()})
    if order is None:
        return
    i = sorting.first_disorder(v.contract, items, *order)
    v.expect("R11.order", i is None, f"{where} in order {order}", f"out of order at position {i}", None)


@relation(
    "R9.stable-paging",
    "R9.total-invariant",
    "R12.unique",
    "R11.order",
    cases=(
        RelationCase("default-order", {"params": {}}),
        RelationCase("version_count-asc", {"params": {"sort_key": "version_count", "sort_dir": "ASC"}}),
        RelationCase("namespace,create_at", {"params": {"sort_key": "namespace,create_at"}}),
    ),
)
def pages_join_to_listing(v: Verifier, lister: Lister, params: dict[str, str]) -> None:
    """Walk the pages: the same total on each (R9.total-invariant), no group twice (R12.unique), the
    requested order across pages (R11.order), and exactly the whole listing (R9.stable-paging)."""
    listing = lister.listing(params)
    keys = lister.keys(listing.items)
    _no_repeats(v, keys, "the whole listing")
    _in_order(v, listing.items, params, "the whole listing")
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
    walked_all = listing.complete and len(pages) * limit >= known
    joined_items = [item for offset in sorted(pages) for item in pages[offset].items]
    if walked_all:
        _no_repeats(v, lister.keys(joined_items), f"the pages of {limit} joined")
        _in_order(v, joined_items, params, f"the pages of {limit} joined")
    for offset, page in pages.items():
        expected = keys[offset : offset + limit]
        v.expect(
            "R9.stable-paging",
            lister.keys(page.items) == expected,
            f"records {offset}..{offset + limit - 1} of the whole listing {params}: {_shown(expected)}",
            _shown(lister.keys(page.items)),
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
    keys = lister.keys(lister.listing().items)
    known = len(keys)
    for limit, offset in [(3, 1), (3, 4), (5, 7), (2, max(0, known - 1)), (4, max(0, known - 2))]:
        page = lister.window({}, limit, offset)
        expected = keys[offset : offset + limit]
        v.expect(
            "R9.window",
            lister.keys(page.items) == expected,
            f"limit={limit}, offset={offset}: records {offset}..{offset + limit - 1} of the listing {_shown(expected)}",
            _shown(lister.keys(page.items)),
            page.exchange,
        )


@relation("R2.defaults")
def default_page(v: Verifier, lister: Lister) -> None:
    """R2.defaults: leaving limit and offset out is the first `default limit` records."""
    paging = v.contract.paging
    limit, offset = (v.contract.parameter(name) for name in (paging.limit, paging.offset))
    keys = lister.keys(lister.listing().items)
    start = paging.first_record(limit.default, offset.default)
    expected = keys[start : start + limit.default]
    for params in ({}, {offset.name: str(offset.default)}, {limit.name: str(limit.default)}):
        page = lister.page(params)
        v.expect(
            "R2.defaults",
            lister.keys(page.items) == expected,
            f"{params or 'no limit/offset'}: the first {limit.default} records from {start} "
            f"({len(expected)} groups)",
            f"{len(page.items)} groups: {_shown(lister.keys(page.items))}",
            page.exchange,
        )


@relation("R9.window", "R9.total-invariant")
def past_the_end(v: Verifier, lister: Lister) -> None:
    total = lister.listing().total
    for offset in (total, total + 7):
        page = lister.window({}, 5, offset)
        v.expect(
            "R9.window",
            page.items == [],
            f"no data at offset {offset} >= total",
            f"{len(page.items)} groups",
            page.exchange,
        )
        v.expect(
            "R9.total-invariant", page.total == total, f"total {total}", f"total {page.total}", page.exchange
        )


def same_listing(
    v: Verifier, lister: Lister, clause_id: str, base: Listing, params: dict[str, str], why: str
) -> None:
    other = lister.listing(params)
    v.expect(
        clause_id,
        other.total == base.total and lister.keys(other.items) == lister.keys(base.items),
        f"{params} {why}: total {base.total}, {_shown(lister.keys(base.items))}",
        f"total {other.total}, {_shown(lister.keys(other.items))}",
        None,
    )


@relation("R4.free-strings", "R6.unknown-ignored", "R7.workspace-default")
def neutral_parameters(v: Verifier, lister: Lister) -> None:
    """R4 (empty name/namespace), R6 (unknown parameters), R7 (the scope's default)."""
    base = lister.listing()
    for rule in v.contract.filters:
        if isinstance(rule, FieldFilter) and rule.empty_means_absent:
            same_listing(v, lister, "R4.free-strings", base, {rule.parameter: ""}, "equals no filter")
        if isinstance(rule, ScopeFilter):
            params = {rule.parameter: v.contract.parameter(rule.parameter).wire_default() or ""}
            same_listing(v, lister, rule.clause, base, params, "equals leaving it out")
    assert UNKNOWN_PARAMETER not in v.contract.parameters
    same_listing(v, lister, "R6.unknown-ignored", base, {UNKNOWN_PARAMETER: "1"}, "is ignored")


def _name_probes(names: list[str], seed: int) -> list[str]:
    """Values to filter by, taken from the data: whole names, inner pieces, wildcard traps, misses."""
    rng = random.Random(seed)
    picked = rng.sample(sorted(set(names)), min(3, len(set(names))))
    probes = list(picked)
    for name in picked:
        if len(name) > 2:
            start = rng.randrange(0, len(name) - 1)
            probes.append(name[start : start + rng.randint(1, min(4, len(name) - start))])
        probes.append(name.upper())
    probes += ["_", "%", ".", "-", "zz-no-such-image-" + str(seed)]
    return list(dict.fromkeys(p for p in probes if p))


@relation("R10.name-filter")
def name_filter(v: Verifier, lister: Lister) -> None:
    """R10.name-filter: the filtered listing is exactly what the filter picks from the whole listing."""
    base = lister.listing()
    rule = v.contract.field_filter("name")
    switch = rule.exact_switch
    assert switch is not None
    modes = {rule.match: {}, "equals": {switch.parameter: str(switch.exact_when).lower()}}
    explicit_default = {switch.parameter: v.contract.parameter(switch.parameter).wire_default() or ""}
    for probe in _name_probes([str(i.get(rule.field)) for i in base.items], lister.target.config.seed):
        for mode, extra in modes.items():
            filtered_by_hand(v, lister, rule, base, {rule.parameter: probe, **extra}, mode)
        by_default = lister.listing_unless_free_400({rule.parameter: probe})
        if by_default is not None:
            params = {rule.parameter: probe, **explicit_default}
            same_listing(v, lister, rule.clause, by_default, params, "equals the default match")


@relation("R10.namespace-filter")
def namespace_filter(v: Verifier, lister: Lister) -> None:
    base = lister.listing()
    rule = v.contract.field_filter("namespace")
    namespaces = sorted({str(i.get(rule.field)) for i in base.items})
    probes = namespaces[:3] + [ns[: len(ns) // 2] for ns in namespaces[:1] if len(ns) > 1]
    for probe in [*probes, "zz-no-such-namespace"]:
        filtered_by_hand(v, lister, rule, base, {rule.parameter: probe}, rule.match)


def filtered_by_hand(
    v: Verifier, lister: Lister, rule: FieldFilter, base: Listing, params: dict[str, str], mode: str
) -> None:
    """The filtered listing is exactly the groups of `base` that the filter picks (R10)."""
    value = params[rule.parameter]
    filtered = lister.listing_unless_free_400(params)
    if filtered is None:
        return  # R4: a value outside the documented format may be refused with 400
    got = set(lister.keys(filtered.items))
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
    expected = {lister.key(i) for i in base.items if satisfies(i, rule.field, value, mode)}
    v.expect(
        rule.clause,
        got == expected and filtered.total == len(expected),
        f"{params}: the {len(expected)} groups whose {rule.field} "
        f"{'contains' if mode == 'substring' else 'equals'} {value!r}",
        f"total {filtered.total}; missing {_shown(sorted(expected - got, key=str))}; "
        f"extra {_shown(sorted(got - expected, key=str))}",
        None,
    )


@relation("R10.subset-filters")
def subset_filters(v: Verifier, lister: Lister) -> None:
    """R10.subset-filters: type and service_type only ever narrow the listing."""
    base = lister.listing()
    everything = set(lister.keys(base.items))
    for rule in v.contract.filters:
        if not isinstance(rule, SubsetFilter):
            continue
        for value in v.contract.parameter(rule.parameter).enum:
            filtered = lister.listing({rule.parameter: value})
            extra = set(lister.keys(filtered.items)) - everything if base.complete else set()
            v.expect(
                rule.clause,
                filtered.total <= base.total and not extra,
                f"{rule.parameter}={value}: a subset of the {base.total} unfiltered groups",
                f"total {filtered.total}; not in the unfiltered listing: {_shown(sorted(extra, key=str))}",
                None,
            )


@relation("R11.order")
def sort_orders(v: Verifier, lister: Lister) -> None:
    """R11.order: every key, both directions, across pages; the default direction; the same groups."""
    rules = v.contract.sorting
    key_name, dir_name = rules.key_parameter, rules.direction_parameter
    default_direction = v.contract.parameter(dir_name).wire_default() or ""
    everything = sorted(lister.keys(lister.listing().items), key=str)
    for key in v.contract.parameter(key_name).enum:
        sorted_listings = {}
        for direction in rules.directions:
            params = {key_name: key, dir_name: direction}
            listing = lister.listing(params)  # each page's order: the single-response check
            _in_order(v, listing.items, params, "the whole listing")
            sorted_listings[direction] = listing
            v.expect(
                "R11.order",
                sorted(lister.keys(listing.items), key=str) == everything,
                f"sort_key={key}&sort_dir={direction}: the same groups as unsorted",
                f"{listing.total} groups",
                None,
            )
        same_listing(
            v,
            lister,
            "R11.order",
            sorted_listings[default_direction],
            {key_name: key},
            f"(no {dir_name}) equals {dir_name}={default_direction}",
        )
