"""The kill matrix in the terminal: a line per variant as its verdict arrives, and the matrix in the
summary. A plugin of the root conftest, not of tests/self/conftest.py: under xdist the controller
prints, and it loads no conftest below the root (it collects nothing). The verdicts come in the
tests' reports (the `variant_result` fixture puts them there), which reach the controller too."""

from __future__ import annotations

import pytest

from modelarts_contract.matrix.harness import VariantResult, format_matrix
from modelarts_contract.variants import CATALOGUE

RESULTS = pytest.StashKey[dict[str, VariantResult]]()
VERDICT = "kill_matrix_verdict"  # the user property that carries a variant's result


class _Progress:
    """A line per variant as its verdict arrives, and the verdicts kept for the summary (taken from
    the report: during the test itself output is captured, and under xdist it runs in a worker)."""

    def __init__(self, config: pytest.Config, reporter: pytest.TerminalReporter) -> None:
        self.config = config
        self.reporter = reporter

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        verdict = dict(report.user_properties).get(VERDICT) if report.when == "call" else None
        if verdict is None:
            return
        fields = verdict["result"]
        result = VariantResult(
            **{**fields, "methods": set(fields["methods"]), "expected": tuple(fields["expected"])}
        )
        results = self.config.stash.setdefault(RESULTS, {})
        results[result.name] = result
        self.reporter.ensure_newline()
        self.reporter.write_line(f"kill matrix [{len(results)}/{verdict['of']}] {result.line()}")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        config.pluginmanager.register(_Progress(config, reporter), "kill-matrix-progress")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, {})
    if not results:
        return
    terminalreporter.write_sep("-", "variant kill matrix")
    ordered = [results[name] for name in CATALOGUE if name in results]
    for line in format_matrix(ordered).splitlines():
        terminalreporter.write_line(line)
