"""The example scheduled workflow: a schedule, credentials only from the secret store, JUnit XML and
reports kept as artifacts, and every MODELARTS_* variable it sets is one the suite reads."""

from __future__ import annotations

import re

import yaml
from tests.self.helpers import ROOT

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
    steps = load()["jobs"]["contract"]["steps"]
    run = next(step for step in steps if "pytest" in step.get("run", ""))
    assert "--junitxml reports/junit.xml" in run["run"] and "--report-dir reports" in run["run"]
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
