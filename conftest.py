"""The suite's pytest wiring lives in the package, so users can load it from their own repository too."""

from pathlib import Path

import pytest

# The kill matrix's terminal output: here, because an xdist controller loads no conftest below this one;
# xdist_groups: here, to keep every xdist group (the kill matrix's) on one worker under pytest 9.2.
pytest_plugins = [
    "modelarts_contract.pytest_plugin",
    "tests.self.kill_matrix_report",
    "tests.self.xdist_groups",
]

CONTRACT_SUITE = Path(__file__).resolve().parent / "tests" / "contract"


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The contract suite runs whole against the embedded server: the e2e tier of this project's tests.
    The mark is given here, not in the suite's modules: the suite ships as a package that users run
    under their own pytest settings, where an undeclared marker fails a --strict-markers run."""
    for item in items:
        if item.path.is_relative_to(CONTRACT_SUITE):
            item.add_marker(pytest.mark.e2e)
