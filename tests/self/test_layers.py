"""The seams that keep the layers (docs/architecture.md, Layers): the run reaches the variant
catalogue through a pytest hook, the report gets it from its caller, the reference's command
from modelarts-reference. Runs are subprocesses on the embedded server (127.0.0.1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.self.forkserver import run_pytest
from tests.self.helpers import ROOT, clean_environment

from modelarts_contract.matrix import serve
from modelarts_contract.reference import __main__ as reference_cli
from modelarts_contract.variants import CATALOGUE, mutants

AUTH_TESTS = ROOT / "tests" / "contract" / "test_auth.py"
OWN_CATALOGUE = """
import pytest
from modelarts_contract.variants import CATALOGUE

@pytest.hookimpl
def pytest_modelarts_variant_catalogue():
    return {"my-mutant": CATALOGUE["pages-rounded-down"]}
"""


def pytest_run(*args: str, plugin_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """pytest on the contract suite in a subprocess, with no MODELARTS_*/HUAWEICLOUD_SDK_* variable."""
    env = clean_environment()
    if plugin_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(plugin_dir), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    return run_pytest(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.e2e
def test_an_unknown_reference_variant_is_a_usage_error_that_names_the_option():
    run = pytest_run(str(AUTH_TESTS), "--reference-variant", "no-such-variant")
    assert run.returncode == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert "--reference-variant (MODELARTS_REFERENCE_VARIANT): no variant 'no-such-variant'" in run.stderr
    assert "python -m modelarts_contract.matrix --list" in run.stderr
    assert "passed" not in run.stdout and "failed" not in run.stdout  # stopped before any test


@pytest.mark.e2e
def test_the_variant_name_is_checked_against_what_the_hook_answers(tmp_path):
    # Without the catalogue's plugin, even a name of the catalogue is unknown: the run does not import it.
    run = pytest_run(
        str(AUTH_TESTS), "-p", "no:modelarts-contract-catalogue", "--reference-variant", "pages-rounded-down"
    )
    assert run.returncode == 4 and "no variant 'pages-rounded-down'; no catalogue" in run.stderr, run.stderr
    # A plugin of the user's own answers before the catalogue's.
    (tmp_path / "own_catalogue.py").write_text(OWN_CATALOGUE, encoding="utf-8")
    own = pytest_run(
        str(AUTH_TESTS),
        "-p",
        "own_catalogue",
        "--co",
        "--reference-variant",
        "my-mutant",
        plugin_dir=tmp_path,
    )
    assert own.returncode == 0, own.stdout[-2000:] + own.stderr[-2000:]


@pytest.mark.e2e
def test_a_run_fills_the_reports_proven_by_column_from_the_catalogue(tmp_path):
    run = pytest_run(str(AUTH_TESTS), "--report-dir", str(tmp_path))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = (tmp_path / "conformance.md").read_text(encoding="utf-8")
    assert "(catalogue unavailable)" not in report
    row = next(line for line in report.splitlines() if line.startswith("| `R1.other-project` |"))
    proving = [v.name for v in mutants() if "R1.other-project" in v.clauses]
    assert proving and all(f"`{name}`" in row.rsplit("|", 2)[-2] for name in proving), row


def test_the_reference_command_serves_a_variant_only_with_the_catalogue(capsys):
    assert reference_cli.main(["--port", "0", "--variant", "pages-rounded-down"]) == 2
    assert "modelarts-reference --variant NAME serves a variant" in capsys.readouterr().err
    assert serve.main(["--port", "0", "--variant", "no-such-variant"]) == 2
    assert "no such variant" in capsys.readouterr().err
    assert "pages-rounded-down" in CATALOGUE  # the name refused above is a real one
