"""R9 stable paging in every ordering: for every sort key in each direction, and the default order,
the window [O, O+L) of the listing read at one page size (the listing's first page of 1,000, which
other relations have usually read already) equals the same window read as two pages of other sizes:
the pages neither repeat nor skip a group, and ties fall the same way whatever limit and offset are.

Two requests per ordering (three when the listing's first page is not remembered), whatever the
tenant's size. The window is placed so that the boundary between its two pages falls inside a tie
of the ordering, where a tie order that depends on limit or offset shows. Each page also goes
through the single-response checks (paging arithmetic) like any page a relation reads.
"""

from __future__ import annotations

from typing import Any

from modelarts_contract.checks import sorting
from modelarts_contract.checks.core import Verifier
from modelarts_contract.checks.listing import Lister
from modelarts_contract.checks.registry import relation
from modelarts_contract.contract import Contract

FIRST_PAGE, SECOND_PAGE = 3, 4  # the two page sizes; the window is their sum


def orderings(contract: Contract) -> list[dict[str, str]]:
    """The default order, then every sort key with the direction left out (the default) and with
    each other direction."""
    rules = contract.sorting
    default = contract.parameter(rules.direction_parameter).wire_default()
    others = [d for d in rules.directions if d != default]
    keys = contract.parameter(rules.key_parameter).enum
    found: list[dict[str, str]] = [{}]
    for key in keys:
        found.append({rules.key_parameter: key})
        found += [{rules.key_parameter: key, rules.direction_parameter: d} for d in others]
    return found


def first_boundary(contract: Contract, items: list[dict[str, Any]], params: dict[str, str]) -> int:
    """A record index i where records i-1 and i tie in the requested order (the boundary to put
    between the two pages); the middle of the records when no tie, or no order, is known."""
    order = sorting.requested_order(contract, {k: [x] for k, x in params.items()})
    middle = len(items) // 2
    if order is None:
        return middle
    try:
        values = [sorting.sort_tuple(contract, item, order[0]) for item in items]
    except TypeError:
        return middle
    return next((i for i in range(1, len(values)) if values[i - 1] == values[i]), middle)


def _shown(keys: list[Any], limit: int = 4) -> str:
    return repr(keys[:limit]) + (f" ... ({len(keys)} groups)" if len(keys) > limit else "")


def _one_ordering(v: Verifier, lister: Lister, params: dict[str, str]) -> None:
    listing = lister.listing(params, max_pages=1)
    keys = lister.keys_of(listing)
    if len(keys) < 2:
        return  # nothing can fall two ways: R9.stable-paging stays not exercised here
    # The second page must end within what was read: a large listing's first page is not all of it.
    last = len(keys) - 1 if listing.complete else len(keys) - SECOND_PAGE
    boundary = max(1, min(first_boundary(v.contract, listing.items, params), last))
    offset = max(0, boundary - FIRST_PAGE)
    first = lister.window(params, boundary - offset, offset)
    second = lister.window(params, SECOND_PAGE, boundary)
    got = lister.keys(first.items) + lister.keys(second.items)
    expected = keys[offset : boundary + SECOND_PAGE]
    repeated = sorted({k for k in got if got.count(k) > 1}, key=str)
    skipped = [k for k in expected if k not in got]
    v.holds(
        got == expected,
        f"{params or 'the default order'}: records {offset}..{offset + len(expected) - 1} as pages of "
        f"{boundary - offset} and {SECOND_PAGE} == as one page of {len(listing.items)}: {_shown(expected)}",
        f"{_shown(got)}; repeated {_shown(repeated)}; skipped {_shown(skipped)}",
        second.exchange if got[: boundary - offset] == expected[: boundary - offset] else first.exchange,
    )


@relation("R9.stable-paging")
def every_ordering_stable(v: Verifier, lister: Lister) -> None:
    """R9.stable-paging for the default order and every sort key in every direction."""
    for params in orderings(v.contract):
        _one_ordering(v, lister, params)
