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
    request.node.user_properties.append(
        ("kill_matrix", f"[{len(_results)}/{len(CATALOGUE)}] {result.line()}")
    )
    return result


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A line per variant as its verdict arrives (written here: during the test, output is captured)."""
    line = dict(report.user_properties).get("kill_matrix") if report.when == "call" else None
    if line is not None and _reporter is not None:
        _reporter.ensure_newline()
        _reporter.write_line(f"kill matrix {line}")


_reporter = None


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    global _reporter
    _reporter = config.pluginmanager.get_plugin("terminalreporter")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _results:
        return
    terminalreporter.write_sep("-", "variant kill matrix")
    ordered = [_results[name] for name in CATALOGUE if name in _results]
    for line in format_matrix(ordered).splitlines():
        terminalreporter.write_line(line)
