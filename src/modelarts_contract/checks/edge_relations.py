"""The edge layer (issue 10): the edges of modelarts_contract.edges, judged like any request.

The families whose answer follows from the whole listing are relations marked `edge`
(tests/contract/test_edges.py runs them, one test per family and case): each edge is one request or
one listing read, and a relation fails once with every clause its edges broke (`judge_each`).
"""

from __future__ import annotations

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
from modelarts_contract.checks.registry import filter_clauses, relation
from modelarts_contract.checks.relations import filtered_by_hand, in_order, shown, shown_params
from modelarts_contract.contract import Contract, FieldFilter, SubsetFilter, load_contract
from modelarts_contract.edges import Edge

SORT_EDGE_PAGES = 2  # pages of each sort-key edge's listing read on a large tenant

_FIELD_FILTERS = [f for f in load_contract().filters if isinstance(f, FieldFilter)]  # the run's spec


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
    *filter_clauses(FieldFilter),
    cases={f.parameter: f.parameter for f in _FIELD_FILTERS},
    edge=True,
)
def free_strings(v: Verifier, lister: Lister, parameter: str) -> None:
    """Every free-string edge of a filter: the filtered listing is exactly what the filter picks from
    the whole listing by hand (R10: case matters, no character is a wildcard), and an empty value is
    no filter (R4). Where R4 allows a 400 (outside the documented format), a 400 skips the comparison."""
    base = lister.listing()
    rule = v.contract.field_filter(parameter)
    samples = field_samples(v.contract, base.items).get(rule.field, [])

    def judge(edge: Edge) -> None:
        filtered_by_hand(v, lister, rule, base, edge.query, _mode(v.contract, rule, edge.query))

    judge_each(edges.free_string_edges(v.contract, parameter, samples), judge, lister)


@relation("R9.window", "R9.total-invariant", edge=True)
def integers(v: Verifier, lister: Lister) -> None:
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
                f"records {start}.. of the whole listing ({len(expected)} groups): {shown(expected)}",
                f"{len(page.items)} groups: {shown(lister.keys(page.items))}",
                page.exchange,
            )

    judge_each(edge_list, judge, lister)


@relation("R11.order", edge=True)
def sort_keys(v: Verifier, lister: Lister) -> None:
    """Every sort_key edge (each key in both directions, every ordered pair, all keys, repeated keys):
    the whole listing in the requested order, across its pages (R11.order), and the same groups as
    unsorted. The data has ties in the first key, so the second one decides."""
    base = lister.listing()
    everything = sorted(lister.keys_of(base), key=str)

    def judge(edge: Edge) -> None:
        # Two pages hold every order a sort can get wrong, the page boundary included; on a tenant
        # too large for two pages, the whole-listing relations walk the rest (R18: any size).
        listing = lister.listing(edge.query, max_pages=SORT_EDGE_PAGES)
        in_order(v, listing.items, edge.query, "the listing")
        if listing.complete and base.complete and len(everything) >= 2:  # fewer: no order to keep
            v.holds(
                sorted(lister.keys_of(listing), key=str) == everything,
                f"{shown_params(edge.query)}: the same {len(everything)} groups as unsorted",
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
        f"total {page.total}; not in the unfiltered listing: {shown(sorted(extra, key=str))}",
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
        f"{shown(expected)}",
        shown(got),
        page.exchange,
    )


@relation("R11.order", *filter_clauses(), edge=True)
def filter_sort(v: Verifier, lister: Lister) -> None:
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
