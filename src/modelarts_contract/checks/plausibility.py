"""R12 on every 200: plausible timestamps and counts, and no group twice on a page."""

from __future__ import annotations

import operator
import time
from collections import Counter
from typing import Any, TypeGuard

from modelarts_contract.checks.core import Exchange, Verifier, hashable, page_items
from modelarts_contract.checks.registry import Scope, check
from modelarts_contract.contract import Plausibility


@check("R12.plausible", scope=Scope.ANY)
def plausible_groups(v: Verifier, ex: Exchange) -> None:
    items = page_items(v.contract, ex)
    if not items:
        return
    rules = v.contract.plausibility
    latest = int(time.time() * 1000) + rules.max_future_ms
    problems = [] if _plainly_plausible(items, rules, latest) else _problems(items, rules, latest)
    v.holds(not problems, "plausible groups (R12)", "; ".join(problems[:5]), ex)


def _plainly_plausible(items: list[dict[str, Any]], rules: Plausibility, latest: int) -> bool:
    """True when every field the rules read is an integer within its bounds in every group (most
    pages), judged a column at a time; any other page goes to `_problems`, which says what is wrong
    where. Hundreds of pages a run, up to a thousand groups each."""
    columns: dict[str, list[Any]] = {
        name: [item.get(name) for item in items]
        for name in {*rules.timestamps, *rules.ordered, *rules.minimum}
    }
    if {type(value) for column in columns.values() for value in column} != {int}:
        return False
    earliest, (first, second) = rules.not_before_ms, rules.ordered
    return (
        all(earliest <= min(columns[name]) and max(columns[name]) <= latest for name in rules.timestamps)
        and not any(map(operator.gt, columns[first], columns[second]))
        and all(min(columns[name]) >= minimum for name, minimum in rules.minimum.items())
    )


def _problems(items: list[dict[str, Any]], rules: Plausibility, latest: int) -> list[str]:
    earliest = rules.not_before_ms
    first, second = rules.ordered
    problems = []
    for index, item in enumerate(items):
        where = f"data[{index}] {item.get('namespace')}/{item.get('name')}"
        for name in rules.timestamps:
            value = item.get(name)
            if _integer(value) and not earliest <= value <= latest:
                problems.append(f"{where}: {name}={value} is not UTC ms in [{earliest}, {latest}]")
        a, b = item.get(first), item.get(second)
        if _integer(a) and _integer(b) and a > b:
            problems.append(f"{where}: {first}={a} > {second}={b}")
        for name, minimum in rules.minimum.items():
            value = item.get(name)
            if _integer(value) and value < minimum:
                problems.append(f"{where}: {name}={value} < {minimum}")
    return problems


def _integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # the schema check reports the rest


@check("R12.unique", scope=Scope.ANY)
def unique_groups(v: Verifier, ex: Exchange) -> None:
    items = page_items(v.contract, ex)
    if not items:
        return
    identity = v.contract.identity
    keys = [tuple(map(item.get, identity)) for item in items]
    try:
        counts = Counter(keys)  # JSON's strings, numbers, booleans and nulls are their own keys
    except TypeError:  # a hostile body: lists or objects where strings belong
        counts = Counter(tuple(map(hashable, key)) for key in keys)
    twice = [key for key, n in counts.items() if n > 1]
    v.holds(not twice, f"each {'+'.join(identity)} once", f"repeated: {twice[:5]}", ex)
