"""The limits a user sets hold whatever the target does: where requests may go (the project id, the
operation's path), how large an answer is read, how long a run lasts, and what the first request may
cost. Each case runs against a small loopback server and checks the server-side evidence: how many
requests arrived, and where.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from tests.self.helpers import (
    CONTRACT,
    ONE_TEST,
    AfterPreflight,
    FakeTime,
    SuiteRun,
    remote_env,
    run_suite,
    time_limited_run_under_way,
)
from werkzeug.wrappers import Request, Response

from modelarts_contract.auth import TokenAuth
from modelarts_contract.environment import EXIT_ENVIRONMENT, EXIT_INCOMPLETE
from modelarts_contract.fence import fence
from modelarts_contract.meter import Meter, TimeSpent
from modelarts_contract.reference import ReferenceApp, build_app, data, default_dataset, serve
from modelarts_contract.transport import Guard, GuardedSession, TransportRefused

ERROR = '{"error_code": "ModelArts.0000", "error_msg": "scripted"}'


def error_cases(junit) -> list[str]:
    return [c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("error") is not None]


# --- where requests may go -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MODELARTS_PROJECT_ID", "proj-a/../../admin"),
        ("MODELARTS_PROJECT_ID", "x?admin=1"),
        ("MODELARTS_PROJECT_ID", ".."),
        ("MODELARTS_OTHER_PROJECT_ID", "a%2Fb"),
    ],
)
@pytest.mark.e2e
def test_a_project_id_that_is_not_one_path_segment_is_a_usage_error_and_sends_nothing(variable, value):
    with serve(build_app(default_dataset())) as server:
        run = run_suite(remote_env(server.url, **{variable: value}))
        assert len(server.requests) == 0
    assert run.code == 4, run.output[-2000:]
    option = "--project-id" if variable == "MODELARTS_PROJECT_ID" else "--other-project-id"
    assert f"{option} ({variable})" in run.stderr and repr(value) in run.stderr


@pytest.fixture
def reference() -> Iterator:
    with serve(build_app(default_dataset())) as server:
        yield server


def operation(project_id: str) -> str:
    return f"/v1/{project_id}/images/group"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/images/group",
        "/v1/x/images/group",
        "/v1/proj-a/../../admin/images/group",
        f"/v1/{data.MAIN_PROJECT_ID}%2F..%2Fadmin/images/group",
        f"/v1/{data.MAIN_PROJECT_ID}/images/group/extra",
    ],
)
def test_the_transport_sends_nothing_but_the_operations_paths(reference, path):
    """A second fence behind the config's check, for the suite's session and any other in the process."""
    allowed = {operation(data.MAIN_PROJECT_ID), operation(data.OTHER_PROJECT_ID)}
    session = GuardedSession(Guard(reference.url, Meter(10), paths=allowed))
    session.auth = TokenAuth(data.MAIN_TOKEN)
    with pytest.raises(TransportRefused, match="not the operation's path"):
        session.get(reference.url + path)
    with fence(session.guard), pytest.raises(TransportRefused, match="not the operation's path"):
        requests.get(reference.url + path, timeout=5)  # a fresh session, as schemathesis makes
    assert session.get(reference.url + operation(data.MAIN_PROJECT_ID)).status_code == 200
    assert [r.path for r in reference.requests] == [operation(data.MAIN_PROJECT_ID)]
    assert session.stats.refused == 2 and session.stats.sent == 1


# --- how long a run lasts --------------------------------------------------------------------------


def test_no_request_starts_after_the_time_limit():
    fake = FakeTime()
    meter = Meter(100, None, fake.clock, max_duration=60.0)
    assert meter.admit() == 0.0
    fake.now += 59.9
    assert meter.admit() == 0.0
    fake.now += 0.1
    with pytest.raises(TimeSpent, match=r"time limit of 1 min \(--max-duration\)"):
        meter.admit()
    assert meter.stats.sent == 2 and meter.out_of_time()


def test_a_wait_that_would_outlast_the_time_limit_ends_the_run_instead():
    fake = FakeTime()
    paced = Meter(100, 0.1, fake.clock, max_duration=15.0)  # one request every 10 s
    assert paced.admit() == 0.0 and paced.admit() == 10.0
    with pytest.raises(TimeSpent, match="the pace would hold the next request 20.0 s"):
        paced.admit()
    waiting = Meter(100, None, fake.clock, max_duration=30.0)
    assert waiting.allow_wait(20.0, allowance=120.0)
    with pytest.raises(TimeSpent, match=r"asked to wait 30 s: Retry-After"):
        waiting.allow_wait(30.0, allowance=120.0)


def timed_run(
    app: Callable, *args: str, tests: str | Path = CONTRACT, **env: str
) -> tuple[SuiteRun, float, int]:
    with serve(app) as server:
        start = time.monotonic()
        run = run_suite(remote_env(server.url, **env), *args, tests=tests, timeout=120)
        return run, time.monotonic() - start, len(server.requests)


@pytest.mark.e2e
def test_the_run_stops_at_its_time_limit_with_what_it_checked(tmp_path):
    junit = tmp_path / "junit.xml"
    limit, run, _ = time_limited_run_under_way(
        "--junitxml", str(junit)
    )  # requests until the limit, none after
    assert f"STOPPED: the run's time limit of {limit} s (--max-duration) is reached" in run.stdout
    assert "raise --max-duration / MODELARTS_MAX_DURATION" in run.stdout
    assert error_cases(junit) == ["run-deadline"]


class RetryAfterForever(AfterPreflight):
    """After the preflight, every answer is a 429 asking for a wait of a day."""

    def after(self, request: Request, turn: int) -> Response:
        return Response(ERROR, status=429, headers={"Retry-After": "99999"}, content_type="application/json")


@pytest.mark.e2e
def test_retry_after_waits_count_against_the_time_limit():
    app = build_app(default_dataset(), app_cls=RetryAfterForever)
    run, elapsed, received = timed_run(app, tests=ONE_TEST, MODELARTS_MAX_DURATION="30")
    assert run.code == EXIT_INCOMPLETE, run.output[-3000:]
    assert "the target asked to wait 60 s: Retry-After" in run.stdout  # 99999 s, capped at 60 s
    assert received == 2 and elapsed < 30  # no wait that would end past the limit was begun


# --- what the first request may cost --------------------------------------------------------------


def always(status: int, headers: dict[str, str] | None = None, body: str = ERROR) -> Callable:
    def app(environ: dict, start_response: Callable) -> list[bytes]:
        start_response(f"{status} Scripted", [("Content-Type", "application/json"), *(headers or {}).items()])
        return [body.encode("latin-1")]

    return app


@pytest.mark.e2e
def test_a_budget_spent_on_the_first_request_is_one_clear_stop(tmp_path):
    junit = tmp_path / "junit.xml"
    app = always(429, {"Retry-After": "0"})
    run, _, received = timed_run(app, "--junitxml", str(junit), MODELARTS_MAX_REQUESTS="2")
    assert run.code == EXIT_INCOMPLETE, run.output[-3000:]
    assert "INTERNALERROR" not in run.output and received == 2
    assert (
        "STOPPED before any test: the request budget of 2 requests is spent on the first request "
        "(retries included); nothing was checked (raise --max-requests / MODELARTS_MAX_REQUESTS)"
    ) in run.stdout
    assert error_cases(junit) == ["request-budget"]


@pytest.mark.parametrize(
    ("app", "clause"),
    [
        (always(302, {"Location": "http://127.0.0.1:9/elsewhere"}, ""), "R16.documented-status"),
        (always(500), "R14.no-server-error"),
        (always(503), "R14.no-server-error"),
        (always(429, {"Retry-After": "\u00b2"}), "R1.valid-credentials"),  # a Unicode digit: not a wait
        (always(200, {"X-Big": "a" * 60_000, "Retry-After": "9" * 5_000}, "[" * 100_000), "R8.body-schema"),
        (always(200, {}, '{"data": "\xff\xfe"}'), "R8.body-schema"),
    ],
    ids=["302", "500", "503", "429-unicode-digit", "huge-headers-deep-json", "not-utf8"],
)
@pytest.mark.e2e
def test_a_first_request_answered_badly_is_a_verdict(app, clause):
    run, _, received = timed_run(app, tests=ONE_TEST)
    assert run.code == 1, run.output[-3000:]
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output
    assert f"[{clause}]" in run.stdout
    assert received == 2  # the preflight and the one test's request


class Padded(ReferenceApp):
    """The reference, every body padded with 100 KB of JSON whitespace: valid, and large."""

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        response.set_data(response.get_data() + b" " * 100_000)
        return response


@pytest.mark.e2e
def test_an_answer_past_the_size_limit_that_breaks_nothing_stops_the_run_unjudged():
    app = build_app(default_dataset(), app_cls=Padded)
    run, _, _ = timed_run(app, tests=ONE_TEST, MODELARTS_MAX_RESPONSE_BYTES="64KiB")
    assert run.code == EXIT_ENVIRONMENT, run.output[-3000:]
    assert "answered 200 with a body larger than 65536 bytes" in run.stdout
    assert "(--max-response-bytes, MODELARTS_MAX_RESPONSE_BYTES)" in run.stdout
    larger, _, _ = timed_run(app, tests=ONE_TEST, MODELARTS_MAX_RESPONSE_BYTES="1MiB")
    assert larger.code == 0, larger.output[-3000:]
