"""The mutant self-test's shared run: the selected variants against the contract suite, once, in two
worker processes started as soon as collection ends (under xdist: by the worker that takes the
kill-matrix group, first, as the largest group), so that it runs while the other self-tests do; a
verdict per variant in its test's report (tests/self/kill_matrix_report.py prints them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator

import pytest
from tests.self.forkserver import FORKS, SESSION_SERVER, ForkServer
from tests.self.hostile import raw_server as raw_server  # the fixture: small servers on 127.0.0.1
from tests.self.kill_matrix_report import VERDICT

from modelarts_contract.matrix.harness import Matrix, VariantResult
from modelarts_contract.variants import CATALOGUE

FORK_SERVER = pytest.StashKey[ForkServer]()
MATRIX = pytest.StashKey[Matrix]()
SELECTED = pytest.StashKey[set[str]]()  # the variants whose tests were selected
KILL_MATRIX_FIXTURE = "variant_result"


def _start(config: pytest.Config) -> Matrix:
    """The matrix of the selected variants (all of them unless -k or -m says otherwise)."""
    if MATRIX not in config.stash:
        names = config.stash.get(SELECTED, set())
        config.stash[MATRIX] = Matrix([v for n, v in CATALOGUE.items() if n in names], workers=2)
    return config.stash[MATRIX]


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that takes the kill matrix's verdicts is the `matrix` tier. The whole catalogue
    recorded and replayed (about 40 minutes) runs only when `-m` names `replay_matrix`: deselected
    otherwise, so that the test command neither runs it nor reports it as skipped."""
    for item in items:
        if KILL_MATRIX_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.matrix)
    if "replay_matrix" in (config.getoption("markexpr") or ""):
        return
    chosen = [item for item in items if item.get_closest_marker("replay_matrix") is None]
    if len(chosen) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
        items[:] = chosen


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the matrix early, unless under xdist (where only the worker that needs it starts it)."""
    config = session.config
    wanted = {
        item.callspec.params["name"]
        for item in session.items
        if KILL_MATRIX_FIXTURE in getattr(item, "fixturenames", ())
    }
    config.stash[SELECTED] = wanted
    _check_grouped(session)
    if wanted and not config.option.collectonly and not hasattr(config, "workerinput"):
        _start(config)


def _check_grouped(session: pytest.Session) -> None:
    """Under --dist loadgroup, xdist suffixes a grouped test's id with its group on the worker; where
    it does not (pytest 9.2 with xdist 3.8: pytest-xdist#1386) both workers would take kill-matrix
    tests and each run the whole matrix. Fail loudly rather than silently doing twice the work."""
    if not (hasattr(session.config, "workerinput") and session.config.getvalue("loadgroup")):
        return
    grouped = [item for item in session.items if item.get_closest_marker("xdist_group")]
    if any("@" not in item.nodeid.rpartition("]")[2] for item in grouped):
        raise pytest.UsageError(
            "pytest-xdist's --dist loadgroup does not group on this pytest (pytest-xdist#1386): "
            "install the dev extra's pytest<9.2"
        )


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


@pytest.fixture(scope="session", autouse=True)
def fork_server(request: pytest.FixtureRequest) -> Generator[ForkServer | None]:
    """The session's pytest fork server (started by its first run), for helpers.run_suite and the
    other pytest subprocesses, through forkserver.run_pytest. None where the system has no pidfd
    (Linux only): the runs are real subprocesses there."""
    if not FORKS:
        yield None
        return
    server = request.config.stash[FORK_SERVER] = ForkServer()
    SESSION_SERVER.set(server)
    yield server
    SESSION_SERVER.set(None)
    server.close()
