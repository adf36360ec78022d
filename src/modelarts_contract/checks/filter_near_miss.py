"""R10 on near misses: each field filter with values that differ from a value in the listing by what
real backends blur (`modelarts_contract.near_values`), in each of its match modes. The filtered
listing is exactly what the filter picks from the whole listing by hand; where R4 allows a 400 (a
value outside the documented format), a 400 skips the comparison (the single-response checks still
judge it: never a 5xx). A near-miss value the edge layer already sends is not sent twice.
"""

from __future__ import annotations

from modelarts_contract import edges
from modelarts_contract.checks.core import Verifier
from modelarts_contract.checks.edge_relations import field_samples, judge_each
from modelarts_contract.checks.filters import filter_mode
from modelarts_contract.checks.listing import Lister
from modelarts_contract.checks.registry import filter_clauses, relation
from modelarts_contract.checks.relations import filtered_by_hand
from modelarts_contract.contract import Contract, FieldFilter
from modelarts_contract.edges import Edge
from modelarts_contract.near_values import FORMS, near_values

# A substring match blurs these too; the others (a part of a value, case) the edge layer sends.
SUBSTRING_FORMS = ("trailing space", "other normalisation form", "fullwidth", "separators swapped")


def _modes(contract: Contract, rule: FieldFilter) -> list[tuple[dict[str, str], tuple[str, ...]]]:
    """(the parameters that pick a match mode, the forms sent in it): an exact match gets every
    form, a substring match those it could blur."""
    switch = rule.exact_switch
    if rule.match != "substring":
        return [({}, tuple(FORMS))]
    if switch is None:
        return [({}, SUBSTRING_FORMS)]
    return [({switch.parameter: str(switch.exact_when).lower()}, tuple(FORMS)), ({}, SUBSTRING_FORMS)]


def near_miss_edges(contract: Contract, samples: dict[str, list[str]]) -> list[Edge]:
    """Every field filter's near-miss values in each of its modes, less those the edges send."""
    found: list[Edge] = []
    for rule in (f for f in contract.filters if isinstance(f, FieldFilter)):
        values = samples.get(rule.field, [])
        sent = {e.params for e in edges.free_string_edges(contract, rule.parameter, values)}
        for mode, forms in _modes(contract, rule):
            for label, value in near_values(values, forms).items():
                params = tuple({rule.parameter: value, **mode}.items())
                if params not in sent:
                    found.append(Edge("near-miss", rule.parameter, label, params))
    return found


@relation("R4.free-strings", *filter_clauses(FieldFilter))
def near_miss_filter_values(v: Verifier, lister: Lister) -> None:
    """R10: near-miss values of names and namespaces filter exactly as the listing says by hand."""
    base = lister.listing()
    rules = {rule.parameter: rule for rule in v.contract.filters if isinstance(rule, FieldFilter)}

    def judge(edge: Edge) -> None:
        rule, query = rules[edge.kind], edge.query
        mode = filter_mode(v.contract, rule, {k: [x] for k, x in query.items()})
        filtered_by_hand(v, lister, rule, base, query, mode)

    judge_each(near_miss_edges(v.contract, field_samples(v.contract, base.items)), judge, lister)
