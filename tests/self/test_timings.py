"""Response times: each judged answer's time, the guard's own waits taken off, p50/p95/max and the
slowest request (redacted) in the summary, ledger and report, merged across xdist workers; and
--max-response-time as the user's objective, SLO.response-time, outside the contract's clauses."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from tests.self.helpers import DEFAULT_PAGE, remote_env, run_suite

from modelarts_contract.checks.core import Exchange, Ledger, Verifier, Violations
from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import load_contract
from modelarts_contract.history.runs import Timings, read_timings
from modelarts_contract.outcome import RunOutcome
from modelarts_contract.redact import Redactor
from modelarts_contract.reference import build_app, data, default_dataset, serve
from modelarts_contract.target import Target
from modelarts_contract.timings import SLO_ID, ResponseTimeError, ResponseTimes, parse_limit, percentile


def test_percentiles_are_nearest_rank():
    ordered = [float(n) for n in range(1, 101)]
    assert (percentile(ordered, 0.5), percentile(ordered, 0.95)) == (50.0, 95.0)
    assert percentile([3.0], 0.95) == 3.0


def test_the_guards_waits_are_taken_off_the_answer_they_delayed():
    times, first, second = ResponseTimes(), requests.Response(), requests.Response()
    times.sleep(0.01)  # the pace, say
    first.elapsed, second.elapsed = timedelta(seconds=0.51), timedelta(seconds=0.2)
    times.answered(first)
    times.answered(second)
    assert first.elapsed == timedelta(seconds=0.5) and second.elapsed == timedelta(seconds=0.2)  # once only
    assert times.record(None, 200, "curl three") is None and times.samples == []


def test_a_paced_run_times_the_answers_not_the_pace():
    """Against a loopback server at 20 requests/s each request after the first waits for its slot
    inside requests' `elapsed`: exactly that wait comes off the time recorded (no clock compared)."""
    with serve(build_app(default_dataset())) as server:
        config = SuiteConfig.from_sources({}, remote_env(server.url, MODELARTS_RATE_LIMIT="20/s"))
        target = Target(config, load_contract())
        seen: list[tuple[timedelta, float]] = []  # requests' elapsed, the pace waited so far
        target.session.hooks["response"].insert(
            0, lambda r, **_: seen.append((r.elapsed, target.session.stats.paced))
        )
        with target.session:
            for _ in range(4):
                target.verifier.run_all([], target.get({"limit": "1"}))
    waits = [paced - before for (_, before), (_, paced) in zip([(None, 0.0), *seen], seen, strict=False)]
    assert sum(waits) > 0  # the pace did hold requests back
    for (raw, _), wait, recorded in zip(seen, waits, target.verifier.times.samples, strict=True):
        assert recorded == pytest.approx(raw.total_seconds() - wait, abs=1e-5)


def test_the_ledger_record_is_what_compare_and_history_read():
    times = ResponseTimes()
    for n, seconds in enumerate([0.1, 0.3, 0.2, 2.5]):
        times.record(seconds, 200, f"curl 'http://x/?n={n}'\x1b[31m")
    record = times.record_for_ledger()
    assert read_timings(record) == Timings(p50=0.2, p95=2.5, max=2.5)
    assert record["timings"]["count"] == 4 and "slo" not in record
    assert record["timings"]["slowest"]["request"] == "curl 'http://x/?n=3'\\x1b[31m"  # neutralised


def test_xdist_workers_times_are_merged_by_the_controller():
    first, second = RunOutcome(), RunOutcome()
    first.times.record(0.1, 200, "a")
    second.times.record(0.7, 503, "b")
    first.merge(RunOutcome.from_dict(json.loads(json.dumps(second.as_dict()))))
    assert sorted(first.times.samples) == [0.1, 0.7] and first.times.slowest == {
        "seconds": 0.7,
        "status": 503,
        "request": "b",
    }


@pytest.mark.parametrize("text", ["0", "-1", "fast", "nan", "inf"])
def test_a_bad_limit_is_refused(text):
    with pytest.raises(ResponseTimeError, match="--max-response-time"):
        parse_limit(text)
    assert parse_limit("1.5") == 1.5 and parse_limit("2s") == 2.0 and parse_limit(None) is None


def test_a_slow_answer_breaks_the_objective_not_a_clause_of_the_contract():
    ledger = Ledger()
    verifier = Verifier(load_contract(), Redactor(()), ledger, times=ResponseTimes(limit=1.0))
    exchange = Exchange(
        "GET", "http://x/v1/p/images/group", {}, 200, {}, b"{}", lambda: "curl x", elapsed=1.5
    )
    with pytest.raises(Violations) as raised:
        verifier.run_all([], exchange)
    (violation,) = raised.value.violations
    assert violation.clause.id == SLO_ID and "answered in 1.500 s" in violation.actual
    assert ledger.as_dict() == {} and verifier.times.over == 1  # no record among the clauses
    verifier.run_all([], Exchange("GET", "http://x/", {}, 200, {}, b"{}", lambda: "curl y", elapsed=0.5))


VERDICT_WORDS = ("PASSED:", "FAILED:", "STOPPED:")  # how the summary's verdict line starts


@pytest.mark.e2e
def test_a_run_shows_its_times_and_its_objective_apart_from_the_contract(tmp_path):
    reports = tmp_path / "reports"
    with serve(build_app(default_dataset())) as server:
        run = run_suite(
            remote_env(server.url),
            "--max-response-time",
            "0.000001",
            "--report-dir",
            str(reports),
            tests=DEFAULT_PAGE,
        )
    assert run.code == 1, run.output[-3000:]
    assert "response times: " in run.stdout and " p50 " in run.stdout and " p95 " in run.stdout
    assert f"SLO BROKEN [{SLO_ID}] (your objective, not the contract's)" in run.stdout
    assert data.MAIN_TOKEN not in run.output and "$MODELARTS_AUTH_TOKEN" in run.stdout  # slowest, redacted
    verdict = next(line for line in reversed(run.stdout.splitlines()) if line.startswith(VERDICT_WORDS))
    assert verdict.startswith("FAILED: outside the contract: objective SLO.response-time broken"), verdict
    ledger = json.loads((reports / "ledger.json").read_text(encoding="utf-8"))
    assert SLO_ID not in ledger["clauses"] and ledger["slo"][SLO_ID]["over"] >= 1
    assert data.MAIN_TOKEN not in json.dumps(ledger) and read_timings(ledger) is not None
    markdown = (reports / "conformance.md").read_text(encoding="utf-8")
    table = markdown.split("## Clauses", 1)[1].split("\n## ", 1)[0]
    assert (
        SLO_ID not in table and "## Service-level objective" in markdown and "## Response times" in markdown
    )


@pytest.mark.e2e
def test_a_baselined_objective_is_known(tmp_path):
    known = tmp_path / "known.yml"
    known.write_text(f"known:\n  - clause: {SLO_ID}\n    reason: staging is slow\n    expires: 2099-01-01\n")
    run = run_suite({}, "--max-response-time", "0.000001", "--baseline", str(known), tests=DEFAULT_PAGE)
    assert run.code == 0, run.output[-3000:]
    assert f"KNOWN [{SLO_ID}] broken, in the baseline until 2099-01-01: staging is slow" in run.stdout


@pytest.mark.e2e
def test_under_xdist_every_workers_answers_are_merged_into_the_ledger(tmp_path):
    """Every request is a judged answer (the shared preflight's too), whichever worker sent it."""
    run = run_suite({}, "-n", "2", "-k", "relation and (page or offsets)", "--report-dir", str(tmp_path))
    assert run.code == 0, run.output[-3000:]
    ledger = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["timings"]["count"] == ledger["transport"]["sent"] > 10
    assert f"response times: {ledger['timings']['count']} answers" in run.stdout
