"""The edge layer (issue 10): every parameter at its edges, one request per edge value, every run.

The edges come from the spec (modelarts_contract.edges): free strings at their lengths, punctuation,
control and non-ASCII characters; integers at 0, 1, their defaults, bounds, int32 and backend-window
edges; enums in every case variant and with whitespace; lenient booleans; every sort_key order; every
filter with every sort key on a later page. They get the same judgement as a generated request:
every single-response check, and the families whose answer follows from the whole listing are
relations declared `edge` (checks.edge_relations), run under the live-data guard (R17).
"""

from __future__ import annotations

import pytest

from modelarts_contract import edges
from modelarts_contract.checks.core import DataChanged
from modelarts_contract.checks.edge_relations import judge_each
from modelarts_contract.checks.listing import Lister
from modelarts_contract.checks.registry import Relation, RelationCase, Scope, relations, response_checks
from modelarts_contract.contract import FieldFilter, load_contract

CONTRACT = load_contract()
_FILTERED = {f.parameter for f in CONTRACT.filters if isinstance(f, FieldFilter)}  # judged by hand instead

# Families no listing can judge better than the single-response checks do.
ALONE = [
    *[(f"free-strings[{p.name}]", edges.free_string_edges(CONTRACT, p.name))
      for p in edges.free_string_parameters(CONTRACT) if p.name not in _FILTERED],
    *[(f"enums[{p.name}]", edges.enum_edges(CONTRACT, p.name)) for p in edges.enum_parameters(CONTRACT)],
    *[(f"booleans[{p.name}]", edges.boolean_edges(CONTRACT, p.name)) for p in edges.boolean_parameters(CONTRACT)],
]  # fmt: skip
AGAINST_LISTING = [(relation, case) for relation in relations(edge=True) for case in relation.cases]


def _id(relation: Relation[...], case: RelationCase) -> str:
    name = relation.name.split(".", 1)[1].replace("_", "-")
    return f"{name}[{case.id}]" if case.id else name


@pytest.fixture(scope="module")
def lister(target):
    return Lister(target)


@pytest.mark.parametrize(("family", "edge_list"), ALONE, ids=[family for family, _ in ALONE])
def test_edges_alone(target, family, edge_list):
    checks = response_checks(Scope.CONFIGURED)
    judge_each(edge_list, lambda edge: target.verifier.run_all(checks, target.get(edge.query)))


@pytest.mark.parametrize(("relation", "case"), AGAINST_LISTING, ids=[_id(*c) for c in AGAINST_LISTING])
def test_edges_against_the_listing(target, lister, relation, case):
    try:
        lister.stable(relation, lambda: case.judge(target.verifier, lister))
    except DataChanged as exc:
        pytest.skip(f"DATA CHANGED (no verdict): {exc}")
