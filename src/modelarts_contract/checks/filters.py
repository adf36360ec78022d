"""R10 on a single 200: every group satisfies the filters sent, as the spec's x-filters describes them."""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange, Verifier, page_items
from modelarts_contract.spec import Contract

CLAUSE_OF_FIELD = {"name": "R10.name-filter", "namespace": "R10.namespace-filter"}


def active_filters(contract: Contract, query: dict[str, list[str]]) -> list[tuple[dict, str, str]]:
    """(filter, value, match) for each field filter the query sets; match is 'substring' or 'equals'."""
    active = []
    for rule in contract.filters:
        values = query.get(rule["parameter"])
        if "field" not in rule or not values or len(values) != 1:
            continue
        value = values[0]
        if value == "" and rule.get("empty-means-absent"):
            continue
        match = rule["match"]
        switch = rule.get("exact-switch")
        if switch:
            flag = query.get(switch["parameter"], [str(switch["default"]).lower()])
            if flag == [str(switch["exact-when"]).lower()]:
                match = "equals"
        active.append((rule, value, match))
    return active


def satisfies(item: dict, field: str, value: str, match: str) -> bool:
    actual = item.get(field)
    if not isinstance(actual, str):
        return False
    return value in actual if match == "substring" else actual == value


def groups_satisfy_filters(v: Verifier, ex: Exchange) -> None:
    items = page_items(v.contract, ex)
    if not items:
        return
    for rule, value, match in active_filters(v.contract, ex.query):
        field = rule["field"]
        wrong = [item.get(field) for item in items if not satisfies(item, field, value, match)]
        v.expect(
            CLAUSE_OF_FIELD.get(field, "R10.name-filter"),
            not wrong,
            f"every {field} {'contains' if match == 'substring' else 'equals'} {value!r}",
            f"{len(wrong)} group(s) do not, e.g. {wrong[:3]!r}",
            ex,
        )
