"""The console script as a tool with commands: its own help, each command dispatched, and the suite
as the default so that `modelarts-contract -q` and every pytest option still reach pytest."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from modelarts_contract import cli, commands
from modelarts_contract.history import cli as history_cli


@pytest.fixture
def suite_args(monkeypatch):
    """What the suite would have been run with (pytest is not started)."""
    seen: list[list[str]] = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append(argv) or 0)
    return seen


@pytest.mark.parametrize(
    ("argv", "to_pytest"),
    [
        ([], []),
        (["-q"], ["-q"]),
        (["-q", "--base-url", "https://x.example"], ["-q", "--base-url", "https://x.example"]),
        (["run", "--help"], ["--help"]),  # pytest's own help, all of it
        (["run", "compare"], ["compare"]),  # after `run`, everything is pytest's
        (["tests/contract", "-k", "auth"], ["tests/contract", "-k", "auth"]),
    ],
)
def test_the_suite_is_the_default_and_gets_every_argument(suite_args, argv, to_pytest):
    assert commands.main(argv) == 0
    assert suite_args == [to_pytest]


def test_commands_are_dispatched_with_their_arguments(suite_args, monkeypatch):
    seen = []
    monkeypatch.setattr(history_cli, "compare_main", lambda argv: seen.append(argv) or 1)
    assert commands.main(["compare", "a", "b"]) == 1
    assert seen == [["a", "b"]] and suite_args == []


def test_help_lists_the_commands_and_the_suite_options_not_pytest_s(capsys, suite_args):
    assert commands.main(["--help"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.split("commands:\n")[1].split("\n\n")[0].splitlines()]
    assert listed == ["run", "compare", "history", "judge", "drift", "report", "reference"]
    assert "--base-url BASE_URL" in out and "--report-dir DIR" in out and "MODELARTS_MAX_REQUESTS]" in out
    assert "usage: pytest" not in out and "--capture" not in out  # none of pytest's 300 lines
    assert len(out.splitlines()) < 100 and suite_args == []  # pytest's own help: over 300


@pytest.mark.parametrize("command", ["compare", "history", "judge", "drift", "report", "reference"])
def test_each_command_has_its_own_help(capsys, command):
    assert commands.main([command, "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: ")


@pytest.mark.e2e
def test_the_installed_console_script_shows_the_tool_s_help():
    script = shutil.which("modelarts-contract", path=str(sys.executable).rsplit("/", 1)[0])
    assert script is not None, "the console script is not installed beside this Python"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.startswith("usage: modelarts-contract [run]")
