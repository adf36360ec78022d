"""No false green (issue 24): every run says what it tested, how far it got, and why it stopped."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys

import pytest
import requests
import yaml
from tests.self.helpers import ENV_PREFIXES, ROOT, remote_env, run_suite
from tests.self.shared_runs import README_COMMANDS, readme_command

from modelarts_contract import __version__, summary
from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import load_contract
from modelarts_contract.environment import describe_unreachable
from modelarts_contract.meter import SharedMeter
from modelarts_contract.reference import serve
from modelarts_contract.report import build_report, render_html, render_markdown
from modelarts_contract.run import Run
from modelarts_contract.variants import get
from modelarts_contract.verdict import verdict_of

WORKFLOW = ROOT / "examples" / "github-actions" / "contract-staging.yml"
TOKEN = "a-staging-token-0123456789"


@pytest.mark.parametrize("how", ["environment", "option"])
@pytest.mark.e2e
def test_an_empty_base_url_is_a_usage_error_with_a_junit_file(tmp_path, how):
    env = {"MODELARTS_PROJECT_ID": "p1", "MODELARTS_AUTH_TOKEN": TOKEN}
    args = ["--junitxml", str(tmp_path / "junit.xml")]
    if how == "environment":
        env["MODELARTS_BASE_URL"] = ""
    else:
        args += ["--base-url", ""]
    run = run_suite(env, *args)
    assert run.code == 4, run.output[-2000:]
    assert "--base-url (MODELARTS_BASE_URL) is set but empty" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert 'errors="1"' in junit and 'name="usage-error"' in junit and "MODELARTS_BASE_URL" in junit


@pytest.mark.e2e
def test_credentials_without_a_base_url_are_named_unused_and_a_subset_says_so(tmp_path):
    env = {"MODELARTS_PROJECT_ID": "p1", "MODELARTS_AUTH_TOKEN": TOKEN}
    run = run_suite(env, "-k", "generated", "--report-dir", str(tmp_path))
    assert run.code == 0, run.output[-2000:]
    lines = run.stdout.splitlines()
    assert any(
        line.startswith("UNUSED: MODELARTS_PROJECT_ID, MODELARTS_AUTH_TOKEN set but no base URL")
        for line in lines
    )
    assert any(line.startswith("SUBSET: only some tests ran (-k 'generated'") for line in lines)
    verdict = next(line for line in lines if line.startswith("PASSED: "))
    assert "target: embedded reference server at http://127.0.0.1:" in verdict and "auth: token" in verdict
    markdown = (tmp_path / "conformance.md").read_text(encoding="utf-8")
    page = (tmp_path / "conformance.html").read_text(encoding="utf-8")
    assert "UNUSED: MODELARTS\\_PROJECT\\_ID" in markdown and "UNUSED: MODELARTS_PROJECT_ID" in page
    assert "SUBSET" in markdown and '<section class="headline partial">' in page  # amber, not green
    for fact in (
        "| Seed | 20240618 |",
        "| Requests sent |",
        "| Duration |",
        "| Pace | none",
        "budget of 2000",
    ):
        assert fact in markdown
    assert not re.search(r"&[a-z]+;|&#", markdown), "the Markdown holds no HTML entities"
    assert "](docs/contract.md#r9)" in markdown


@pytest.mark.e2e
def test_a_stopped_run_is_stopped_everywhere(tmp_path):
    run = run_suite({}, "--max-requests", "60", "--report-dir", str(tmp_path))
    assert run.code == 7, run.output[-2000:]
    assert "[104%]" not in run.stdout and "[100%]" in run.stdout
    verdict = [
        line for line in run.stdout.splitlines() if line.startswith("STOPPED: the request budget of 60")
    ]
    assert len(verdict) == 2 and "no clause broken until then (target: embedded" in verdict[-1]
    page = (tmp_path / "conformance.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "conformance.md").read_text(encoding="utf-8")
    assert '<section class="headline partial"><span class="figure partial">STOPPED</span>' in page
    assert "good" not in page.split("<dl", 1)[0].split("<section", 1)[1] and "100.0" not in page + markdown
    assert markdown.split("\n")[2].startswith("**STOPPED**: the request budget of 60 requests is spent")


@pytest.mark.e2e
@README_COMMANDS
def test_one_broken_clause_tells_its_story_once(pytestconfig):
    # The README's sample of a failure: its run is made once for both tests.
    run = readme_command(
        pytestconfig, "python -m pytest tests/contract -q --reference-variant pages-rounded-down"
    )
    assert run.code == 1, run.output[-2000:]
    lines = run.stdout.splitlines()
    assert len(lines) < 80, run.stdout
    assert sum(line.startswith("[R9.pages] pages == ceil") for line in lines) == 1
    told = [
        line for line in lines if line.startswith("[R9.pages] broken here too (told in full above): curl ")
    ]
    assert len(told) >= 5
    summary = lines[lines.index(next(line for line in lines if line.startswith("BROKEN [R9.pages]"))) :]
    assert re.search(r"the simplest failing request, and \d+ other failure", summary[2])
    assert re.fullmatch(r"  request: +curl -sS -i http://\S+/images/group -H .*", summary[3])  # no parameters
    closing = lines.index(next(line for line in lines if "short test summary info" in line))
    assert lines[closing - 1].startswith("FAILED: 1 of 27 clauses broken (R9.pages)")  # the summary's last


def test_plain_http_on_a_tls_url_names_the_likely_cause():
    error = requests.exceptions.SSLError(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"))
    message = describe_unreachable(error, "https://127.0.0.1:8080", 10)
    assert "the other end does not speak TLS: is the URL http://?" in message
    assert "--ca-bundle" not in message


def path_not_found(environ: dict, start_response) -> list[bytes]:
    """A gateway in front of the service answering with the service's error shape."""
    start_response("404 Not Found", [("Content-Type", "application/json")])
    return [json.dumps({"error_code": "ModelArts.0001", "error_msg": "PathNotFound"}).encode()]


@pytest.mark.e2e
def test_a_path_not_found_in_the_service_shape_blames_the_path_not_the_credentials():
    with serve(path_not_found) as server:
        run = run_suite(remote_env(server.url + "/wrong"))
        assert len(server.requests) == 1
    assert run.code == 6, run.output[-2000:]
    assert "the path may be wrong" in run.output and "may not read project" not in run.output


def test_an_unknown_variant_is_one_line_with_a_suggestion():
    with pytest.raises(KeyError) as caught:
        get("pages-rounded-dwn")
    message = str(caught.value)
    assert message.startswith("unknown variant 'pages-rounded-dwn'; did you mean 'pages-rounded-down'?")
    assert "\n" not in message and len(message) < 200


@pytest.mark.e2e
def test_the_console_script_keeps_its_caches_out_of_the_current_directory(tmp_path):
    here, cache = tmp_path / "here", tmp_path / "cache"
    here.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith((*ENV_PREFIXES, "HYPOTHESIS_"))}
    command = [sys.executable, "-m", "modelarts_contract.cli", "-q", "-k", "generated"]
    proc = subprocess.run(
        command,
        cwd=here,
        env={**clean, "XDG_CACHE_HOME": str(cache)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert list(here.iterdir()) == []
    assert (cache / "modelarts-contract" / "pytest").is_dir()


def test_the_pace_wait_of_parallel_workers_is_not_summed(tmp_path):
    now = [100.0]
    first = SharedMeter(tmp_path / "meter.json", 100, 1.0)
    second = SharedMeter(tmp_path / "meter.json", 100, 1.0)
    for meter in (first, second):
        meter._clock = lambda: now[0]  # both workers ask at the same moment
    waits = [meter.admit() for meter in (first, second, first, second)]
    assert waits == [0.0, 1.0, 2.0, 3.0]
    assert first.stats.paced == 3.0  # the run was held 3 s, not 1 + 2 + 3 = 6 s


def test_the_verdict_of_a_refused_run_is_stopped_not_good():
    verdict = verdict_of({"clauses": {}, "exitstatus": 6, "stopped": "401 from the target", "run": {}})
    assert verdict.word == "STOPPED" and verdict.tone == "partial" and "401 from the target" in verdict.why


def test_the_workflow_checks_its_inputs_and_warns_on_exit_7():
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["contract"]["steps"]
    names = [step.get("name") for step in steps]
    check = steps[names.index("Check the settings")]
    assert names.index("Check the settings") < names.index("Contract run against staging")
    assert '[ -n "$MODELARTS_BASE_URL" ]' in check["run"] and "exit 1" in check["run"]
    run = steps[names.index("Contract run against staging")]["run"]
    assert re.search(r"7\) echo \"::warning::[^\n]*\n\s+status=0", run)
    assert "a default run sends 438" in WORKFLOW.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("url", "tls"), [("http://127.0.0.1:8080", False), ("https://staging.example", True)]
)
def test_the_header_speaks_of_tls_only_for_an_https_target(url, tls):
    config = SuiteConfig(base_url=url, project_id="p", auth_token=TOKEN)
    header = summary.header_lines(Run(config))[0]
    assert header.startswith(f"modelarts-contract {__version__}: {url}, auth token, budget 2000")
    assert ("TLS system CAs" in header) is tls


def test_a_failing_run_near_100_percent_reads_as_failed():
    clauses = {cid: {"exercised": 5, "broken": 0, "data_changed": 0} for cid in load_contract().clauses}
    clauses["R9.pages"]["broken"] = 1
    report = build_report({"clauses": clauses, "exitstatus": 1}, load_contract())
    page, markdown = render_html(report), render_markdown(report)
    assert '<section class="headline bad"><span class="figure bad">FAILED</span>' in page
    assert markdown.split("\n")[2].startswith("**FAILED**: 1 of 27 clauses broken (R9.pages)")
    assert "96.3" not in page + markdown and "good" not in page.split("<dl", 1)[0].split("<section", 1)[1]
