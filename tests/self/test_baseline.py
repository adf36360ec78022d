"""--baseline FILE: known breakage exits 0 and reads as known (terminal, reports, JUnit: skipped with
its reason and link, never passed); new breakage and expired entries exit 1 naming the clause; a
fixed clause is reported; a malformed file is exit 4 naming the line, before any request;
--baseline-update writes the current set, keeping reasons."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
import yaml
from tests.self.helpers import DEFAULT_PAGE, remote_env, run_suite

from modelarts_contract.baseline import (
    NEW_REASON,
    Baseline,
    BaselineError,
    Entry,
    judge,
    known_failure,
    load_baseline,
    updated,
)
from modelarts_contract.checks.core import ClauseViolation, Violations
from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import load_contract
from modelarts_contract.nightly import final_status
from modelarts_contract.redact import Redactor
from modelarts_contract.reference import build_app, default_dataset, serve
from modelarts_contract.run import Run
from modelarts_contract.timings import SLO_ID
from modelarts_contract.verdict import FAILED, PARTIAL, PASSED, verdict_of

IDS = {*load_contract().clauses, SLO_ID}
TODAY = date(2026, 12, 4)
LINK = "https://tracker.example.com/MA-1234"
GOOD = f"""# known breakage
known:
  - clause: R9.pages
    reason: pages is rounded down on staging
    link: {LINK}
    expires: 2027-01-31
  - clause: R9.size
    reason: tracked as MA-7
    expires: 2026-12-01
"""
BREAKS_PAGES = ("--reference-variant", "pages-rounded-down")  # with tests=DEFAULT_PAGE: one test, R9.pages


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "known.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_baseline_is_read_with_its_entries_and_their_dates(tmp_path):
    baseline = load_baseline(write(tmp_path, GOOD), IDS, today=TODAY)
    assert baseline.entries["R9.pages"] == Entry(
        "R9.pages", "pages is rounded down on staging", date(2027, 1, 31), LINK, 3
    )
    assert set(baseline.active()) == {"R9.pages"} and set(baseline.expired()) == {"R9.size"}
    assert load_baseline(write(tmp_path, "known:\n"), IDS).entries == {}


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        ("known:\n  - clause: R9.pages\n    reason: [unclosed\n", 4, "YAML error"),
        ("known: []\nentries: []\n", 2, "unknown key 'entries'"),
        ("known:\n  - clause: R9.pages\n    reason: r\n    expires: 2027-02-30\n", 4, "expected a date"),
        ("known:\n  - clause: R9.pages\n    reason: r\n    expires: soon\n", 4, "expected a date"),
        (
            "known:\n  - clause: R9.page\n    reason: r\n    expires: 2027-01-01\n",
            2,
            "did you mean 'R9.pages'",
        ),
        ("known:\n  - clause: R9.pages\n    reason: r\n    until: 2027-01-01\n", 4, "key 'until': unknown"),
        ("known:\n  - clause: R9.pages\n    expires: 2027-01-01\n", 2, "without reason"),
        (
            "known:\n  - clause: R9.pages\n    reason: r\n    expires: 2027-01-01\n"
            "  - clause: R9.pages\n    reason: s\n    expires: 2027-01-01\n",
            5,
            "listed twice",
        ),
    ],
)
def test_a_malformed_baseline_names_its_line(tmp_path, text, line, why):
    with pytest.raises(BaselineError) as raised:
        load_baseline(write(tmp_path, text), IDS)
    assert f"known.yml:{line}: " in str(raised.value) and why in str(raised.value)


def test_judged_known_new_expired_and_fixed():
    baseline = Baseline(
        Path("b.yml"),
        {
            "R9.pages": Entry("R9.pages", "r", date(2027, 1, 1)),
            "R9.size": Entry("R9.size", "r", date(2026, 1, 1)),
            "R9.current": Entry("R9.current", "r", date(2027, 1, 1)),
            "R11.order": Entry("R11.order", "r", date(2027, 1, 1)),
        },
        TODAY,
    )
    verdicts = {
        "R9.pages": "broken",
        "R9.size": "broken",
        "R9.window": "broken",
        "R9.current": "held",
        "R11.order": "unsure",
    }
    judged = judge(baseline, verdicts)
    assert list(judged.known) == ["R9.pages"]
    assert judged.new == ["R9.size", "R9.window"]  # an expired entry knows nothing any more
    assert list(judged.expired) == ["R9.size"] and judged.fixed == ["R9.current"]
    written = yaml.safe_load(updated(baseline, verdicts))["known"]
    by_clause = {e["clause"]: e for e in written}
    assert set(by_clause) == {"R9.pages", "R9.size", "R9.window", "R11.order"}  # held dropped, unsure kept
    assert by_clause["R9.pages"]["reason"] == "r" and by_clause["R9.size"]["expires"] == "2026-01-01"
    assert by_clause["R9.window"] == {"clause": "R9.window", "reason": NEW_REASON, "expires": "2027-01-03"}


def test_a_test_is_known_only_when_every_clause_it_broke_is_known():
    contract, redactor = load_contract(), Redactor(())
    active = {"R9.pages": Entry("R9.pages", "rounded down", date(2027, 1, 1), LINK)}

    def broke(*ids: str) -> Violations:
        return Violations([ClauseViolation(contract.clause(i), "e", "a", None, redactor) for i in ids])

    note = known_failure(active, [broke("R9.pages")])
    assert note == f"known breakage [R9.pages] until 2027-01-01: rounded down ({LINK})"
    assert known_failure(active, [broke("R9.pages", "R9.size")]) is None
    assert known_failure(active, [broke("R9.pages"), RuntimeError("boom")]) is None
    assert known_failure(active, []) is None


def test_the_verdict_passes_known_breakage_in_amber_and_fails_an_expired_entry():
    clauses = {"R9.pages": {"exercised": 3, "broken": 1}, "R9.size": {"exercised": 3, "broken": 0}}
    known = {"known": {"R9.pages": {}}, "expired": {}}
    passed = verdict_of({"clauses": clauses, "exitstatus": 0, "baseline": known})
    assert passed.word == PASSED and passed.tone == PARTIAL and passed.known == ("R9.pages",)
    assert "none broken beyond the baseline (1 known broken: R9.pages)" in passed.why
    expired = verdict_of(
        {"clauses": clauses, "exitstatus": 1, "baseline": {**known, "expired": {"R9.size": {}}}}
    )
    assert expired.word == FAILED and "baseline entry expired (R9.size)" in expired.why
    assert verdict_of({"clauses": clauses, "exitstatus": 1}).word == FAILED


def _junit_cases(path: Path) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in ET.parse(path).getroot().iter("testcase")}


@pytest.mark.e2e
def test_known_breakage_exits_0_and_reads_as_known_everywhere(tmp_path):
    baseline = write(tmp_path, GOOD.replace("2026-12-01", "2099-01-01"))
    junit, reports = tmp_path / "junit.xml", tmp_path / "reports"
    outputs = ("--junitxml", str(junit), "--report-dir", str(reports))
    run = run_suite({}, *BREAKS_PAGES, "--baseline", str(baseline), *outputs, tests=DEFAULT_PAGE)
    assert run.code == 0, run.output[-3000:]
    assert "KNOWN [R9.pages] broken, in the baseline until 2027-01-31" in run.stdout
    assert run.stdout.splitlines()[-2].startswith("PASSED: ") and "1 known broken: R9.pages" in run.stdout
    case = _junit_cases(junit)["test_relation[default-page]"]
    skipped = case.find("skipped")
    assert skipped is not None and case.find("failure") is None  # skipped, never passed
    assert "known breakage [R9.pages]" in skipped.get("message", "") and LINK in skipped.get("message", "")
    ledger = json.loads((reports / "ledger.json").read_text(encoding="utf-8"))
    assert list(ledger["baseline"]["known"]) == ["R9.pages"] and ledger["clauses"]["R9.pages"]["broken"]
    markdown = (reports / "conformance.md").read_text(encoding="utf-8")
    assert "| **broken** (known) |" in markdown and "## Baseline" in markdown
    assert "broken, known</span>" in (reports / "conformance.html").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_new_breakage_and_an_expired_entry_exit_1_saying_which(tmp_path):
    other = write(tmp_path, "known:\n  - clause: R9.size\n    reason: r\n    expires: 2099-01-01\n")
    run = run_suite({}, *BREAKS_PAGES, "--baseline", str(other), tests=DEFAULT_PAGE)
    assert run.code == 1, run.output[-3000:]
    assert "NEW breakage, not in the baseline: R9.pages" in run.stdout
    expired = write(tmp_path, "known:\n  - clause: R9.pages\n    reason: r\n    expires: 2020-01-01\n")
    run = run_suite({}, "--baseline", str(expired), tests=DEFAULT_PAGE)  # the clause holds: still 1
    assert run.code == 1, run.output[-3000:]
    assert "EXPIRED baseline entry [R9.pages] (expired 2020-01-01)" in run.stdout
    assert "FIXED [R9.pages] holds now: remove it from the baseline" in run.stdout


@pytest.mark.e2e
def test_a_malformed_baseline_is_exit_4_before_any_request(tmp_path):
    bad = write(tmp_path, "known:\n  - clause: R9.pages\n    reason: r\n    expires: 31.01.2027\n")
    with serve(build_app(default_dataset())) as server:
        run = run_suite(remote_env(server.url), "--baseline", str(bad), "--junitxml", str(tmp_path / "j.xml"))
        sent = server.requests.snapshot()
    assert run.code == 4, run.output[-3000:]
    assert "known.yml:4: expires: expected a date YYYY-MM-DD" in run.stderr and sent == []
    assert 'name="usage-error"' in (tmp_path / "j.xml").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_baseline_update_writes_the_current_set_keeping_reasons(tmp_path):
    path = tmp_path / "known.yml"
    run = run_suite({}, *BREAKS_PAGES, "--baseline", str(path), "--baseline-update", tests=DEFAULT_PAGE)
    assert run.code == 1, run.output[-3000:]  # judged against the baseline as it was: empty
    assert "baseline written: " in run.stdout and "edit the reason of R9.pages" in run.stdout
    (entry,) = yaml.safe_load(path.read_text(encoding="utf-8"))["known"]
    assert entry["clause"] == "R9.pages" and entry["reason"] == NEW_REASON
    path.write_text(path.read_text(encoding="utf-8").replace(NEW_REASON, "tracked as MA-9"), encoding="utf-8")
    run = run_suite({}, *BREAKS_PAGES, "--baseline", str(path), "--baseline-update", tests=DEFAULT_PAGE)
    assert run.code == 0, run.output[-3000:]
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["known"][0]["reason"] == "tracked as MA-9"
    assert run_suite({}, "--baseline-update").code == 4  # nothing to write to


def test_the_final_status_fails_an_expired_entry_or_an_unknown_broken_objective_alone():
    """What no test can fail for: an expired entry of a clause that holds, and a slow answer to the
    preflight (judged like any other, but no test of anyone's)."""
    run = Run(SuiteConfig(base_url=None, project_id=None))
    try:
        assert final_status(run, 0) == 0 and final_status(run, 7) == 7
        run.outcome.times.limit = 1.0
        run.outcome.times.record(2.0, 200, "curl the-preflight")
        assert final_status(run, 0) == 1
        slow = Entry(SLO_ID, "staging is slow", date(2099, 1, 1))
        run.baseline = type(load_baseline(Path("x"), IDS, missing_ok=True))(
            Path("b.yml"), {SLO_ID: slow}, TODAY
        )
        assert final_status(run, 0) == 0
        expired = Entry("R9.size", "r", date(2020, 1, 1))
        run.baseline = Baseline(Path("b.yml"), {SLO_ID: slow, "R9.size": expired}, TODAY)
        assert final_status(run, 0) == 1
    finally:
        run.close()
