"""The guarded transport against loopback servers that record what they receive (R15, R16).

No timed assertions: pacing and Retry-After waits go through an injected clock and sleep.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from importlib.metadata import version
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from tests.self.helpers import FakeTime
from urllib3.connection import HTTPConnection
from urllib3.response import HTTPResponse

from modelarts_contract.auth import TokenAuth
from modelarts_contract.deadline import Urllib3Unsupported
from modelarts_contract.fence import fence
from modelarts_contract.meter import Meter
from modelarts_contract.reference import build_app, default_dataset, serve
from modelarts_contract.reference.data import MAIN_PROJECT_ID, MAIN_TOKEN
from modelarts_contract.transport import (
    MAX_RETRIES,
    MAX_RETRY_WAIT,
    MAX_RETRY_WAIT_TOTAL,
    BudgetExhausted,
    Guard,
    GuardedSession,
    Limits,
    TargetUnreachable,
    TransportRefused,
)
from modelarts_contract.wire import retry_after_seconds

PATH = f"/v1/{MAIN_PROJECT_ID}/images/group"


def scripted(answers: Iterable[tuple[int, dict[str, str]]]) -> Callable:
    """A WSGI app giving these (status, headers) in turn, then repeating the last one."""
    queue = list(answers)

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        status, headers = queue.pop(0) if len(queue) > 1 else queue[0]
        start_response(f"{status} Scripted", [("Content-Type", "application/json"), *headers.items()])
        return [b'{"error_code": "X", "error_msg": "scripted"}']

    return app


@pytest.fixture
def reference() -> Iterator:
    with serve(build_app(default_dataset())) as server:
        yield server


def session_for(
    url: str,
    time: FakeTime | None = None,
    *,
    max_requests: int = 100,
    rate_per_second: float | None = None,
    **limits,
) -> GuardedSession:
    time = time or FakeTime()
    meter = Meter(max_requests, rate_per_second, time.clock)
    session = GuardedSession(Guard(url, meter, Limits(**limits), sleep=time.sleep))
    session.auth = TokenAuth(MAIN_TOKEN)
    return session


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "QUERY"])
def test_only_get_leaves_the_process(reference, method):
    session = session_for(reference.url)
    with pytest.raises(TransportRefused, match="GET only"):
        session.request(method, reference.url + PATH)
    assert len(reference.requests) == 0
    assert session.stats.refused == 1 and session.stats.sent == 0


def test_no_redirect_is_followed_and_no_credentials_go_elsewhere():
    with serve(build_app(default_dataset())) as second:
        to_second = scripted([(302, {"Location": second.url + PATH})])
        with serve(to_second) as first:
            session = session_for(first.url)
            response = session.get(first.url + PATH)
            assert response.status_code == 302  # handed to the checks as it is: a contract failure
            with pytest.raises(TransportRefused, match="other than the configured one"):
                session.get(second.url + PATH)  # would carry the token
            assert len(first.requests) == 1
        assert len(second.requests) == 0


def test_budget_covers_retries_and_then_stops():
    with serve(scripted([(429, {"Retry-After": "0"}), (200, {})])) as server:
        session = session_for(server.url, max_requests=3)
        session.get(server.url + PATH)  # a 429, then its retry: 2 requests
        session.get(server.url + PATH)
        with pytest.raises(BudgetExhausted):
            session.get(server.url + PATH)
        assert len(server.requests) == 3 == session.stats.sent
        assert session.remaining == 0


def test_pace_spaces_requests_by_the_rate():
    time = FakeTime()
    with serve(scripted([(200, {})])) as server:
        session = session_for(server.url, time, rate_per_second=10)
        for _ in range(5):
            session.get(server.url + PATH)
    assert time.sleeps == pytest.approx([0.1] * 4)
    assert session.stats.paced == pytest.approx(0.4)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_waited_out(status):
    time = FakeTime()
    answers = [(status, {"Retry-After": "2"}), (status, {"Retry-After": "5"}), (200, {})]
    with serve(scripted(answers)) as server:
        session = session_for(server.url, time)
        assert session.get(server.url + PATH).status_code == 200
        assert len(server.requests) == 3
    assert time.sleeps == [2.0, 5.0]
    assert (session.stats.retries, session.stats.waited, session.stats.sent) == (2, 7.0, 3)


def test_retry_after_as_http_date():
    time = FakeTime()
    later = formatdate(usegmt=True)  # "now": nothing left to wait
    with serve(scripted([(503, {"Retry-After": later}), (200, {})])) as server:
        session = session_for(server.url, time)
        assert session.get(server.url + PATH).status_code == 200
    assert session.stats.retries == 1 and time.sleeps[0] <= 1.0


def test_retries_are_bounded_and_waits_capped():
    time = FakeTime()
    with serve(scripted([(429, {"Retry-After": "86400"})])) as server:
        session = session_for(server.url, time, retry_wait_allowance=MAX_RETRY_WAIT * MAX_RETRIES)
        assert session.get(server.url + PATH).status_code == 429  # handed to the checks
        assert len(server.requests) == MAX_RETRIES + 1
    assert time.sleeps == [MAX_RETRY_WAIT] * MAX_RETRIES


def test_the_run_waits_out_retry_after_only_up_to_its_allowance():
    time = FakeTime()
    with serve(scripted([(503, {"Retry-After": "30"})])) as server:
        session = session_for(server.url, time)  # the default allowance: MAX_RETRY_WAIT_TOTAL
        statuses = [session.get(server.url + PATH).status_code for _ in range(5)]
        sent = len(server.requests)
    assert statuses == [503] * 5
    assert sum(time.sleeps) == session.stats.waited == MAX_RETRY_WAIT_TOTAL == 120.0
    # 4 waits of 30 s (the first request's 3 retries, then 1 of the second's), then none: the
    # second request's next 503 and those of the 3 after it go to the checks at once.
    assert session.stats.retries == 4 and session.stats.not_waited == 4 and sent == 4 + 2 + 3


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 7\t", 7.0),
        ("0000000005", 5.0),
        ("9999999999", 9999999999.0),  # ten digits: read, then capped by the guard
        ("99999999999", None),  # eleven: not a Retry-After anyone meant
        ("99999999999999999999", None),
        ("\u00b2", None),  # '²'.isdigit() is True and float('²') raises
        ("\u0663", None),  # ARABIC-INDIC DIGIT THREE: float() reads it, HTTP does not
        ("\uff15", None),  # FULLWIDTH DIGIT FIVE
        ("1.5", None),
        ("-1", None),
        ("+5", None),
        ("1e3", None),
        ("0x10", None),
        ("", None),
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),  # year out of range
        ("Fri, 31 Dec 1999 23:59:59 GMT", 0.0),  # in the past: no wait
        ("Wed, 21 Oct 2015 07:28:00 GMT" + "," * 100, None),  # longer than any HTTP date
        ("a" * 10_000, None),
    ],
)
def test_retry_after_parsing_cannot_be_fooled(value, seconds):
    assert retry_after_seconds(value, now=1_700_000_000.0) == seconds


def test_retry_after_as_an_http_date_counts_from_now():
    assert retry_after_seconds("Wed, 15 Nov 2023 00:00:30 GMT", now=1_700_006_400.0) == 30.0


def test_no_retry_without_retry_after():
    with serve(scripted([(429, {})])) as server:
        session = session_for(server.url)
        assert session.get(server.url + PATH).status_code == 429
        assert len(server.requests) == 1 and session.stats.retries == 0


def test_fence_holds_every_session_in_the_process(reference):
    guard = Guard(reference.url, Meter(2))
    with serve(scripted([(200, {})])) as elsewhere, fence(guard):
        with pytest.raises(TransportRefused):
            requests.post(reference.url + PATH, timeout=5)  # a fresh session, not ours
        assert requests.get(reference.url + PATH, timeout=5).status_code == 401  # counted
        for _ in range(3):  # other origins: untouched and not counted
            assert requests.get(elsewhere.url, timeout=5).status_code == 200
        requests.get(reference.url + PATH, timeout=5)
        with pytest.raises(BudgetExhausted):
            requests.get(reference.url + PATH, timeout=5)
    assert [r.method for r in reference.requests] == ["GET", "GET"]
    assert guard.meter.stats.sent == 2 and guard.meter.stats.refused == 1
    requests.post(reference.url + PATH, timeout=5)  # the fence is down: the process is free again
    assert reference.requests[-1].method == "POST"


def test_connection_refused_is_one_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: refused
        session = session_for(f"http://127.0.0.1:{port}")
        with pytest.raises(TargetUnreachable, match="connection refused"):
            session.get(f"http://127.0.0.1:{port}{PATH}")


def test_silence_is_a_timeout():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # accepts the connection, never answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        session = session_for(url, timeout=0.2)
        with pytest.raises(TargetUnreachable, match="no answer within 0.2 s"):
            session.get(url + PATH)


def test_dns_failure_is_named(monkeypatch):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    session = session_for("https://modelarts.staging.invalid")
    with pytest.raises(TargetUnreachable, match="cannot resolve the host name 'modelarts.staging.invalid'"):
        session.get("https://modelarts.staging.invalid" + PATH)


def test_unreachable_message_holds_no_credentials():
    session = session_for("http://127.0.0.1:9")
    with pytest.raises(TargetUnreachable) as caught:
        session.get("http://127.0.0.1:9" + PATH)
    assert MAIN_TOKEN not in str(caught.value) and caught.value.__cause__ is None


# --- the patches: installed only while needed, and loudly refused on a urllib3 they do not fit -----


def _patched() -> tuple[bool, bool]:
    """Whether urllib3's getresponse and requests' adapter send are ours now."""
    return (
        vars(HTTPConnection)["getresponse"] is not ORIGINAL_GETRESPONSE,
        vars(HTTPAdapter)["send"] is not ORIGINAL_SEND,
    )


ORIGINAL_GETRESPONSE = vars(HTTPConnection)["getresponse"]
ORIGINAL_SEND = vars(HTTPAdapter)["send"]


@pytest.mark.slow
def test_importing_the_transport_patches_nothing():
    probe = (
        "from urllib3.connection import HTTPConnection\n"
        "from requests.adapters import HTTPAdapter\n"
        "before = (HTTPConnection.getresponse, HTTPAdapter.send)\n"
        "import modelarts_contract.transport, modelarts_contract.fence, modelarts_contract.pytest_plugin\n"
        "assert (HTTPConnection.getresponse, HTTPAdapter.send) == before, 'patched at import'\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


ROOT = Path(__file__).resolve().parents[2]


def _in_a_fresh_process(function: str, *args: str) -> None:
    """`function` of this module, run in a new interpreter: the patches live as long as their
    holders in the whole process, and the session running these tests may hold a fence of its own
    (the contract suite's run, when `python -m pytest` runs everything)."""
    code = f"import tests.self.test_transport_guard as t; t.{function}(*{args!r})"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def fences_nest_and_overlap() -> None:
    with serve(build_app(default_dataset())) as reference:
        first, second = Guard(reference.url, Meter(10)), Guard(reference.url, Meter(10))
        assert _patched() == (False, False)
        outer, inner = fence(first), fence(second)
        outer.__enter__()
        assert _patched() == (True, True)
        inner.__enter__()
        outer.__exit__(None, None, None)  # closed before the other, as parallel fences may be
        assert _patched() == (True, True)
        requests.get(reference.url + PATH, timeout=5)
        assert second.meter.stats.sent == 1 and first.meter.stats.sent == 0
        inner.__exit__(None, None, None)
        assert _patched() == (False, False)


def exchange_outside_a_fence() -> None:
    with serve(build_app(default_dataset())) as reference:
        session = session_for(reference.url)
        assert session.get(reference.url + PATH).status_code == 200
        assert _patched() == (False, False)


def _without_fp(self: HTTPResponse, *args: object, **kwargs: object) -> None:
    """urllib3's response as it would be without `_fp`."""


def urllib3_lacking(missing: str) -> None:
    if missing.endswith("getresponse"):
        del HTTPConnection.getresponse  # as on urllib3 1.26, which inherits http.client's
    else:
        HTTPResponse.__init__ = _without_fp  # type: ignore[method-assign]  # a throwaway process
    expected = f"urllib3 {version('urllib3')} lacks {missing}.*urllib3>=2\\.6,<3"
    with serve(build_app(default_dataset())) as reference:
        with pytest.raises(Urllib3Unsupported, match=expected), fence(Guard(reference.url, Meter(10))):
            pass
        with pytest.raises(Urllib3Unsupported, match=expected):
            session_for(reference.url).get(reference.url + PATH)
        assert vars(HTTPAdapter)["send"] is ORIGINAL_SEND and len(reference.requests) == 0


@pytest.mark.slow
def test_fences_patch_while_open_and_restore_after_the_last():
    _in_a_fresh_process("fences_nest_and_overlap")


@pytest.mark.slow
def test_a_guarded_exchange_outside_any_fence_restores_what_it_patched():
    _in_a_fresh_process("exchange_outside_a_fence")


@pytest.mark.slow
@pytest.mark.parametrize(
    "missing", ["urllib3.connection.HTTPConnection.getresponse", "urllib3.response.HTTPResponse._fp"]
)
def test_a_urllib3_without_what_the_cap_relies_on_fails_loudly(missing):
    _in_a_fresh_process("urllib3_lacking", missing)
