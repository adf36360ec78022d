"""`modelarts-contract [pytest options]`: the packaged contract suite, for a user with no checkout.

It runs pytest on the suite that ships in the package, with the plugin loaded and pytest's own
settings isolated from whatever directory it is started in (the user's pytest.ini or pyproject
addopts would otherwise apply to our suite). pytest's cache stays in the current directory, so
`--lf` and `--sw` work between runs; every other option goes to pytest as given.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

import pytest

PLUGIN = "modelarts_contract.pytest_plugin"
SETTINGS = "[pytest]\naddopts = --tb=short\n"


def suite_dir() -> Path:
    """The contract suite: tests/contract in a checkout, the packaged copy in an installed wheel."""
    # Imported by name: the package is mapped from tests/contract (package-dir), not found under src/.
    suite = importlib.import_module("modelarts_contract.suite")
    if suite.__file__ is None:
        raise RuntimeError("modelarts_contract.suite has no __init__.py: the installation is broken")
    return Path(suite.__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    suite = suite_dir()
    with tempfile.TemporaryDirectory(prefix="modelarts-contract-") as tmp:
        settings = Path(tmp) / "pytest.ini"
        settings.write_text(SETTINGS, encoding="utf-8")
        own = [
            "-c",
            str(settings),
            "--rootdir",
            str(suite.parent),
            "-o",
            f"cache_dir={Path.cwd() / '.pytest_cache'}",
        ]
        return int(pytest.main([*own, "-p", PLUGIN, str(suite), *args]))


if __name__ == "__main__":
    sys.exit(main())
