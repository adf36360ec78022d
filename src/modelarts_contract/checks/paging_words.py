"""R6 with the words of other frameworks: unknown parameters named like the paging, sorting and
filtering conventions of common frameworks, with values that would change the answer if honoured,
leave a page exactly as it is without them (the same groups in the same order, the same total).

A framework that reads `current`/`size` (MyBatis-Plus), `pageNum`/`pageSize` (PageHelper),
`page`/`per_page` (Rails, GitHub), `start`/`count`, `marker` (OpenStack), `sort`/`order`/`orderBy`
or `q`/`search`/`filter` overrides the documented parameters when they are present. Three requests
beside the page itself, whatever the tenant's size.
"""

from __future__ import annotations

from typing import Any

from modelarts_contract.checks.core import Verifier
from modelarts_contract.checks.listing import Lister, Listing, Page
from modelarts_contract.checks.registry import relation
from modelarts_contract.edges import shown_value

LIMIT, OFFSET = 4, 3  # the page compared: records 3..6, so that every word below would move it
OTHER_PAGE, OTHER_SIZE = 3, 2  # page 3 of 2 (records 4..5), and a first record of 0


def paging_words(listing: Listing, lister: Lister) -> dict[str, str]:
    """Paging words of several conventions at once: any one honoured moves or resizes the page."""
    size, page = str(OTHER_SIZE), str(OTHER_PAGE)
    words = {"current": page, "size": size, "page": page, "pageNum": page, "pageSize": size}
    words |= {"per_page": size, "start": "0", "count": size}
    names = [item.get("name") for item in listing.items[OFFSET : OFFSET + 1]]
    if names and isinstance(names[0], str):  # OpenStack's marker: the page would start after it
        words["marker"] = names[0]
    return words


def sorting_words(v: Verifier, listing: Listing, lister: Lister) -> dict[str, str]:
    """Sorting words naming a key that, ascending, orders the listing's first records otherwise."""
    keys = v.contract.parameter(v.contract.sorting.key_parameter).enum
    shown = lister.keys(listing.items[OFFSET : OFFSET + LIMIT])

    def reorders(key: str) -> bool:
        try:
            ordered = sorted(listing.items, key=lambda item: (item.get(key) is None, item.get(key)))
        except TypeError:  # values of mixed types: the schema checks report them
            return False
        return lister.keys(ordered[OFFSET : OFFSET + LIMIT]) != shown

    key = next((k for k in keys if reorders(k)), keys[0] if keys else "name")
    return {"sort": key, "order": "asc", "orderBy": key, "sortBy": key, "ordering": key}


def filtering_words(listing: Listing) -> dict[str, str]:
    """Filtering words with the name of the listing's last group: honoured, they narrow the total."""
    names = [item.get("name") for item in listing.items[-1:]]
    name = names[0] if names and isinstance(names[0], str) else "a"
    return {"q": name, "search": name, "filter": name, "keyword": name}


def _same_page(v: Verifier, lister: Lister, base: Page, page: Page, words: dict[str, str]) -> None:
    got, expected = lister.keys(page.items), lister.keys(base.items)
    shown = ", ".join(f"{name}={shown_value(value)}" for name, value in words.items())
    v.holds(
        page.exchange.status == 200 and page.total == base.total and got == expected,
        f"with {shown}: the page without them (total {base.total}, {_first(expected)})",
        f"status {page.exchange.status}, total {page.total}, {_first(got)}",
        page.exchange,
    )


def _first(keys: list[Any], limit: int = 4) -> str:
    return repr(keys[:limit]) + (f" ... ({len(keys)} groups)" if len(keys) > limit else "")


@relation("R6.unknown-ignored")
def paging_words_ignored(v: Verifier, lister: Lister) -> None:
    """Records OFFSET.. with the words of each convention family added: the same page (R6)."""
    listing = lister.listing(max_pages=1)
    base = lister.window({}, LIMIT, OFFSET)
    for words in (
        paging_words(listing, lister),
        sorting_words(v, listing, lister),
        filtering_words(listing),
    ):
        words = {name: value for name, value in words.items() if name not in v.contract.parameters}
        page = lister.window(words, LIMIT, OFFSET)
        _same_page(v, lister, base, page, words)
