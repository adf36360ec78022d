"""pytest-xdist: however many workers, ONE budget and ONE pace for the whole run (server-side
evidence), and one merged summary, ledger and report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from tests.self.helpers import remote_env, run_suite, time_limited_run_under_way

from modelarts_contract.environment import EXIT_INCOMPLETE
from modelarts_contract.reference import build_app, default_dataset, serve

pytestmark = pytest.mark.e2e  # each test runs the contract suite against a server (a subprocess)


def test_workers_share_one_budget(tmp_path):
    junit, reports = tmp_path / "junit.xml", tmp_path / "reports"
    with serve(build_app(default_dataset())) as server:
        run = run_suite(
            remote_env(server.url), "-n", "2", "--max-requests", "50", "--junitxml", str(junit),
            "--report-dir", str(reports),
        )  # fmt: skip
        received = len(server.requests)
    assert run.code == EXIT_INCOMPLETE, run.output[-3000:]
    assert received == 50 == run.transport["sent"] and run.transport["left"] == 0
    assert "STOPPED: the request budget of 50 requests is spent" in run.output
    errors = [c for c in ET.parse(junit).getroot().iter("testcase") if c.find("error") is not None]
    assert [c.get("name") for c in errors] == ["request-budget"], "one error test case names the cause"
    ledger = json.loads((reports / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["exitstatus"] == EXIT_INCOMPLETE and ledger["transport"]["sent"] == 50
    assert sum(record["exercised"] for record in ledger["clauses"].values()) > 0  # workers' verdicts merged


def test_workers_share_one_pace():
    with serve(build_app(default_dataset())) as server:
        env = remote_env(server.url, MODELARTS_RATE_LIMIT="2/s")
        run = run_suite(env, "-n", "2", "--max-requests", "10")
        times = sorted(r.received_at for r in server.requests)
    assert run.code == EXIT_INCOMPLETE, run.output[-3000:]
    assert len(times) == 10
    # Every request waits for its own slot in the one pace, 0.5 s after the one before (two workers
    # pacing themselves would send 4/s together): the k-th to arrive came at least k - 1 slots after
    # the first (one slot for the first request's own way to the server). A request held up on a busy
    # machine only arrives later: this cannot fail for load.
    early = [f"#{k} after {t - times[0]:.2f} s" for k, t in enumerate(times) if t - times[0] < (k - 1) * 0.5]
    assert not early, f"requests faster than one pace of 2/s: {early}"


def test_a_parallel_run_merges_summary_ledger_and_report(tmp_path):
    with serve(build_app(default_dataset())) as server:
        run = run_suite(remote_env(server.url), "-n", "2", "--report-dir", str(tmp_path))
        received = len(server.requests)
    assert run.code == 0, run.output[-3000:]
    assert run.transport["sent"] == received
    ledger = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))
    assert not [cid for cid, record in ledger["clauses"].items() if not record["exercised"]]
    report = (tmp_path / "conformance.md").read_text(encoding="utf-8")
    assert " 0 not exercised" in report and " 0 broken" in report


def test_workers_share_one_time_limit():
    """The limit runs from the run's start, for every worker: no request starts after it."""
    limit, run, arrivals = time_limited_run_under_way("-n", "2", workers=2)
    assert f"STOPPED: the run's time limit of {limit} s (--max-duration) is reached" in run.stdout
    # The limit started before the first request (the preflight): none may start `limit` s after that.
    span = arrivals[-1] - arrivals[0]
    assert span < limit + 0.5, f"{len(arrivals)} requests over {span:.1f} s"
