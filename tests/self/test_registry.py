"""The registry joins clause, check, mutant and report: every clause of the spec has a check that
declares it, a mutant that breaks it and (where the clause leaves a freedom) a benign variant."""

from __future__ import annotations

import pytest

from modelarts_contract.checks import UndeclaredClause, Verifier, registry
from modelarts_contract.checks.core import Ledger
from modelarts_contract.contract import load_contract
from modelarts_contract.redact import Redactor
from modelarts_contract.variants import CATALOGUE

CLAUSES = load_contract().clauses


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_every_clause_has_a_check_a_mutant_and_its_benign_variants(clause_id):
    assert registry.checks_judging(clause_id), f"no registered check declares {clause_id}"
    kinds = {v.kind for v in CATALOGUE.values() if clause_id in v.clauses}
    assert "mutant" in kinds, f"no mutant breaks {clause_id}"
    if CLAUSES[clause_id].freedom:
        assert "benign" in kinds, (
            f"{clause_id} leaves a freedom ({CLAUSES[clause_id].freedom}): no benign variant"
        )


def test_every_declared_clause_is_in_the_spec():
    declared = {c for entry in registry.entries() for c in entry.clauses}
    assert declared <= set(CLAUSES), declared - set(CLAUSES)
    assert {c for v in CATALOGUE.values() for c in v.clauses} <= set(CLAUSES)


def test_the_verifier_refuses_a_verdict_its_check_did_not_declare():
    verifier = Verifier(load_contract(), Redactor(), Ledger())

    @registry.check("R9.pages", scope=registry.Scope.LISTING)
    def judges_another_clause(v, _exchange):
        v.expect("R9.size", True, "", "")

    try:
        with pytest.raises(UndeclaredClause, match="does not declare"):
            verifier.run(judges_another_clause, None)
        with pytest.raises(UndeclaredClause, match="outside any registered check"):
            verifier.expect("R9.pages", True, "", "")
    finally:
        registry._ENTRIES.pop(judges_another_clause.name)
    assert verifier.ledger.as_dict() == {}


def test_configured_requests_get_every_any_response_check_too():
    any_checks = set(registry.response_checks(registry.Scope.ANY))
    configured = set(registry.response_checks(registry.Scope.CONFIGURED))
    assert any_checks < configured
    assert all(c.scope is registry.Scope.ANY for c in any_checks)
