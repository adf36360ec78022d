"""R10 on a single 200: every group satisfies the filters sent, as the spec's x-filters describes them."""

from __future__ import annotations

from typing import Any

from modelarts_contract.checks.core import Exchange, Verifier, page_items
from modelarts_contract.checks.registry import check, filter_clauses
from modelarts_contract.contract import Contract, FieldFilter


def active_filters(contract: Contract, query: dict[str, list[str]]) -> list[tuple[FieldFilter, str, str]]:
    """(filter, value, mode) for each field filter the query sets; mode is 'substring' or 'equals'."""
    active = []
    for rule in contract.filters:
        values = query.get(rule.parameter)
        if not isinstance(rule, FieldFilter) or not values or len(values) != 1:
            continue
        value = values[0]
        if value == "" and rule.empty_means_absent:
            continue
        active.append((rule, value, filter_mode(contract, rule, query)))
    return active


def filter_mode(contract: Contract, rule: FieldFilter, query: dict[str, list[str]]) -> str:
    """'substring' or 'equals': the rule's match, unless its exact-switch (or the switch's default) says."""
    switch = rule.exact_switch
    switch_default = contract.parameter(switch.parameter).wire_default() if switch else None
    return rule.mode(query, switch_default or "")


def satisfies(item: dict[str, Any], field: str, value: str, mode: str) -> bool:
    """R10: characters compare exactly; case matters and no character is a wildcard."""
    actual = item.get(field)
    if not isinstance(actual, str):
        return False
    return value in actual if mode == "substring" else actual == value


@check(*filter_clauses(FieldFilter))
def groups_satisfy_filters(v: Verifier, ex: Exchange) -> None:
    items = page_items(v.contract, ex)
    if not items:
        return
    for rule, value, mode in active_filters(v.contract, ex.query):
        wrong = [item.get(rule.field) for item in items if not satisfies(item, rule.field, value, mode)]
        v.expect(
            rule.clause,
            not wrong,
            f"every {rule.field} {'contains' if mode == 'substring' else 'equals'} {value!r}",
            f"{len(wrong)} group(s) do not, e.g. {wrong[:3]!r}",
            ex,
        )
