"""`modelarts-contract [pytest options]`: the packaged contract suite, for a user with no checkout.

It runs pytest on the suite that ships in the package, with the plugin loaded and pytest's own
settings isolated from whatever directory it is started in (the user's pytest.ini or pyproject
addopts would otherwise apply to our suite). Nothing is left in the current directory: pytest's
cache (so `--lf` and `--sw` work between runs) and hypothesis's storage live in one place, the user's
cache directory, `$XDG_CACHE_HOME/modelarts-contract` (default `~/.cache/modelarts-contract`);
every other option goes to pytest as given.
"""

from __future__ import annotations

import importlib
import os
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


def cache_dir() -> Path:
    """Where the console script keeps pytest's and hypothesis's files: never the current directory."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "modelarts-contract"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    suite = suite_dir()
    cache = cache_dir()
    # hypothesis reads it when it first stores something: its .hypothesis/ would land in the cwd.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(cache / "hypothesis"))
    with tempfile.TemporaryDirectory(prefix="modelarts-contract-") as tmp:
        settings = Path(tmp) / "pytest.ini"
        settings.write_text(SETTINGS, encoding="utf-8")
        own = [
            "-c",
            str(settings),
            "--rootdir",
            str(suite.parent),
            "-o",
            f"cache_dir={cache / 'pytest'}",
        ]
        return int(pytest.main([*own, "-p", PLUGIN, str(suite), *args]))


if __name__ == "__main__":
    sys.exit(main())
