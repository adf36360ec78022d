"""R15/R16, budget and pace in a real run: every request counts, the run stops when the budget is
spent and still reports what it checked, and throttling is waited out, not reported."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET

import pytest
from tests.self.helpers import remote_env, run_suite
from werkzeug.wrappers import Request, Response

from modelarts_contract.environment import EXIT_INCOMPLETE
from modelarts_contract.reference import ReferenceApp, build_app, default_dataset, serve

pytestmark = pytest.mark.e2e  # each test runs the contract suite against a server (a subprocess)


def test_spent_budget_stops_generation_and_reports_what_was_checked(tmp_path):
    junit, reports = tmp_path / "junit.xml", tmp_path / "reports"
    with serve(build_app(default_dataset())) as server:
        env = remote_env(server.url, MODELARTS_MAX_REQUESTS="40")  # from the environment, like CI
        run = run_suite(env, "--junitxml", str(junit), "--report-dir", str(reports))
        received = len(server.requests)
    assert run.code == EXIT_INCOMPLETE, run.output[-3000:]
    assert received == 40 == run.transport["sent"] and run.transport["left"] == 0
    assert "STOPPED: the request budget of 40 requests is spent" in run.output
    cases = ET.parse(junit).getroot().iter("testcase")
    skipped = [c.find("skipped").get("message") for c in cases if c.find("skipped") is not None]
    budget = [message for message in skipped if "the request budget of 40 requests is spent" in message]
    # Besides the budget, only a test that needs AK/SK may skip in a token run.
    assert budget and all(m in budget or m.startswith("needs AK/SK") for m in skipped), skipped
    ledger = json.loads((reports / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["exitstatus"] == EXIT_INCOMPLETE and "budget" in ledger["stopped"]
    assert any(record["exercised"] for record in ledger["clauses"].values())  # verdicts kept
    assert ledger["transport"]["sent"] == 40


class Throttled(ReferenceApp):
    """Every 5th request gets 429 with Retry-After: 0, like a busy gateway (R15)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.turns = itertools.count(1)  # next() is atomic: the server's threads share it

    def handle(self, request: Request) -> Response:
        busy = next(self.turns) % 5 == 0
        if busy:
            response = self.error(429, "ModelArts.6101", "Too many requests, retry later")
            response.headers["Retry-After"] = "0"
            return response
        return super().handle(request)


def test_throttling_is_waited_out_and_counted():
    with serve(build_app(default_dataset(), app_cls=Throttled)) as server:
        run = run_suite(remote_env(server.url, MODELARTS_MAX_EXAMPLES="10"))
        received = len(server.requests)
    assert run.code == 0, run.output[-3000:]
    figures = run.transport
    assert figures["retries"] >= received // 5 - 1 and figures["sent"] == received
    assert "retries: 0," not in run.stdout
