"""The README's output samples are real: each ```console block starts with the command that prints
it (`$ ...`), and this test runs the command and checks that the sample still matches, structurally.

Structure, not bytes: numbers, ports and durations may differ, and a sample may leave lines out (it
must appear in the output in order) or shorten a line with "...". Each command runs in the checkout
with no MODELARTS_* or HUAWEICLOUD_SDK_* variable set, as a newcomer would run it.
"""

from __future__ import annotations

import configparser
import re

import pytest
from tests.self.helpers import ROOT
from tests.self.shared_runs import README_COMMANDS, readme_command

README = ROOT / "README.md"
_BLOCK = re.compile(r"```console\n\$ (?P<command>[^\n]+)\n(?P<sample>.*?)```", re.S)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def samples() -> list[tuple[str, str]]:
    return [(m["command"], m["sample"]) for m in _BLOCK.finditer(README.read_text(encoding="utf-8"))]


def _pattern(line: str) -> re.Pattern[str]:
    """A sample line as a regular expression: any number for a number, anything for '...'."""
    parts = [
        _NUMBER.sub(lambda _: "\0", piece) for piece in line.rstrip().split("...")
    ]  # \0 marks a number until the escaping is done
    escaped = [re.escape(part).replace("\0", r"\d+(?:\.\d+)?") for part in parts]
    return re.compile(".*".join(escaped))


def unmatched(sample: str, output: str) -> list[str]:
    """The sample lines not found, in order, in the output (empty when the sample holds)."""
    lines = output.splitlines()
    position, missing = 0, []
    for line in sample.splitlines():
        if not line.strip() or line.strip() == "...":
            continue
        pattern = _pattern(line)
        found = next((i for i in range(position, len(lines)) if pattern.fullmatch(lines[i].rstrip())), None)
        if found is None:
            missing.append(line)
        else:
            position = found + 1
    return missing


def test_the_readme_has_output_samples():
    assert len(samples()) >= 3


@pytest.mark.parametrize(("command", "sample"), samples(), ids=[c for c, _ in samples()])
@pytest.mark.e2e
@README_COMMANDS
def test_each_sample_is_what_its_command_prints(pytestconfig, command, sample):
    output = readme_command(pytestconfig, command).output
    missing = unmatched(sample, output)
    assert not missing, f"not in the output of {command!r}: {missing}\n--- output ---\n{output[-4000:]}"


def test_the_matcher_sees_a_changed_line():
    output = "clauses checked: 27, failed: 1 (R9.pages)\nrequests sent: 309, retries: 0"
    assert unmatched("clauses checked: 12, failed: 1 (R9.pages)\n...\nrequests sent: 9, ...", output) == []
    assert unmatched("clauses checked: 12, failed: 1 (R9.size)", output) == [
        "clauses checked: 12, failed: 1 (R9.size)"
    ]
    assert unmatched("requests sent: 309, retries: 0\nclauses checked: 27, failed: 1 (R9.pages)", output)


def test_ci_and_tox_run_the_readmes_test_command():
    """The figure the README gives is the command CI runs: the same words in all three places."""
    command = re.search(
        r"^(python -m pytest[^#\n]*?)\s+# every test of the project", README.read_text("utf-8"), re.M
    )
    assert command, "no test command in the README's quick start"
    ci_last_line = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    tox_all = configparser.ConfigParser(interpolation=None)
    tox_all.read(ROOT / "tox.ini", encoding="utf-8")
    assert ci_last_line == command[1]
    assert tox_all["testenv:all"]["commands"].strip() == f"{command[1]} {{posargs}}"
