"""Relations across requests (R2, R4, R6, R7, R9-R12): they hold for ANY dataset, empty or huge.

Each relation compares answers of the target with each other (or with what follows from the whole
listing by hand), never with a dataset the suite knows. Probe values come from the listing itself.
The edge relations at the end judge the edge catalogue (modelarts_contract.edges) the same way.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from modelarts_contract import edges
from modelarts_contract.checks import sorting
from modelarts_contract.checks.bodies import is_unicode
from modelarts_contract.checks.core import ClauseViolation, Verifier, Violations
from modelarts_contract.checks.filters import filter_mode, satisfies
from modelarts_contract.checks.listing import Lister, Listing, ListingUnavailable, Page
from modelarts_contract.checks.paging import window_of
from modelarts_contract.checks.registry import Relation, RelationCase, relation
from modelarts_contract.contract import Contract, FieldFilter, ScopeFilter, SubsetFilter, load_contract
from modelarts_contract.edges import Edge, shown_value

MAX_WALK_PAGES = 8
SORT_EDGE_PAGES = 2  # pages of each sort-key edge's listing read on a large tenant
UNKNOWN_PARAMETER = "x_contract_probe"


def _shown(keys: list[Any], limit: int = 5) -> str:
    return repr(keys[:limit]) + (f" ... ({len(keys)} in all)" if len(keys) > limit else "")


def _params(params: dict[str, str]) -> str:
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
    v.expect("R12.unique", not repeated, f"each group once in {where}", f"repeated: {_shown(repeated)}", None)


def _in_order(v: Verifier, items: list[dict[str, Any]], params: dict[str, str], where: str) -> None:
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
    cases=(
        RelationCase("default-order", {"params": {}}),
        RelationCase("namespace,create_at", {"params": {"sort_key": "namespace,create_at"}}),
    ),
)
def pages_join_to_listing(v: Verifier, lister: Lister, params: dict[str, str]) -> None:
    """Walk the pages: the same total on each (R9.total-invariant), no group twice (R12.unique), the
    requested order across pages (R11.order), and exactly the whole listing (R9.stable-paging)."""
    listing = lister.listing(params)
    keys = lister.keys_of(listing)
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
    keys = lister.keys_of(lister.listing())
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
    keys = lister.keys_of(lister.listing())
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


def same_listing(
    v: Verifier, lister: Lister, clause_id: str, base: Listing, params: dict[str, str], why: str
) -> None:
    other = lister.listing(params)
    got, expected = lister.keys_of(other), lister.keys_of(base)
    v.expect(
        clause_id,
        other.total == base.total and got == expected,
        f"{_params(params)} {why}: total {base.total}, {_shown(expected)}",
        f"total {other.total}, {_shown(got)}",
        None,
    )


@relation("R6.unknown-ignored", "R7.workspace-default")
def neutral_parameters(v: Verifier, lister: Lister) -> None:
    """R6 (unknown parameters), R7 (the scope's default). R4's empty name or namespace is the
    length-0 free-string edge (edge_free_strings)."""
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
        f"{_params(params)}: the {len(expected)} groups whose {rule.field} "
        f"{'contains' if mode == 'substring' else 'equals'} {shown_value(value)}",
        f"total {filtered.total}; missing {_shown(sorted(expected - got, key=str))}; "
        f"extra {_shown(sorted(got - expected, key=str))}",
        None,
    )


@relation("R10.subset-filters")
def subset_filters(v: Verifier, lister: Lister) -> None:
    """R10.subset-filters: type and service_type only ever narrow the listing."""
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
                f"total {filtered.total}; not in the unfiltered listing: {_shown(sorted(extra, key=str))}",
                None,
            )


# --- The edge layer (issue 10): the edges of modelarts_contract.edges, judged like any request. -----

_SPEC = load_contract()  # the packaged spec, which the run reads too: the cases and clauses follow it
_FIELD_FILTERS = [f for f in _SPEC.filters if isinstance(f, FieldFilter)]


class EdgeFailures(AssertionError):
    """Edges that got no listing and no verdict that says why (a bug of the suite, not a verdict)."""


def _broken_so_far(lister: Lister | None) -> Counter[str]:
    """Per clause, the single-response failures the lister has kept in this attempt."""
    if lister is None:
        return Counter()
    return Counter({cid: 1 + lister.repeats[cid] for cid in lister.pending})


def _edges_note(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"(broken by {len(names)} edge(s): " + "; ".join(names[:shown]) + f"{more})"


def judge_each(
    edge_list: Iterable[Edge], judge: Callable[[Edge], None], lister: Lister | None = None
) -> None:
    """Judge every edge (one request, or one listing read, each), then fail with every clause the
    edges broke, in `judge` or in the single-response checks of the pages `lister` read: each
    clause once, its first violation, and the edges that broke it."""
    first: dict[str, ClauseViolation] = {}
    broken_by: dict[str, list[str]] = {}
    unexplained: list[str] = []
    for edge in edge_list:
        before = _broken_so_far(lister)
        found: list[ClauseViolation] = []
        try:
            judge(edge)
        except Violations as exc:
            found = exc.violations
        except ClauseViolation as exc:
            found = [exc]
        except ListingUnavailable as exc:  # the single-response checks of its page say why
            if not _broken_so_far(lister) - before:
                unexplained.append(f"edge {edge}: {exc}")
        for violation in found:
            first.setdefault(violation.clause.id, violation)
        for clause_id in {v.clause.id for v in found} | set(_broken_so_far(lister) - before):
            broken_by.setdefault(clause_id, []).append(str(edge))
    if unexplained:
        raise EdgeFailures("\n".join(unexplained))
    if broken_by:
        raise Violations(list(first.values()), {cid: _edges_note(names) for cid, names in broken_by.items()})


def field_samples(contract: Contract, items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The values of each filtered field in the listing: where the edges taken from the data come from.
    A string that is not Unicode (an unpaired surrogate) cannot be sent back: R8 reports it, the
    others are used."""
    fields = {rule.field for rule in contract.filters if isinstance(rule, FieldFilter)}
    return {
        name: [i[name] for i in items if isinstance(i.get(name), str) and is_unicode(i[name])]
        for name in fields
    }


def _mode(contract: Contract, rule: FieldFilter, query: dict[str, str]) -> str:
    return filter_mode(contract, rule, {k: [x] for k, x in query.items()})


@relation(
    "R4.free-strings",
    *sorted({f.clause for f in _FIELD_FILTERS}),
    cases=tuple(RelationCase(f.parameter, {"parameter": f.parameter}) for f in _FIELD_FILTERS),
)
def edge_free_strings(v: Verifier, lister: Lister, parameter: str) -> None:
    """Every free-string edge of a filter: the filtered listing is exactly what the filter picks from
    the whole listing by hand (R10: case matters, no character is a wildcard), and an empty value is
    no filter (R4). Where R4 allows a 400 (outside the documented format), a 400 skips the comparison."""
    base = lister.listing()
    rule = v.contract.field_filter(parameter)
    samples = field_samples(v.contract, base.items).get(rule.field, [])

    def judge(edge: Edge) -> None:
        filtered_by_hand(v, lister, rule, base, edge.query, _mode(v.contract, rule, edge.query))

    judge_each(edges.free_string_edges(v.contract, parameter, samples), judge, lister)


@relation("R9.window", "R9.total-invariant")
def edge_integers(v: Verifier, lister: Lister) -> None:
    """Every integer edge of limit and offset, and the offsets at the end of the listing with the
    largest limit: a valid one's page holds exactly its records of the whole listing (R9.window) and
    the same total (R9.total-invariant); the single-response checks judge every answer (R3: 400)."""
    listing = lister.listing()
    keys = lister.keys_of(listing)
    paging = v.contract.paging
    edge_list = [
        e for p in edges.integer_parameters(v.contract) for e in edges.integer_edges(v.contract, p.name)
    ]
    edge_list += edges.end_of_listing_edges(v.contract, listing.total)

    def judge(edge: Edge) -> None:
        page = lister.page(edge.query)
        window = window_of(v.contract, page.exchange)
        if page.exchange.status != 200 or window is None or page.total is None:
            return  # not a valid request's page: the single-response checks have judged it
        v.expect(
            "R9.total-invariant",
            page.total == listing.total,
            f"total {listing.total}",
            f"total {page.total}",
            page.exchange,
        )
        if listing.complete:
            limit, offset = window
            start = paging.first_record(limit, offset)
            expected = keys[start : start + limit]
            v.expect(
                "R9.window",
                lister.keys(page.items) == expected,
                f"records {start}.. of the whole listing ({len(expected)} groups): {_shown(expected)}",
                f"{len(page.items)} groups: {_shown(lister.keys(page.items))}",
                page.exchange,
            )

    judge_each(edge_list, judge, lister)


@relation("R11.order")
def edge_sort_keys(v: Verifier, lister: Lister) -> None:
    """Every sort_key edge (each key in both directions, every ordered pair, all keys, repeated keys):
    the whole listing in the requested order, across its pages (R11.order), and the same groups as
    unsorted. The data has ties in the first key, so the second one decides."""
    base = lister.listing()
    everything = sorted(lister.keys_of(base), key=str)

    def judge(edge: Edge) -> None:
        # Two pages hold every order a sort can get wrong, the page boundary included; on a tenant
        # too large for two pages, the whole-listing relations walk the rest (R18: any size).
        listing = lister.listing(edge.query, max_pages=SORT_EDGE_PAGES)
        _in_order(v, listing.items, edge.query, "the listing")
        if listing.complete and base.complete and len(everything) >= 2:  # fewer: no order to keep
            v.expect(
                "R11.order",
                sorted(lister.keys_of(listing), key=str) == everything,
                f"{_params(edge.query)}: the same {len(everything)} groups as unsorted",
                f"{listing.total} groups",
                None,
            )

    judge_each(edges.sort_key_edges(v.contract), judge, lister)


def _subset_page(v: Verifier, lister: Lister, rule: SubsetFilter, base: Listing, page: Page) -> None:
    """A subset filter's page: groups of the unfiltered listing, a total no larger (R10)."""
    extra = set(lister.keys(page.items)) - set(lister.keys_of(base)) if base.complete else set()
    v.expect(
        rule.clause,
        page.total is not None and page.total <= base.total and not extra,
        f"a subset of the {base.total} unfiltered groups",
        f"total {page.total}; not in the unfiltered listing: {_shown(sorted(extra, key=str))}",
        page.exchange,
    )


def _filtered_page(
    v: Verifier, picked: list[dict[str, Any]], clause_id: str, page: Page, order: tuple[list[str], str]
) -> None:
    """A page of the listing that `picked` (the filtered groups, by hand) is: the same total, and the
    sort values of its window of `picked` in `order` (values: ties may fall either way)."""
    v.expect(
        clause_id,
        page.total == len(picked),
        f"total {len(picked)} (by hand)",
        f"total {page.total}",
        page.exchange,
    )
    keys, direction = order
    try:
        values = sorted(
            (sorting.sort_tuple(v.contract, i, keys) for i in picked), reverse=direction == "descending"
        )
    except TypeError:
        return  # values of mixed types: the schema check reports them
    window = window_of(v.contract, page.exchange)
    assert window is not None  # the caller judged only valid requests
    start = v.contract.paging.first_record(*window)
    expected = values[start : start + window[0]]
    if len(values) < 2 or not expected:
        return  # no order to see on this page: the total above and R9.window judge what it holds
    got = [sorting.sort_tuple(v.contract, i, keys) for i in page.items]
    v.expect(
        "R11.order",
        got == expected,
        f"the {', '.join(keys)} values of records {start}.. of the filtered listing (by hand), {direction}: "
        f"{_shown(expected)}",
        _shown(got),
        page.exchange,
    )


@relation("R11.order", *sorted({f.clause for f in _SPEC.filters}))
def edge_filter_sort(v: Verifier, lister: Lister) -> None:
    """Every filter with every sort key, on the second page. Per response, the single-response checks
    (R10 per group, R11 within the page); against the whole listing, a field filter's (or the scope's
    default's) page is its window of the by-hand filtered, sorted listing (R11.order across pages)
    with the by-hand total, and a subset filter's page lies within the unfiltered listing (R10)."""
    base = lister.listing()
    rules = {rule.parameter: rule for rule in v.contract.filters}

    def judge(edge: Edge) -> None:
        query, rule = edge.query, rules[edge.kind]
        page = lister.page(query)
        order = sorting.requested_order(v.contract, {k: [x] for k, x in query.items()})
        if page.exchange.status != 200 or window_of(v.contract, page.exchange) is None or order is None:
            return  # not a valid request's page: the single-response checks have judged it
        if isinstance(rule, SubsetFilter):
            _subset_page(v, lister, rule, base, page)
            return
        value = query[rule.parameter]
        if not base.complete:
            return  # the by-hand listing is unknown; the single-response checks still judge the page
        if isinstance(rule, FieldFilter):
            mode = _mode(v.contract, rule, query)
            _filtered_page(
                v, [i for i in base.items if satisfies(i, rule.field, value, mode)], rule.clause, page, order
            )
        elif value == v.contract.parameter(rule.parameter).wire_default():
            _filtered_page(v, base.items, rule.clause, page, order)  # the scope's default: no filter (R7)

    judge_each(edges.filter_sort_edges(v.contract, field_samples(v.contract, base.items)), judge, lister)


# Run by tests/contract/test_edges.py, one test per family; test_relations.py runs the others.
EDGE_RELATIONS: tuple[Relation, ...] = (edge_free_strings, edge_integers, edge_sort_keys, edge_filter_sort)
