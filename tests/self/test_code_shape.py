"""The shape the code keeps so that it stays easy to change (issue 18, "Seams"): no source file over
350 lines, no class over 150, no function over 40."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "src" / "modelarts_contract").rglob("*.py"))
MAX_FILE_LINES, MAX_CLASS_LINES, MAX_FUNCTION_LINES = 350, 150, 40


def _spans(path: Path, root: Path = ROOT) -> list[str]:
    """Each class or function of `path` longer than its limit, as `path:name (N lines)`."""
    too_long = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            limit = MAX_CLASS_LINES
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            limit = MAX_FUNCTION_LINES
        else:
            continue
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        if lines > limit:
            too_long.append(f"{path.relative_to(root)}:{node.name} ({lines} lines, at most {limit})")
    return too_long


def test_the_sources_are_found():
    assert len(SOURCES) > 50  # the glob did not silently match nothing


def test_no_source_file_is_over_350_lines():
    long_files = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in SOURCES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    ]
    assert not long_files


def test_no_class_over_150_lines_and_no_function_over_40():
    assert not [span for path in SOURCES for span in _spans(path)]


def test_the_limits_catch_a_long_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES, encoding="utf-8")
    assert _spans(sample, tmp_path) == [f"sample.py:f ({MAX_FUNCTION_LINES + 1} lines, at most 40)"]
