"""The mutant self-test's shared run: the selected variants against the contract suite, once, in two
worker processes started as soon as collection ends (under xdist: by the worker that takes the
kill-matrix group, first, as the largest group), so that it runs while the other self-tests do; a
line per variant as its verdict arrives, and the matrix in the summary."""

from __future__ import annotations

import dataclasses
import os
import sys

import pytest

from modelarts_contract.matrix.harness import Matrix, VariantResult, format_matrix
from modelarts_contract.variants import CATALOGUE

# The self-tests start pytest in dozens of subprocesses (and the matrix in two worker processes).
# Where PYTHONDONTWRITEBYTECODE is set, each of them would compile our modules and re-rewrite the
# assertions of schemathesis's ~350 modules from scratch (1.5 to 2.5 s a process); with bytecode
# caching on for this run, the first process writes the caches and the others read them.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

MATRIX = pytest.StashKey[Matrix]()
RESULTS = pytest.StashKey[dict[str, VariantResult]]()
SELECTED = pytest.StashKey[set[str]]()  # the variants whose tests were selected
KILL_MATRIX_FIXTURE = "variant_result"
VERDICT = "kill_matrix_verdict"  # the user property that carries a variant's result


def _start(config: pytest.Config) -> Matrix:
    """The matrix of the selected variants (all of them unless -k or -m says otherwise)."""
    if MATRIX not in config.stash:
        names = config.stash.get(SELECTED, set())
        config.stash[MATRIX] = Matrix([v for n, v in CATALOGUE.items() if n in names], workers=2)
    return config.stash[MATRIX]


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that takes the kill matrix's verdicts is the `matrix` tier."""
    for item in items:
        if KILL_MATRIX_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.matrix)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the matrix early, unless under xdist (where only the worker that needs it starts it)."""
    config = session.config
    wanted = {
        item.callspec.params["name"]
        for item in session.items
        if KILL_MATRIX_FIXTURE in getattr(item, "fixturenames", ())
    }
    config.stash[SELECTED] = wanted
    if wanted and not config.option.collectonly and not hasattr(config, "workerinput"):
        _start(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if MATRIX in config.stash:
        config.stash[MATRIX].close()


@pytest.fixture
def variant_result(request: pytest.FixtureRequest) -> VariantResult:
    name = request.node.callspec.params["name"]
    result = _start(request.config).result(name, timeout=600)
    # In the report, which reaches the xdist controller too: the progress line and the summary's matrix.
    fields = {**dataclasses.asdict(result), "methods": sorted(result.methods)}
    selected = len(request.config.stash.get(SELECTED, ()))
    request.node.user_properties.append((VERDICT, {"result": fields, "of": selected}))
    return result


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
