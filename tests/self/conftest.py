"""The mutant self-test's shared run: the whole variant catalogue against the contract suite, once,
in two worker processes; a line per variant as its verdict arrives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelarts_contract.variants import CATALOGUE
from modelarts_contract.variants.harness import Matrix, VariantResult, format_matrix

_results: dict[str, VariantResult] = {}  # filled as the verdicts arrive, printed by the summary


@pytest.fixture(scope="session")
def kill_matrix() -> Iterator[Matrix]:
    """Starts every variant at once (2 processes); each test waits for its own verdict."""
    matrix = Matrix(list(CATALOGUE.values()), workers=2)
    try:
        yield matrix
    finally:
        matrix.close()


@pytest.fixture
def variant_result(kill_matrix: Matrix, request: pytest.FixtureRequest) -> VariantResult:
    name = request.node.callspec.params["name"]
    result = kill_matrix.result(name, timeout=600)
    _results[name] = result
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"kill matrix [{len(_results)}/{len(CATALOGUE)}] {result.line()}")
    return result


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _results:
        return
    terminalreporter.write_sep("-", "variant kill matrix")
    ordered = [_results[name] for name in CATALOGUE if name in _results]
    for line in format_matrix(ordered).splitlines():
        terminalreporter.write_line(line)
