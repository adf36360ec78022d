"""The suite's pytest wiring lives in the package, so users can load it from their own repository too."""

import os
import sys
from pathlib import Path

import pytest

# The kill matrix's terminal output: here, because an xdist controller loads no conftest below this one.
pytest_plugins = ["modelarts_contract.pytest_plugin", "tests.self.kill_matrix_report"]

# The self-tests start pytest in xdist workers, dozens of subprocesses and the matrix's two worker
# processes. Where PYTHONDONTWRITEBYTECODE is set (as on some CI machines), each would compile our
# modules and re-rewrite the assertions of schemathesis's ~350 modules from scratch (1.5 to 2.5 s a
# process); with bytecode caching on, the first process writes the caches and the others read them.
# Here, not lower: the xdist controller loads this conftest before it starts its workers.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

CONTRACT_SUITE = Path(__file__).resolve().parent / "tests" / "contract"


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The contract suite runs whole against the embedded server: the e2e tier of this project's tests.
    The mark is given here, not in the suite's modules: the suite ships as a package that users run
    under their own pytest settings, where an undeclared marker fails a --strict-markers run."""
    for item in items:
        if item.path.is_relative_to(CONTRACT_SUITE):
            item.add_marker(pytest.mark.e2e)
