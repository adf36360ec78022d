"""Hostile loopback targets shared by the hostile-target self-tests: raw socket servers that answer
what a broken or malicious target might, a target whose session reads at most CAP bytes, the token
and its echoed forms, and the assertions every such test makes (a verdict, never a crash or a leak)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from tests.self.helpers import FakeTime, SuiteRun

from modelarts_contract.checks.core import ClauseViolation, Exchange, Ledger, Verifier, Violations
from modelarts_contract.checks.registry import Scope, response_checks
from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import load_contract
from modelarts_contract.meter import Meter
from modelarts_contract.reference import data
from modelarts_contract.target import Target
from modelarts_contract.transport import Guard, GuardedSession, Limits, TargetUnreachable

HEX = hashlib.sha256(b"modelarts-contract hostile target test").hexdigest()
TOKEN = "SECRET-TOKEN-9c1e" + HEX * 4 + "-END"
WINDOW = 16  # no run of this many characters of any form of the token may appear either
CAP = 1 << 20  # the byte cap of the unit tests' targets (the default is 8 MiB)
DEADLINE = 1.0  # seconds: the request timeout of the unit tests' targets
SLACK = 5.0  # seconds a bounded exchange may take beyond its deadline on a busy machine
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


def target_for(url: str, time: FakeTime | None = None, timeout: float = DEADLINE, **limits: float) -> Target:
    """A target at `url` whose session reads at most CAP bytes and waits on `time` (when given)."""
    config = SuiteConfig(base_url=url, project_id=data.MAIN_PROJECT_ID, auth_token=TOKEN, timeout=timeout)
    target = Target(config, load_contract())
    limits.setdefault("max_body_bytes", CAP)
    meter = Meter(100, None, time.clock) if time else Meter(100)
    waits = {"sleep": time.sleep} if time else {}
    guard = Guard(url, meter, Limits(timeout=timeout, **limits), **waits)
    target.session = GuardedSession(guard)
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


# An exception that is neither a verdict (Violations, ClauseViolation) nor a stop (TargetUnreachable,
# BudgetExhausted): RecursionError, UnicodeDecodeError, KeyError and the like.
_CRASH = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b:")


def assert_a_verdict(run: SuiteRun) -> None:
    assert run.code in (1, 6), run.output[-3000:]
    assert "INTERNALERROR" not in run.output
    crash = _CRASH.search(run.output)
    assert crash is None, run.output[max(0, crash.start() - 2000) : crash.end() + 500]
    assert_no_secret(run.stdout, run.stderr)
