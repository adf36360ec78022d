"""Relations across requests, one test per registered relation and case (R2, R6, R7, R9-R12); the
relations declared `edge` run in test_edges.py, one test per edge family.

A relation whose data changed under it twice is reported as "data changed", never as a pass.
"""

from __future__ import annotations

import pytest

from modelarts_contract.checks.core import DataChanged
from modelarts_contract.checks.listing import Lister
from modelarts_contract.checks.registry import Relation, RelationCase, relations

CASES = [(relation, case) for relation in relations(edge=False) for case in relation.cases]


def _id(relation: Relation[...], case: RelationCase) -> str:
    name = relation.name.split(".", 1)[1].replace("_", "-")
    return f"{name}[{case.id}]" if case.id else name


@pytest.fixture(scope="module")
def lister(target):
    return Lister(target)


@pytest.mark.parametrize(("relation", "case"), CASES, ids=[_id(*c) for c in CASES])
def test_relation(target, lister, relation, case):
    try:
        lister.stable(relation, lambda: case.judge(target.verifier, lister))
    except DataChanged as exc:
        pytest.skip(f"DATA CHANGED (no verdict): {exc}")
