"""A broken or malicious target gets a clear verdict: never a crash, a hang or a leak.

Small servers on 127.0.0.1 send what such a target might: endless or bomb-sized bodies, answers
trickled a byte at a time, a thousand headers, JSON nested past the parser's recursion limit, bytes
that are not UTF-8, Retry-After values made to fool a parser, and the caller's token echoed back in
every encoding. The outcome is always a ClauseViolation naming its clause, or TargetUnreachable with
a one-line message, within bounded time and with no secret in any message.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import itertools
import re
import resource
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from tests.self.test_safety_readonly import SuiteRun, remote_env, run_suite
from tests.self.test_transport_guard import FakeTime
from werkzeug.wrappers import Request, Response

from modelarts_contract.checks.core import NOT_JSON, ClauseViolation, Exchange, Ledger, Verifier, Violations
from modelarts_contract.checks.registry import Scope, response_checks
from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import load_contract
from modelarts_contract.reference import Credentials, ReferenceApp, build_app, data, default_dataset, serve
from modelarts_contract.target import Target
from modelarts_contract.transport import DEADLINE_THREAD, AnswerTooLarge, GuardedSession, TargetUnreachable

_HEX = hashlib.sha256(b"modelarts-contract hostile target test").hexdigest()
TOKEN = "SECRET-TOKEN-9c1e" + _HEX * 4 + "-END"
WINDOW = 16  # no run of this many characters of any form of the token may appear either
CAP = 1 << 20  # the byte cap of the unit tests' targets (the default is 8 MiB)
DEADLINE = 1.0  # seconds: the request timeout of the unit tests' targets
SLACK = 2.0  # seconds a bounded exchange may take beyond its deadline on a busy machine
JSON = b"Content-Type: application/json\r\n"


def forms(secret: str) -> dict[str, str]:
    """The token as a target might echo it back."""
    raw = secret.encode()
    return {
        "plain": secret,
        "base64": base64.b64encode(raw).decode(),
        "base64-user": base64.b64encode(b"user:" + raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "percent": quote(secret, safe=""),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "json-escaped": "".join(f"\\u{ord(c):04x}" for c in secret),
    }


def assert_no_secret(*texts: str) -> None:
    encoded = forms(TOKEN)
    encoded["base64-user"] = encoded["base64-user"][8:]  # the characters past "user:"'s bits
    encoded["json-escaped, as a repr shows it"] = encoded["json-escaped"].replace("\\", "\\\\")
    for text in texts:
        for name, form in encoded.items():
            size = WINDOW * max(1, round(len(form) / len(TOKEN)))  # WINDOW characters of the token
            windows = {form[i : i + size] for i in range(len(form) - size + 1)}
            found = next((w for w in windows if w in text), None)
            assert found is None, f"the token ({name}) in: {text[:300]!r}"


# --- raw servers ---------------------------------------------------------------------------------


class RawServer:
    """Answers every connection on 127.0.0.1 with `answer(connection, request_head, stop)`.

    One request per connection. `finished` counts the handlers that returned: a handler only returns
    once the client has read all or hung up, so it tells whether the client let go of the connection.
    """

    def __init__(self, answer: Callable[[socket.socket, bytes, threading.Event], None]) -> None:
        self.answer = answer
        self.stop = threading.Event()
        self.finished = threading.Semaphore(0)
        self.heads: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                part = connection.recv(4096)
                if not part:
                    return
                head += part
            self.heads.append(head)
            with contextlib.suppress(OSError):  # the client hung up: what a bounded client does
                self.answer(connection, head, self.stop)
        self.finished.release()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(answer: Callable[[socket.socket, bytes, threading.Event], None]) -> RawServer:
        servers.append(RawServer(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def respond(head: bytes, body: bytes, status: bytes = b"200 OK") -> Callable:
    """An answer with these header lines and this body, then the connection closed."""

    def answer(connection: socket.socket, request: bytes, stop: threading.Event) -> None:
        length = b"Content-Length: %d\r\n" % len(body)
        connection.sendall(
            b"HTTP/1.1 " + status + b"\r\nConnection: close\r\n" + head + length + b"\r\n" + body
        )

    return answer


def target_for(url: str, time: FakeTime | None = None, **limits: float) -> Target:
    """A target at `url` whose session reads at most CAP bytes and waits on `time` (when given)."""
    config = SuiteConfig(base_url=url, project_id=data.MAIN_PROJECT_ID, auth_token=TOKEN, timeout=DEADLINE)
    target = Target(config, load_contract())
    waits = {"sleep": time.sleep, "clock": time.clock} if time else {}
    limits.setdefault("max_body_bytes", CAP)
    target.session = GuardedSession(url, max_requests=100, timeout=DEADLINE, **waits, **limits)
    return target


def verdict(target: Target, exchange: Exchange) -> list[ClauseViolation]:
    """Every clause the checks of a configured request find broken (a fresh ledger, not the run's)."""
    verifier = Verifier(target.contract, target.redactor, Ledger())
    with pytest.raises(Violations) as caught:
        verifier.run_all(response_checks(Scope.CONFIGURED), exchange)
    return caught.value.violations


def named(violations: list[ClauseViolation], clause_id: str) -> ClauseViolation:
    found = [v for v in violations if v.clause.id == clause_id]
    assert found, f"{clause_id} not among {[v.clause.id for v in violations]}"
    return found[0]


def unreachable(target: Target, params: dict[str, str] | None = None) -> tuple[str, float]:
    """The message of the TargetUnreachable a GET raises, and how long it took."""
    start = time.monotonic()
    with pytest.raises(TargetUnreachable) as caught:
        target.get(params or {"limit": "1"})
    elapsed = time.monotonic() - start
    assert caught.value.__cause__ is None and "\n" not in str(caught.value)
    return str(caught.value), elapsed


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
    target = target_for(server.url, max_body_bytes=CAP)
    start = time.monotonic()
    exchange = target.get({"limit": "1"})
    elapsed = time.monotonic() - start
    assert exchange.truncated_at == CAP and exchange.content == b""
    assert elapsed < DEADLINE, f"{elapsed:.1f} s: stopped by the deadline, not by the wire count"
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
    message, elapsed = unreachable(target_for(server.url))
    assert said in message and server.url.removeprefix("http://") in message
    assert elapsed < SLACK
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


class AfterPreflight(ReferenceApp):
    """The reference for the first request (the preflight); every later one gets `after`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.turns = itertools.count(1)  # next() is atomic: the server's threads share it

    def reference(self, request: Request) -> Response:
        return super().handle(request)

    def after(self, request: Request, turn: int) -> Response:
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        turn = next(self.turns)
        return self.reference(request) if turn == 1 else self.after(request, turn)


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
    ak, sk = "SECRETAK9C1E" + _HEX[:8].upper(), "SECRET-SK-" + _HEX[8:40]
    dataset = replace(base, projects=[Credentials(data.MAIN_PROJECT_ID, TOKEN, ak, sk), *base.projects[1:]])
    settings = {"MODELARTS_AUTH_TOKEN": TOKEN, "MODELARTS_MAX_REQUESTS": "40", "HOME": str(home), **env}
    with serve(build_app(dataset, app_cls=app_cls)) as server:
        return run_suite(remote_env(server.url, **settings), "--tb=long", "-l", "-rA", timeout=120)


# An exception that is neither a verdict (Violations, ClauseViolation) nor a stop (TargetUnreachable,
# BudgetExhausted): RecursionError, UnicodeDecodeError, KeyError and the like.
_CRASH = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b:")


def assert_a_verdict(run: SuiteRun) -> None:
    assert run.code in (1, 6), run.output[-3000:]
    assert "INTERNALERROR" not in run.output
    crash = _CRASH.search(run.output)
    assert crash is None, run.output[max(0, crash.start() - 2000) : crash.end() + 500]
    assert_no_secret(run.stdout, run.stderr)


def test_the_contract_suite_judges_a_hostile_target(tmp_path):
    run = hostile_run(Hostile, tmp_path)
    assert_a_verdict(run)
    assert run.code == 1
    for clause in ("R8.body-schema", "R13.error-body", "R14.no-server-error"):
        assert clause in run.stdout, clause


def test_the_contract_suite_stops_at_a_trickling_target(tmp_path):
    run = hostile_run(Trickling, tmp_path, MODELARTS_REQUEST_TIMEOUT="1")
    assert_a_verdict(run)
    assert run.code == 6
    assert "did not finish its answer within 1 s (--request-timeout)" in run.stdout
