"""Test modules share helpers through tests/self/helpers.py, never by importing one another: a test
module imported by another runs its module-level code twice and ties the two together."""

from __future__ import annotations

import ast

from tests.self.helpers import ROOT


def imported_test_modules(source: str) -> list[str]:
    """The test modules (a `test_*` name) that this source imports, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [name for name in names if name.rsplit(".", 1)[-1].startswith("test_")]
    return found


def test_no_test_module_imports_another():
    modules = sorted((ROOT / "tests").rglob("*.py"))
    assert len(modules) > 30
    offences = {
        str(path.relative_to(ROOT)): imported
        for path in modules
        if (imported := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert not offences, f"move the shared names to tests/self/helpers.py: {offences}"


def test_the_check_sees_every_form_of_such_an_import():
    source = "\n".join(
        [
            "from tests.self.test_a import x",
            "import tests.self.test_b",
            "from tests.self import test_c",
            "from .test_d import y",
            "def f():\n    from tests.self.test_e import z",
            "from tests.self.helpers import run_suite",  # not a test module
        ]
    )
    found = imported_test_modules(source)
    assert found == [
        "tests.self.test_a",
        "tests.self.test_b",
        "tests.self.test_c",
        ".test_d",
        "tests.self.test_e",
    ]
