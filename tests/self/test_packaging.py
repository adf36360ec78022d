"""The wheel carries what the suite reads: every package under src/, the spec and the suite, which
live outside src/ so that the checkout keeps openapi/ and tests/contract/ (.ci/wheel-check installs
the built wheel into a fresh venv and runs it)."""

from __future__ import annotations

import tomllib

from tests.self.helpers import ROOT

import modelarts_contract
from modelarts_contract.cli import suite_dir
from modelarts_contract.contract import load_document

SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_under_src_is_listed():
    found = {
        ".".join(p.parent.relative_to(ROOT / "src").parts)
        for p in (ROOT / "src").rglob("__init__.py")
        if "egg-info" not in str(p)
    }
    assert found <= set(SETUPTOOLS["packages"]), found - set(SETUPTOOLS["packages"])


def test_the_packages_outside_src_are_mapped_and_are_packages():
    mapped = {name: path for name, path in SETUPTOOLS["package-dir"].items() if name}
    assert mapped == {"modelarts_contract.openapi": "openapi", "modelarts_contract.suite": "tests/contract"}
    for name, path in mapped.items():
        assert name in SETUPTOOLS["packages"] and (ROOT / path / "__init__.py").is_file()
    assert "*.yaml" in SETUPTOOLS["package-data"]["modelarts_contract.openapi"]


def test_spec_and_suite_are_read_as_package_data():
    assert load_document()["info"]["version"]
    assert suite_dir() == (ROOT / "tests" / "contract").resolve()
    assert modelarts_contract.__version__ != "0+unknown"  # one place: the installed metadata
