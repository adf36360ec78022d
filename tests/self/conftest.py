"""The mutant self-test's shared run: the whole variant catalogue against the contract suite, once,
in two worker processes started as soon as collection ends, so that it runs while the other
self-tests do; a line per variant as its verdict arrives, and the matrix in the summary."""

from __future__ import annotations

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
KILL_MATRIX_FIXTURE = "variant_result"


def _start(config: pytest.Config) -> Matrix:
    if MATRIX not in config.stash:
        config.stash[MATRIX] = Matrix(list(CATALOGUE.values()), workers=2)
    return config.stash[MATRIX]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the matrix early, unless under xdist (where only the worker that needs it starts it)."""
    config = session.config
    wanted = any(KILL_MATRIX_FIXTURE in getattr(item, "fixturenames", ()) for item in session.items)
    if wanted and not config.option.collectonly and not hasattr(config, "workerinput"):
        _start(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if MATRIX in config.stash:
        config.stash[MATRIX].close()


@pytest.fixture
def variant_result(request: pytest.FixtureRequest) -> VariantResult:
    name = request.node.callspec.params["name"]
    result = _start(request.config).result(name, timeout=600)
    results = request.config.stash.setdefault(RESULTS, {})
    results[name] = result
    request.node.user_properties.append(("kill_matrix", f"[{len(results)}/{len(CATALOGUE)}] {result.line()}"))
    return result


class _Progress:
    """A line per variant as its verdict arrives (written from the report: during the test itself,
    output is captured)."""

    def __init__(self, reporter: pytest.TerminalReporter) -> None:
        self.reporter = reporter

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        line = dict(report.user_properties).get("kill_matrix") if report.when == "call" else None
        if line is not None:
            self.reporter.ensure_newline()
            self.reporter.write_line(f"kill matrix {line}")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        config.pluginmanager.register(_Progress(reporter), "kill-matrix-progress")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, {})
    if not results:
        return
    terminalreporter.write_sep("-", "variant kill matrix")
    ordered = [results[name] for name in CATALOGUE if name in results]
    for line in format_matrix(ordered).splitlines():
        terminalreporter.write_line(line)
