"""The mutant self-test's shared run: the whole variant catalogue against the contract suite, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelarts_contract.variants import CATALOGUE
from modelarts_contract.variants.harness import VariantResult, format_matrix, run_catalogue

REPO_ROOT = Path(__file__).resolve().parents[2]
_results: list[VariantResult] = []  # filled by the fixture, printed by the summary


@pytest.fixture(scope="session")
def catalogue_results() -> dict[str, VariantResult]:
    """Runs every variant once (2 at a time): minutes, so only the slow tests ask for it."""
    _results.extend(run_catalogue(CATALOGUE.values(), workers=2, repo_root=REPO_ROOT))
    return {r.name: r for r in _results}


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _results:
        return
    terminalreporter.write_sep("-", "variant kill matrix")
    for line in format_matrix(_results).splitlines():
        terminalreporter.write_line(line)
