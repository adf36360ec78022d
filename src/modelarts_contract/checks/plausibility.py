"""R12 on every 200: plausible timestamps and counts, and no group twice on a page."""

from __future__ import annotations

import time
from collections import Counter
from typing import TypeGuard

from modelarts_contract.checks.core import Exchange, Verifier, hashable, page_items
from modelarts_contract.checks.registry import Scope, check


@check("R12.plausible", scope=Scope.ANY)
def plausible_groups(v: Verifier, ex: Exchange) -> None:
    items = page_items(v.contract, ex)
    if not items:
        return
    rules = v.contract.plausibility
    earliest = rules.not_before_ms
    latest = int(time.time() * 1000) + rules.max_future_ms
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
    v.holds(not problems, "plausible groups (R12)", "; ".join(problems[:5]), ex)


def _integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # the schema check reports the rest


@check("R12.unique", scope=Scope.ANY)
def unique_groups(v: Verifier, ex: Exchange) -> None:
    items = page_items(v.contract, ex)
    if not items:
        return
    identity = v.contract.identity
    counts = Counter(tuple(hashable(item.get(f)) for f in identity) for item in items)
    twice = [key for key, n in counts.items() if n > 1]
    v.holds(not twice, f"each {'+'.join(identity)} once", f"repeated: {twice[:5]}", ex)
