"""`tox -e lowest` runs the tests on the lowest versions pyproject declares: its constraints file
must say exactly those (the runtime dependencies, the sdk extra, and the test runner's plugin)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "tests" / "lowest-constraints.txt"
_LOWER = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)")
TEST_PLUGINS = {"pytest-xdist"}  # from the dev extra: the test suite runs with it


def lower_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *extras["sdk"]]
    wanted += [r for r in extras["dev"] if _LOWER.match(r) and _LOWER.match(r).group(1) in TEST_PLUGINS]
    bounds = {}
    for requirement in wanted:
        match = _LOWER.match(requirement)
        assert match, f"{requirement!r} in pyproject.toml has no lower bound: `tox -e lowest` needs one"
        bounds[match.group(1).lower()] = match.group(2)
    return bounds


def pinned() -> dict[str, str]:
    lines = CONSTRAINTS.read_text(encoding="utf-8").splitlines()
    pins = [line.split("==") for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip().lower(): version.strip() for name, version in pins}


def _release(version: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (3 - len(parts))


def test_the_lowest_constraints_are_pyprojects_lower_bounds():
    bounds, pins = lower_bounds(), pinned()
    expected = "\n".join(f"{name}=={version}" for name, version in bounds.items())
    assert set(pins) == set(bounds), f"tests/lowest-constraints.txt should pin:\n{expected}"
    for name, version in bounds.items():
        assert _release(pins[name]) == _release(version), (
            f"{name}: pinned {pins[name]}, pyproject says >={version}"
        )
