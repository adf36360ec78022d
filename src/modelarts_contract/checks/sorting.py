"""R11 on a single 200: with sort_key sent, data is in order, as the spec's x-sorting describes it."""

from __future__ import annotations

import itertools
import operator
from typing import Any

from modelarts_contract.checks.core import Exchange, Verifier, page_items
from modelarts_contract.checks.registry import check
from modelarts_contract.checks.validity import Validity, classify
from modelarts_contract.contract import Contract


def requested_order(contract: Contract, query: dict[str, list[str]]) -> tuple[list[str], str] | None:
    """(keys, 'ascending' | 'descending') when the query asks for an order the spec defines, or when
    the spec names a default key; None otherwise."""
    rules = contract.sorting
    if classify(contract, query).validity is not Validity.VALID:
        return None
    keys = query.get(rules.key_parameter)
    if keys is None and rules.default_key is not None:
        keys = [rules.default_key]
    if not keys or len(keys) != 1:
        return None
    default_direction = contract.parameter(rules.direction_parameter).wire_default() or ""
    direction = query.get(rules.direction_parameter, [default_direction])[0]
    return keys[0].split(rules.separator), rules.directions[direction]


def sort_tuple(contract: Contract, item: dict[str, Any], keys: list[str]) -> tuple[Any, ...]:
    return _sort_key(item, keys, fold=contract.sorting.string_order == "casefold")


def _sort_key(item: dict[str, Any], keys: list[str], *, fold: bool) -> tuple[Any, ...]:
    if not fold:
        return tuple(map(item.get, keys))
    return tuple(value.casefold() if isinstance(value, str) else value for value in map(item.get, keys))


def first_disorder(
    contract: Contract, items: list[dict[str, Any]], keys: list[str], direction: str
) -> int | None:
    """Index i where items[i] and items[i + 1] are out of order; None when all are in order."""
    fold = contract.sorting.string_order == "casefold"
    out_of_order = operator.gt if direction == "ascending" else operator.lt
    try:
        values = [_sort_key(item, keys, fold=fold) for item in items]
        pairs = enumerate(itertools.pairwise(values))
        return next((i for i, (a, b) in pairs if out_of_order(a, b)), None)
    except TypeError:
        return None  # mixed or missing types: the schema check reports them


@check("R11.order")
def data_in_requested_order(v: Verifier, ex: Exchange) -> None:
    order = requested_order(v.contract, ex.query)
    items = page_items(v.contract, ex)
    if order is None or len(items) < 2:
        return
    keys, direction = order
    i = first_disorder(v.contract, items, keys, direction)
    shown = None if i is None else [sort_tuple(v.contract, items[j], keys) for j in (i, i + 1)]
    v.holds(
        i is None,
        f"data {direction} by {', '.join(keys)}",
        f"data[{i}] and data[{i + 1 if i is not None else ''}] out of order: {shown}",
        ex,
    )
