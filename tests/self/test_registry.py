"""The registry joins clause, check, mutant and report: every clause of the spec has a check that
declares it, a mutant that breaks it and (where the clause leaves a freedom) a benign variant."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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

    @registry.check("R9.pages", "R9.size", scope=registry.Scope.LISTING)
    def names_no_clause(v, _exchange):
        v.holds(True, "", "")  # which of its two clauses?

    try:
        with pytest.raises(UndeclaredClause, match="does not declare"):
            verifier.run(judges_another_clause, None)
        with pytest.raises(UndeclaredClause, match="without naming which"):
            verifier.run(names_no_clause, None)
        with pytest.raises(UndeclaredClause, match="outside any registered check"):
            verifier.expect("R9.pages", True, "", "")
        with pytest.raises(UndeclaredClause, match="outside any registered check"):
            verifier.holds(True, "", "")
    finally:
        registry._ENTRIES.pop(judges_another_clause.name)
        registry._ENTRIES.pop(names_no_clause.name)
    assert verifier.ledger.as_dict() == {}


def test_configured_requests_get_every_any_response_check_too():
    any_checks = set(registry.response_checks(registry.Scope.ANY))
    configured = set(registry.response_checks(registry.Scope.CONFIGURED))
    assert any_checks < configured
    assert all(c.scope is registry.Scope.ANY for c in any_checks)


# --- Adding a clause: a relation clause with a freedom is three files (docs/architecture.md). ------

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE_CLAUSE = """\
  - id: R9.sample-first-page
    text: The first page reports the total of the whole listing.
    source: R9
    freedom: a sample freedom, taken by the benign variant
"""
SAMPLE_RELATION = '''

@relation("R9.sample-first-page")
def sample_first_page(v: Verifier, lister: Lister) -> None:
    """The first page's total is the whole listing's."""
    listing, page = lister.listing(), lister.page({})
    v.holds(page.total == listing.total, f"total {listing.total}", f"total {page.total}", page.exchange)
'''
SAMPLE_VARIANTS = '''

class SampleTotalPlusOne(ReferenceApp):
    """total is one more than the listing holds."""

    def envelope(self, groups: list[Group], total: int, q: ListQuery) -> dict[str, Any]:
        return {**super().envelope(groups, total, q), "total": total + 1}


VARIANTS += (
    mutant("sample-total-plus-one", "R9.sample-first-page", SampleTotalPlusOne, probes=[{}]),
    benign("sample-freedom", "R9.sample-first-page", summary="the reference, taking the sample freedom"),
)
'''


def _copy_project(root: Path) -> None:
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("src", "openapi", "tests"):
        shutil.copytree(PROJECT / folder, root / folder, ignore=skip)
    for name in ("docs/contract.md", "pyproject.toml", "conftest.py"):
        (root / name).parent.mkdir(exist_ok=True)
        shutil.copy(PROJECT / name, root / name)
    # Where the wheel puts the spec (modelarts_contract.openapi), so that the copy's spec is the one read.
    (root / "src/modelarts_contract/openapi").symlink_to(root / "openapi", target_is_directory=True)


def _contents(root: Path) -> dict[str, bytes]:
    files = (p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: {old!r} is not there once"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.e2e
def test_a_relation_clause_with_a_freedom_takes_three_files(tmp_path):
    """The recipe of docs/architecture.md, "Adding a clause", followed in a copy of the project: the
    spec entry, a relation in one checks module, a mutant with its probe and a benign variant in one
    variants module; the registry's self-test and the probe check then pass with the new clause."""
    _copy_project(tmp_path)
    before = _contents(tmp_path)
    _edit(
        tmp_path / "openapi/images-group.yaml",
        "  - id: R10.name-filter\n",
        SAMPLE_CLAUSE + "  - id: R10.name-filter\n",
    )
    relations = tmp_path / "src/modelarts_contract/checks/relations.py"
    relations.write_text(relations.read_text(encoding="utf-8") + SAMPLE_RELATION, encoding="utf-8")
    variants = tmp_path / "src/modelarts_contract/variants/paging_mutants.py"
    _edit(variants, "from .base import mutant\n", "from .base import benign, mutant\n")
    variants.write_text(variants.read_text(encoding="utf-8") + SAMPLE_VARIANTS, encoding="utf-8")
    after = _contents(tmp_path)
    assert set(after) == set(before)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == [
        "openapi/images-group.yaml",
        "src/modelarts_contract/checks/relations.py",
        "src/modelarts_contract/variants/paging_mutants.py",
    ]
    tests = [
        "tests/self/test_registry.py::test_every_clause_has_a_check_a_mutant_and_its_benign_variants",
        "tests/self/test_registry.py::test_every_declared_clause_is_in_the_spec",
        "tests/self/test_variants.py::test_every_mutant_has_a_probe",
        "tests/self/test_variants.py::test_variant_differs_from_the_reference",
    ]
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        *tests,
        "-q",
        "-rA",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
    ]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    for ran in (f"{tests[0]}[R9.sample-first-page]", f"{tests[3]}[sample-total-plus-one]"):
        assert f"PASSED {ran}" in done.stdout, done.stdout[-3000:]  # the copy's clause, not ours
