"""The example scheduled workflow: a schedule, credentials only from the secret store, JUnit XML and
reports kept as artifacts, every MODELARTS_* variable it sets one the suite reads, the ledgers kept
between runs, compared, the baseline applied and the history page published; every command it
runs is a real command of the suite and every option a real option of that command."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
import yaml
from tests.self.helpers import ROOT

from modelarts_contract.commands import COMMANDS
from modelarts_contract.config import ENVIRONMENT, SuiteConfig

WORKFLOW = ROOT / "examples" / "github-actions" / "contract-staging.yml"


def load() -> dict:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return document


def test_runs_on_a_schedule_one_at_a_time():
    document = load()
    assert document["on"]["schedule"][0]["cron"].count(" ") == 4
    assert document["concurrency"]["cancel-in-progress"] is False
    assert document["permissions"] == {"contents": "read"}


def test_credentials_come_from_the_secret_store_only():
    text = WORKFLOW.read_text(encoding="utf-8")
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"):
        assert re.search(rf"^\s+{name}: \$\{{\{{ secrets\.{name} \}}\}}$", text, re.MULTILINE)
    run = step_named("Contract run against staging")
    assert "--junit-xml reports/junit.xml" in run["run"] and "--report-dir reports" in run["run"]
    assert "--auth-token" not in run["run"]  # a command line shows in process lists and logs


def test_reports_are_kept_whatever_the_outcome():
    steps = load()["jobs"]["contract"]["steps"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"


def test_its_settings_are_valid_suite_options():
    job = load()["jobs"]["contract"]
    settings = {k: v for k, v in job["env"].items() if not str(v).startswith("${{")}
    assert set(settings) <= set(ENVIRONMENT.values())
    env = {**settings, "MODELARTS_BASE_URL": "https://staging.example.com", "MODELARTS_PROJECT_ID": "p"}
    config = SuiteConfig.from_sources(
        {}, {**env, "HUAWEICLOUD_SDK_AK": "AK0123456789", "HUAWEICLOUD_SDK_SK": "sk-0123456789"}
    )
    assert config.max_requests == 1500 and config.rate_per_second == 5.0 and config.auth_mode == "aksk"


def test_the_run_ends_by_itself_before_the_job_is_killed():
    """A job killed at its timeout reports nothing; a run stopped by --max-duration reports what it
    checked. The last request may start just before the limit and take a request timeout."""
    job = load()["jobs"]["contract"]
    config = SuiteConfig.from_sources(
        {}, {k: v for k, v in job["env"].items() if not str(v).startswith("${{")}
    )
    spare = job["timeout-minutes"] * 60 - (config.max_duration + config.timeout)
    assert spare >= 5 * 60, f"{spare:.0f} s left for the install, the report and the upload"


def test_documented():
    assert "examples/github-actions/contract-staging.yml" in (ROOT / "docs" / "staging.md").read_text(
        encoding="utf-8"
    )


def step_named(name: str) -> dict:
    return next(step for step in load()["jobs"]["contract"]["steps"] if step.get("name") == name)


def suite_invocations() -> list[tuple[str, list[str]]]:
    """(command, its arguments) of every `modelarts-contract` line in the steps' scripts."""
    found = []
    for step in load()["jobs"]["contract"]["steps"]:
        for line in step.get("run", "").splitlines():
            if "modelarts-contract " not in line or line.lstrip().startswith("#"):
                continue
            words = shlex.split(line.split("modelarts-contract ", 1)[1].split(">")[0].split("||")[0])
            found.append((words[0], words[1:]))
    return found


@pytest.mark.slow
def test_every_command_it_runs_is_a_real_command_and_option_of_the_suite():
    invocations = suite_invocations()
    assert {command for command, _ in invocations} == {"run", "report", "compare", "history"}
    helps: dict[str, str] = {}
    for command, args in invocations:
        assert command in COMMANDS, command
        if command not in helps:  # `run --help` is pytest's, with the suite's options among them
            helps[command] = subprocess.run(
                [sys.executable, "-m", "modelarts_contract.commands", command, "--help"],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
                cwd=ROOT,
            ).stdout
        for option in (a for a in args if a.startswith("--")):
            assert re.search(rf"(^|[\s,]){re.escape(option)}([\s=,]|$)", helps[command], re.M), (
                command,
                option,
            )


def test_the_baseline_is_applied_when_the_team_has_one():
    script = step_named("Contract run against staging")["run"]
    assert 'if [ -f contract-baseline.yml ]; then baseline="--baseline contract-baseline.yml"; fi' in script
    assert "modelarts-contract run --junit-xml reports/junit.xml --report-dir reports $baseline" in script


def test_ledgers_are_kept_compared_with_the_previous_run_and_the_history_published():
    steps = load()["jobs"]["contract"]["steps"]
    names = [step.get("name") for step in steps]
    order = [
        "Restore the ledgers of earlier runs",
        "Contract run against staging",
        "What changed since the previous run",
        "Keep this run's ledger (the last 90)",
        "Save the ledgers",
        "History page",
        "Keep the JUnit file, the reports and the history page",
    ]
    assert [n for n in names if n in order] == order
    restore, save = step_named(order[0]), step_named(order[4])
    assert restore["uses"].startswith("actions/cache/restore@") and save["uses"].startswith(
        "actions/cache/save@"
    )
    assert restore["with"]["path"] == save["with"]["path"] == "ledgers/"
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])  # the next run finds it
    for name in order[2:]:
        assert step_named(name)["if"] == "always()"  # a failed run is kept, compared and plotted too
    compare = step_named(order[2])["run"]
    assert 'modelarts-contract compare "$previous" reports' in compare and "[ $status -le 1 ]" in compare
    assert "modelarts-contract history ledgers -o reports/history" in step_named(order[5])["run"]
