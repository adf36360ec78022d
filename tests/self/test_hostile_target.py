"""A broken or malicious target gets a clear verdict: never a crash, a hang or a leak.

Small servers on 127.0.0.1 send what such a target might: endless or bomb-sized bodies, answers
trickled a byte at a time, a thousand headers, JSON nested past the parser's recursion limit, bytes
that are not UTF-8, Retry-After values made to fool a parser, and the caller's token echoed back in
every encoding. The outcome is always a ClauseViolation naming its clause, or TargetUnreachable with
a one-line message, within bounded time and with no secret in any message.
"""

from __future__ import annotations

import gzip
import resource
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from tests.self.helpers import AfterPreflight, FakeTime, SuiteRun, remote_env, run_suite
from tests.self.hostile import (
    CAP,
    DEADLINE,
    HEX,
    JSON,
    SLACK,
    TOKEN,
    assert_a_verdict,
    assert_no_secret,
    forms,
    named,
    respond,
    target_for,
    unreachable,
    verdict,
)
from werkzeug.wrappers import Request, Response

from modelarts_contract.checks.core import NOT_JSON, Exchange, Ledger, Verifier, Violations
from modelarts_contract.checks.registry import Scope, response_checks
from modelarts_contract.deadline import DEADLINE_THREAD
from modelarts_contract.reference import Credentials, ReferenceApp, build_app, data, default_dataset, serve
from modelarts_contract.stops import AnswerTooLarge, TargetUnreachable
from modelarts_contract.target import Target

# --- bodies without end ----------------------------------------------------------------------------


def endless_chunked(status: bytes = b"200 OK") -> Callable:
    def answer(connection: socket.socket, request: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 " + status + b"\r\n" + JSON + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n" % 65536 + b"[" * 65536 + b"\r\n"
        for _ in range(100_000):  # 6.5 GB: far past any cap, and still a bounded loop
            if stop.is_set():
                return
            connection.sendall(chunk)

    return answer


def too_large(target: Target, exchange: Exchange) -> str:
    """The message of the stop the checks raise on an answer cut at the cap that breaks no clause."""
    verifier = Verifier(target.contract, target.redactor, Ledger())
    with pytest.raises(AnswerTooLarge) as caught:
        verifier.run_all(response_checks(Scope.CONFIGURED), exchange)
    assert isinstance(caught.value, TargetUnreachable)  # an environment stop: exit 6, not a verdict
    return str(caught.value)


def test_an_endless_chunked_body_is_cut_at_the_cap_and_not_judged(raw_server):
    server = raw_server(endless_chunked())
    target = target_for(server.url)
    start = time.monotonic()
    exchange = target.get({"limit": "1"})
    assert time.monotonic() - start < DEADLINE + SLACK
    assert exchange.truncated_at == CAP and len(exchange.content) <= CAP  # the wire cap counts framing
    said = too_large(target, exchange)
    assert f"answered 200 with a body larger than {CAP} bytes" in said
    assert "--max-response-bytes" in said and "curl" in said and TOKEN not in said
    assert target.session.stats.truncated == 1
    assert server.finished.acquire(timeout=5), "the connection was not let go"


def gzip_bomb(gigabytes: int) -> bytes:
    """A few KB that decode, through Content-Encoding: gzip, gzip, to `gigabytes` GiB of zeros."""
    member = gzip.compress(b"\0" * (1 << 20), 9)  # gzip bodies may hold many members, back to back
    return gzip.compress(member * (gigabytes << 10), 9)


def test_a_gzip_bomb_is_decoded_only_up_to_the_cap(raw_server):
    bomb = gzip_bomb(2)
    assert len(bomb) < 16 * 1024
    server = raw_server(respond(JSON + b"Content-Encoding: gzip, gzip\r\n", bomb))
    target = target_for(server.url)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    exchange = target.get({"limit": "1"})
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    assert exchange.truncated_at == CAP and exchange.content == b"\0" * CAP
    assert grown < 200 * 1024, f"peak memory grew by {grown} KiB"
    assert "with a body larger than" in too_large(target, exchange)


def endless_empty_gzip(connection: socket.socket, request: bytes, stop: threading.Event) -> None:
    """A gzip body of empty members without end: it takes bytes off the wire and decodes to nothing."""
    connection.sendall(
        b"HTTP/1.1 200 OK\r\n" + JSON + b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    block = gzip.compress(b"") * 3000
    chunk = b"%x\r\n" % len(block) + block + b"\r\n"
    for _ in range(100_000):  # 6 GB: far past any cap, and still a bounded loop
        if stop.is_set():
            return
        connection.sendall(chunk)


def test_a_body_that_decodes_to_nothing_is_cut_at_the_cap_on_the_wire(raw_server):
    server = raw_server(endless_empty_gzip)
    # A deadline far off: an exchange the deadline ended raises TargetUnreachable, whatever the load.
    target = target_for(server.url, timeout=60, max_body_bytes=CAP)
    exchange = target.get({"limit": "1"})  # an answer, so the wire count stopped it, not the deadline
    assert exchange.truncated_at == CAP and exchange.content == b""
    assert "with a body larger than" in too_large(target, exchange)


@pytest.mark.parametrize(("status", "clause"), [(b"500 Internal Server Error", "R14.no-server-error")])
def test_an_answer_past_the_cap_that_breaks_a_clause_is_that_clause(raw_server, status, clause):
    server = raw_server(endless_chunked(status))
    target = target_for(server.url)
    exchange = target.get({"limit": "1"})
    violations = verdict(target, exchange)
    named(violations, clause)
    assert "R13.error-body" not in {v.clause.id for v in violations}  # a cut body is not judged


# --- answers that never finish ---------------------------------------------------------------------


def trickle(prefix: bytes, byte: bytes = b"[") -> Callable:
    """Sends `prefix`, then a byte every 0.2 s: never silent long enough for a read timeout."""

    def answer(connection: socket.socket, request: bytes, stop: threading.Event) -> None:
        connection.sendall(prefix)
        for _ in range(200):  # 40 s at most
            if stop.is_set():
                return
            connection.sendall(byte)
            time.sleep(0.2)

    return answer


@pytest.mark.parametrize(
    ("what", "prefix", "said"),
    [
        (
            "the body",
            b"HTTP/1.1 200 OK\r\n" + JSON + b"Content-Length: 1000\r\n\r\n",
            "did not finish its answer",
        ),
        ("a body without length", b"HTTP/1.1 200 OK\r\n" + JSON + b"\r\n", "did not finish its answer"),
        ("the headers", b"HTTP/1.1 200 OK\r\nX-Slow: ", "sent no answer"),
    ],
    ids=["body", "body-without-length", "headers"],
)
@pytest.mark.slow
def test_a_trickled_answer_ends_at_the_deadline(raw_server, what, prefix, said):
    server = raw_server(trickle(prefix))
    message, elapsed = unreachable(target_for(server.url))
    assert said in message and f"within {DEADLINE:g} s (--request-timeout)" in message
    assert DEADLINE - 0.1 < elapsed < DEADLINE + SLACK, what
    assert server.finished.acquire(timeout=5), "the connection was not let go"


def continue_forever(connection: socket.socket, request: bytes, stop: threading.Event) -> None:
    """http.client skips any number of 100 Continue answers: an answer that never starts."""
    for _ in range(100_000):
        if stop.is_set():
            return
        connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        time.sleep(0.001)


@pytest.mark.slow
def test_endless_interim_answers_end_at_the_deadline(raw_server):
    message, elapsed = unreachable(target_for(raw_server(continue_forever).url))
    assert "sent no answer within 1 s" in message and elapsed < DEADLINE + SLACK


def test_no_deadline_timer_outlives_its_exchange(raw_server):
    server = raw_server(respond(JSON, b'{"error_code": "X", "error_msg": "y"}', b"400 Bad Request"))
    target = target_for(server.url)
    for _ in range(20):
        target.get({"limit": "1"})
    timers = [t for t in threading.enumerate() if t.name == DEADLINE_THREAD]
    for timer in timers:
        timer.join(timeout=1)
    assert not any(t.is_alive() for t in timers)


# --- answers that are not HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            respond(JSON + b"".join(b"X-Header-%d: v\r\n" % i for i in range(1000)), b"{}"),
            "sent more than 100 header lines",
        ),
        (respond(JSON + b"X-Long: " + b"a" * 70_000 + b"\r\n", b"{}"), "longer than the HTTP client reads"),
        (respond(JSON + b"Content-Length: 9\r\n", b"{}"), "several different Content-Length values"),
        (
            respond(JSON + b"Content-Encoding: gzip\r\n", b"not gzip"),
            "does not decode as its Content-Encoding",
        ),
        (lambda c, r, s: c.sendall(TOKEN.encode() + b"\r\n\r\n"), "does not start with an HTTP status line"),
        (lambda c, r, s: None, "closed the connection without answering"),
    ],
    ids=["1000-headers", "long-header", "two-lengths", "bad-gzip", "no-status-line", "silence"],
)
def test_an_answer_that_is_not_http_is_one_clear_line(raw_server, answer, said):
    server = raw_server(answer)
    message, _ = unreachable(target_for(server.url))
    # Not the deadline's message: it ended on its own reason, before the deadline, however busy the machine.
    assert said in message and server.url.removeprefix("http://") in message
    assert "within 1 s (--request-timeout)" not in message
    assert_no_secret(message)


# --- bodies the parser chokes on -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "clause"),
    [
        (b"[" * 100_000 + b"]" * 100_000, b"200 OK", "R8.body-schema"),
        (b'{"error_code": ' * 20_000, b"400 Bad Request", "R13.error-body"),  # under the cap
        (b'{"data": [], "total": ' + b"9" * 100_000 + b"}", b"200 OK", "R8.body-schema"),
        (b'{"error_code": "\xff\xfe", "error_msg": "\xc0"}', b"400 Bad Request", "R13.error-body"),
        (b'{"data": [], "total": 0, "name": "\xff"}', b"200 OK", "R8.body-schema"),
    ],
    ids=["nested-100000", "nested-error", "huge-integer", "not-utf8-error", "not-utf8"],
)
def test_json_the_parser_cannot_read_is_not_json(raw_server, body, status, clause):
    server = raw_server(respond(JSON, body, status))
    target = target_for(server.url)
    exchange = target.get({"limit": "1"})
    assert exchange.body is NOT_JSON
    violation = named(verdict(target, exchange), clause)
    assert violation.expected in ("a JSON body", "a JSON error body")
    assert len(violation.actual) < 400  # an excerpt, not the body


# --- Retry-After made to fool a parser -------------------------------------------------------------


ERROR = b'{"error_code": "ModelArts.6101", "error_msg": "Too many requests"}'


@pytest.mark.parametrize(
    "value",
    [b"\xb2", b"\xc2\xb2", b"99999999999999999999", b"1e3", b"-5", b"Fri, 31 Dec 99999 23:59:59 GMT"],
    ids=["superscript-two", "utf8-superscript-two", "20-digits", "exponent", "negative", "year-99999"],
)
def test_an_unreadable_retry_after_is_not_waited(raw_server, value):
    server = raw_server(respond(JSON + b"Retry-After: " + value + b"\r\n", ERROR, b"429 Too Many Requests"))
    clock = FakeTime()
    target = target_for(server.url, clock)
    exchange = target.get({"limit": "1"})
    assert exchange.status == 429 and clock.sleeps == [] and len(server.heads) == 1
    assert verdict(target, exchange)  # the checks judge the 429


def test_always_429_spends_the_wait_allowance_then_goes_to_the_checks(raw_server):
    server = raw_server(respond(JSON + b"Retry-After: 60\r\n", ERROR, b"429 Too Many Requests"))
    clock = FakeTime()
    target = target_for(server.url, clock, retry_wait_allowance=120.0)
    statuses = [target.get({"limit": "1"}).status for _ in range(10)]
    stats = target.session.stats
    assert statuses == [429] * 10
    assert clock.sleeps == [60.0, 60.0] and stats.waited == 120.0
    assert stats.not_waited == 10 and stats.sent == len(server.heads) == 12


# --- the token echoed back -------------------------------------------------------------------------


def echo(connection: socket.socket, request: bytes, stop: threading.Event) -> None:
    """200 with a body that is not the contract's, the caller's token in the form the query names,
    and in the Content-Type (which the media type check quotes)."""
    head = request.decode("latin-1")
    token = next(
        line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("x-auth")
    )
    form = head.split("name=", 1)[1].split(" ", 1)[0].split("&", 1)[0]
    body = ("echo: " + forms(token)[form]).encode()
    header = f"Content-Type: text/{token}\r\nX-Echo: {token}\r\n".encode()
    respond(header, body)(connection, request, stop)


@pytest.mark.parametrize("form", list(forms(TOKEN)))
def test_an_echoed_token_appears_in_no_verdict(raw_server, form):
    server = raw_server(echo)
    target = target_for(server.url)
    exchange = target.get({"limit": "1", "name": form})
    echoed = forms(TOKEN)[form]
    assert echoed in exchange.content.decode() and TOKEN in exchange.headers["X-Echo"]  # it came back
    violations = verdict(target, exchange)
    named(violations, "R8.content-type")
    named(violations, "R8.body-schema")
    texts = [str(Violations(violations)), repr(violations), exchange.reproduce]
    texts += [text for v in violations for text in (v.expected, v.actual, v.reproduce, str(v))]
    assert_no_secret(*texts)


# --- the real contract suite against hostile targets -----------------------------------------------


class Hostile(AfterPreflight):
    """After the preflight, each request with a token gets the next hostile answer."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bomb = gzip_bomb(1)

    def after(self, request: Request, turn: int) -> Response:
        token = request.headers.get("X-Auth-Token", "")
        if not token:
            return self.reference(request)
        said = forms(token)
        answers = [
            lambda: self.error(400, "ModelArts.0101", f"bad {said['plain']}"),
            lambda: self.error(403, "ModelArts.0210", f"forbidden {said['base64-user']}"),
            lambda: self.error(500, "ModelArts.0010", f"{said['percent']} failed"),
            lambda: self.error(404, "ModelArts.0200", said["hex"]),
            lambda: Response(  # a 500: a verdict whatever the body, which is read up to the cap only
                self.bomb,
                status=500,
                headers={"Content-Encoding": "gzip, gzip", "Content-Type": "application/json"},
            ),
            lambda: Response(b"[" * 100_000 + b"]" * 100_000, content_type="application/json"),
            lambda: Response(b'{"data": "\xff"}', content_type="application/json"),
            lambda: Response(b'{"total": ' + b"7" * 50_000 + b"}", content_type="application/json"),
            lambda: Response(ERROR, status=429, headers={"Retry-After": "\xb2"}),
            lambda: Response(ERROR, status=503, headers={"Retry-After": "99999999999999999999"}),
            lambda: Response(said["json-escaped"], status=502, headers={"X-Echo": token}),
            lambda: self.json_response(200, {"data": said["base64url"]}, {"Content-Type": f"text/{token}"}),
        ]
        return answers[(turn - 2) % len(answers)]()


class Trickling(AfterPreflight):
    """Answers the preflight, then trickles its second answer a byte every 0.2 s."""

    def after(self, request: Request, turn: int) -> Response:
        def slowly() -> Iterator[bytes]:
            for _ in range(100):  # 20 s at most
                yield b"["
                time.sleep(0.2)

        return Response(slowly(), content_type="application/json")


def hostile_run(app_cls: type[ReferenceApp], home: Path, **env: str) -> SuiteRun:
    """The contract suite as users run it, with leaky options, against `app_cls` holding TOKEN."""
    base = default_dataset()
    ak, sk = "SECRETAK9C1E" + HEX[:8].upper(), "SECRET-SK-" + HEX[8:40]
    dataset = replace(base, projects=[Credentials(data.MAIN_PROJECT_ID, TOKEN, ak, sk), *base.projects[1:]])
    settings = {"MODELARTS_AUTH_TOKEN": TOKEN, "MODELARTS_MAX_REQUESTS": "40", "HOME": str(home), **env}
    with serve(build_app(dataset, app_cls=app_cls)) as server:
        return run_suite(remote_env(server.url, **settings), "--tb=long", "-l", "-rA", timeout=120)


@pytest.mark.e2e
def test_the_contract_suite_judges_a_hostile_target(tmp_path):
    run = hostile_run(Hostile, tmp_path)
    assert_a_verdict(run)
    assert run.code == 1
    for clause in ("R8.body-schema", "R13.error-body", "R14.no-server-error"):
        assert clause in run.stdout, clause


@pytest.mark.e2e
def test_the_contract_suite_stops_at_a_trickling_target(tmp_path):
    run = hostile_run(Trickling, tmp_path, MODELARTS_REQUEST_TIMEOUT="1")
    assert_a_verdict(run)
    assert run.code == 6
    assert "did not finish its answer within 1 s (--request-timeout)" in run.stdout
