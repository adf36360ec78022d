"""R9 on a single 200: the page's arithmetic, read from the spec's x-paging annotation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from modelarts_contract.checks.core import Exchange, Verifier
from modelarts_contract.checks.registry import check
from modelarts_contract.checks.validity import Validity, classify
from modelarts_contract.contract import Contract


def window_of(contract: Contract, ex: Exchange) -> tuple[int, int] | None:
    """(limit, offset) as sent or defaulted; None when the request does not judge as valid."""
    if classify(contract, ex.query).validity is not Validity.VALID:
        return None
    paging = contract.paging
    sent_limit, sent_offset = ex.param(paging.limit), ex.param(paging.offset)
    limit = int(sent_limit) if sent_limit is not None else contract.parameter(paging.limit).default
    offset = int(sent_offset) if sent_offset is not None else contract.parameter(paging.offset).default
    return limit, offset


@dataclass(frozen=True)
class PageView:
    """A well-formed 200 with the window it answers."""

    body: dict[str, Any]
    items: list[Any]
    total: int
    limit: int
    offset: int


def page_view(contract: Contract, ex: Exchange) -> PageView | None:
    """The page of a well-formed 200 to a valid request; None otherwise (other checks judge those)."""
    if ex.status != 200 or not isinstance(ex.body, dict):
        return None
    items, total = ex.body.get(contract.paging.items), ex.body.get(contract.paging.total)
    window = window_of(contract, ex)
    if not isinstance(items, list) or type(total) is not int or window is None:
        return None  # the schema check reports malformed bodies
    return PageView(ex.body, items, total, *window)


@check("R9.window")
def window(v: Verifier, ex: Exchange) -> None:
    page = page_view(v.contract, ex)
    if page is None:
        return
    start = v.contract.paging.first_record(page.limit, page.offset)
    expected = max(0, min(page.limit, page.total - start))
    v.holds(
        len(page.items) == expected,
        f"len(data) == max(0, min(limit={page.limit}, total={page.total} - first record={start})) == {expected}",
        f"len(data) == {len(page.items)}",
        ex,
    )


@check("R9.size")
def size(v: Verifier, ex: Exchange) -> None:
    page = page_view(v.contract, ex)
    if page is None:
        return
    paging = v.contract.paging
    allowed = {"items": len(page.items), "limit": page.limit}
    expected = sorted({allowed[name] for name in paging.size_one_of})
    actual = page.body.get(paging.size)
    v.holds(
        type(actual) is int and actual in expected,
        f"size in {expected} ({' or '.join(sorted(paging.size_one_of))})",
        f"size == {actual!r}",
        ex,
    )


@check("R9.pages")
def pages(v: Verifier, ex: Exchange) -> None:
    page = page_view(v.contract, ex)
    if page is None:
        return
    paging = v.contract.paging
    expected = list(paging.pages_when_empty) if page.total == 0 else [math.ceil(page.total / page.limit)]
    actual = page.body.get(paging.pages)
    v.holds(
        type(actual) is int and actual in expected,
        f"pages in {expected} (ceil(total={page.total} / limit={page.limit}))",
        f"pages == {actual!r}",
        ex,
    )


@check("R9.current")
def current(v: Verifier, ex: Exchange) -> None:
    page = page_view(v.contract, ex)
    paging = v.contract.paging
    if page is None or not paging.current_defined(page.limit, page.offset):
        return  # R9 says nothing about current for an offset between page boundaries
    expected = paging.expected_current(page.limit, page.offset)
    actual = page.body.get(paging.current)
    v.holds(
        type(actual) is int and actual == expected,
        f"current == offset // limit + {paging.current_base} == {expected}",
        f"current == {actual!r}",
        ex,
    )
