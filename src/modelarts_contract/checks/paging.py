"""R9 on a single 200: the page's arithmetic, read from the spec's x-paging annotation."""

from __future__ import annotations

import math

from modelarts_contract.checks.core import Exchange, Verifier
from modelarts_contract.checks.validity import Validity, classify


def window_of(v: Verifier, ex: Exchange) -> tuple[int, int] | None:
    """(limit, offset) as sent or defaulted; None when the request does not judge as valid."""
    if classify(v.contract, ex.query).validity is not Validity.VALID:
        return None
    paging = v.contract.paging
    sent_limit, sent_offset = ex.param(paging["limit"]["parameter"]), ex.param(paging["offset"]["parameter"])
    limit = int(sent_limit) if sent_limit is not None else paging["limit"]["default"]
    offset = int(sent_offset) if sent_offset is not None else paging["offset"]["default"]
    return limit, offset


def _page(v: Verifier, ex: Exchange) -> tuple[dict, list, int, int, int] | None:
    """The body, its items, total, limit and offset of a well-formed 200; None otherwise."""
    if ex.status != 200 or not isinstance(ex.body, dict):
        return None
    paging = v.contract.paging
    items, total = ex.body.get(paging["items"]), ex.body.get(paging["total"])
    window = window_of(v, ex)
    if not isinstance(items, list) or not isinstance(total, int) or window is None:
        return None  # the schema check reports malformed bodies
    return ex.body, items, total, *window


def window(v: Verifier, ex: Exchange) -> None:
    page = _page(v, ex)
    if page is None:
        return
    _, items, total, limit, offset = page
    expected = max(0, min(limit, total - offset))
    v.expect(
        "R9.window",
        len(items) == expected,
        f"len(data) == max(0, min(limit={limit}, total={total} - offset={offset})) == {expected}",
        f"len(data) == {len(items)}",
        ex,
    )


def size(v: Verifier, ex: Exchange) -> None:
    page = _page(v, ex)
    if page is None:
        return
    body, items, _, limit, _ = page
    rule = v.contract.paging["size"]
    allowed = {"items": len(items), "limit": limit}
    expected = sorted({allowed[name] for name in rule["one-of"]})
    actual = body.get(rule["field"])
    v.expect(
        "R9.size", actual in expected, f"size in {expected} (len(data) or limit)", f"size == {actual!r}", ex
    )


def pages(v: Verifier, ex: Exchange) -> None:
    page = _page(v, ex)
    if page is None:
        return
    body, _, total, limit, _ = page
    rule = v.contract.paging["pages"]
    expected = list(rule["when-empty"]) if total == 0 else [math.ceil(total / limit)]
    actual = body.get(rule["field"])
    v.expect(
        "R9.pages",
        actual in expected,
        f"pages in {expected} (ceil(total={total} / limit={limit}))",
        f"pages == {actual!r}",
        ex,
    )


def current(v: Verifier, ex: Exchange) -> None:
    page = _page(v, ex)
    if page is None:
        return
    body, _, _, limit, offset = page
    rule = v.contract.paging["current"]
    if offset % limit:
        return  # R9 says nothing about current for an offset between page boundaries
    expected = offset // limit + rule["base"]
    actual = body.get(rule["field"])
    v.expect(
        "R9.current",
        actual == expected,
        f"current == offset // limit + {rule['base']} == {expected}",
        f"current == {actual!r}",
        ex,
    )
