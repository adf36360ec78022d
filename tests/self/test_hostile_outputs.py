"""Nothing the target sends reaches an output raw, no output file is unsafe, no verdict is lost.

Hostile servers on 127.0.0.1 send terminal escapes, C0 and C1 controls, bidi overrides, NUL, lone
surrogates and bytes that are not UTF-8, in headers (a 3xx's Location) and bodies; answers cut short
of their Content-Length; a resolver that hangs. The outputs (terminal, Markdown, HTML, JUnit XML,
ledger JSON) carry no raw control character and still parse; a bad output path is exit 4 before any
request; a report that cannot be written is one line and the verdict stands.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.self.helpers import ONE_TEST, AfterPreflight, SuiteRun, remote_env, run_suite
from tests.self.hostile import (
    DEADLINE,
    JSON,
    SLACK,
    RawServer,
    assert_a_verdict,
    listing_body,
    named,
    respond,
    short_answers,
    target_for,
    unreachable,
    verdict,
)
from werkzeug.wrappers import Request, Response

from modelarts_contract import outputs
from modelarts_contract.checks.core import ClauseViolation, Ledger, Verifier, Violations
from modelarts_contract.checks.edge_relations import field_samples
from modelarts_contract.checks.registry import Scope, response_checks
from modelarts_contract.contract import load_contract
from modelarts_contract.fence import fence
from modelarts_contract.meter import Meter
from modelarts_contract.neutral import header_text, neutral, shell_quote
from modelarts_contract.redact import Redactor
from modelarts_contract.reference import build_app, default_dataset, serve
from modelarts_contract.report import HTML_NAME, LEDGER_NAME, MARKDOWN_NAME, write_run_reports
from modelarts_contract.transport import Guard, GuardedSession, Limits, TargetUnreachable

# What a hostile target puts in its words: escapes that clear the screen, retitle the window, make a
# hyperlink or erase what came before; C1 CSI; NUL; bidi overrides and isolates; a lone surrogate.
NASTY = (
    "\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\\x08\x08\x00\x9b31m\u202e\u2066\x7f"
)
IN_HEADERS = "".join(c for c in NASTY if ord(c) < 256)  # a header is Latin-1 on the wire
NASTY_BYTES = NASTY.encode("utf-8", "surrogatepass") + b"\xff\xfe\xc0"


def raw_controls(text: str) -> list[str]:
    """The characters of `text` an output must not carry raw (a line feed is a line feed)."""
    if text.replace("\n", "").isprintable():  # the common case, at C speed: none
        return []
    return sorted({c for c in text if not c.isprintable() and c != "\n"})


def assert_neutral(name: str, text: str) -> None:
    found = raw_controls(text)
    assert not found, f"{name} carries {found!r}"


# --- the one neutralising function --------------------------------------------------------------


_CHARS = st.one_of(
    st.characters(codec=None, categories=None),
    st.sampled_from(list(NASTY)),
    st.integers(0xD800, 0xDFFF).map(chr),  # lone surrogates
    st.integers(0x80, 0x9F).map(chr),  # C1
)
HOSTILE_TEXT = st.one_of(st.text(_CHARS, max_size=80), st.just(NASTY * 2000))  # and one very long line
HOSTILE_BYTES = st.one_of(st.binary(max_size=80), st.just(NASTY_BYTES))
EXAMPLES = 40


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=HOSTILE_TEXT, raw=HOSTILE_BYTES)
def test_neutral_leaves_no_control_character_and_encodes(text, raw):
    for shown in (neutral(text), neutral(raw), header_text(raw.decode("latin-1")), shell_quote(text)):
        assert_neutral("neutral", shown)
        shown.encode("utf-8")  # no lone surrogate left: every output can write it
    assert neutral(text, lines=True).replace("\n", "") == neutral(text.replace("\n", ""))


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Html(HTMLParser):
    """Every element the page opens is closed, in order: no text of the target opened or closed one."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def assert_outputs_parse(directory: Path) -> None:
    """The ledger is JSON, the HTML balanced, every Markdown table row as wide as its header."""
    json.loads((directory / LEDGER_NAME).read_text(encoding="utf-8"))
    page = _Html()
    page.feed((directory / HTML_NAME).read_text(encoding="utf-8"))
    page.close()
    assert page.open == [], page.open
    widths: list[int] = []
    for line in [*(directory / MARKDOWN_NAME).read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("|"):
            widths.append(len(line.replace("\\|", "").split("|")))
        elif widths:
            assert len(set(widths)) == 1, f"a table of uneven rows: {widths}"
            widths = []
    for name in (LEDGER_NAME, HTML_NAME, MARKDOWN_NAME):
        assert_neutral(name, (directory / name).read_text(encoding="utf-8"))


@pytest.mark.slow  # a property test: every example writes every output
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(expected=HOSTILE_TEXT, actual=HOSTILE_TEXT, raw=HOSTILE_BYTES)
def test_a_violation_quoting_anything_renders_safely_everywhere(tmp_path, expected, actual, raw):
    contract = load_contract()
    clause = contract.clause("R8.body-schema")
    violation = ClauseViolation(
        clause, expected, actual + repr(raw) + header_text(raw.decode("latin-1")), None, Redactor()
    )
    ledger = Ledger()
    ledger.broken(violation, "tests/contract/test_x.py::test_" + neutral(actual)[:20])
    terminal = str(Violations([violation]))  # what pytest prints and JUnit XML holds
    assert_neutral("terminal", terminal)
    ET.fromstring(f"<failure>{terminal.replace('&', '&amp;').replace('<', '&lt;')}</failure>")
    problems = write_run_reports(tmp_path, {"clauses": ledger.as_dict(), "exitstatus": 1}, contract=contract)
    assert problems == []
    assert_outputs_parse(tmp_path)


class Scripted:
    """One raw server for many examples: each answer is whatever the test put in `next` last."""

    def __init__(self) -> None:
        self.next = b"HTTP/1.1 204 No Content\r\n\r\n"

    def __call__(self, connection: socket.socket, request: bytes, stop: threading.Event) -> None:
        connection.sendall(self.next)


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[Scripted, str]]:
    script = Scripted()
    server = RawServer(script)
    yield script, server.url
    server.close()


@pytest.mark.slow  # a property test: every example writes every output
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    status=st.sampled_from([b"200 OK", b"301 Moved", b"400 Bad Request", b"500 Oops"]),
    header=st.one_of(st.binary(max_size=60), st.just(NASTY_BYTES)).map(lambda b: b.translate(None, b"\r\n")),
    body=HOSTILE_BYTES,
)
def test_whatever_a_target_answers_reaches_the_outputs_neutralised(scripted, tmp_path, status, header, body):
    """Drawn bytes in the Location, another header and the body of a loopback target's answer."""
    script, url = scripted
    script.next = (
        b"HTTP/1.1 "
        + status
        + b"\r\nConnection: close\r\nLocation: /"
        + header
        + b"\r\nX-Said: "
        + header
        + b"\r\nContent-Type: text/"
        + header
        + b"\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    )
    target = target_for(url)
    ledger = Ledger()
    try:
        exchange = target.get({"limit": "1"})
        Verifier(target.contract, target.redactor, ledger).run_all(
            response_checks(Scope.CONFIGURED), exchange
        )
        said = "no clause broken"
    except (Violations, TargetUnreachable) as outcome:  # a verdict, or one line on an answer that is not HTTP
        said = str(outcome)
    assert_neutral("verdict", said)
    assert write_run_reports(tmp_path, {"clauses": ledger.as_dict(), "exitstatus": 1}) == []
    assert_outputs_parse(tmp_path)


# --- headers are bytes until the suite decodes them ---------------------------------------------


LOCATION = b"/v1/x\x1b]0;owned\x07\x1b[2J\x9b\xff\xfe" + b"\xc0" * 3


def test_a_location_that_is_not_utf8_is_r16_and_neutral(raw_server):
    server = raw_server(respond(b"Location: " + LOCATION + b"\r\n" + JSON, b"{}", b"301 Moved Permanently"))
    target = target_for(server.url)
    exchange = target.get({"limit": "1"})  # before: UnicodeDecodeError in requests' resolve_redirects
    assert exchange.status == 301
    violation = named(verdict(target, exchange), "R16.documented-status")
    assert_neutral("R16 actual", violation.actual)
    assert "redirecting to /v1/x\\x1b]0;owned\\x07\\x1b[2J\\x9b\\xff\\xfe\\xc0" in violation.actual


def test_no_session_resolves_a_redirect_of_the_target(raw_server):
    """schemathesis's own sessions pass the fence: requests reads no 3xx's Location there either."""
    server = raw_server(respond(b"Location: " + LOCATION + b"\r\n", b"", b"302 Found"))
    session = GuardedSession(Guard(server.url, Meter(10)))
    with fence(session.guard):
        plain = requests.Session().get(server.url + "/x", allow_redirects=False)
        followed = requests.Session().get(server.url + "/y")  # a session that would follow: does not
    assert plain.status_code == followed.status_code == 302 and plain.next is None
    assert len(server.heads) == 2  # nothing followed


# --- strings must be Unicode --------------------------------------------------------------------


def test_a_lone_surrogate_in_a_name_breaks_r8_and_is_not_sent_back(raw_server):
    server = raw_server(respond(JSON, listing_body(['"ok"', '"bad\\ud800"', '"\\ud83d\\ude00"'])))
    target = target_for(server.url)
    exchange = target.get({"limit": "3"})
    violation = named(verdict(target, exchange), "R8.body-schema")
    assert "unpaired surrogate" in violation.actual and "\\ud800" in violation.actual
    samples = field_samples(target.contract, exchange.body["data"])
    assert samples["name"] == ["ok", "\U0001f600"]  # the others go on; the surrogate is not sent


def test_a_duplicate_member_name_breaks_r8(raw_server):
    body = listing_body(['"a"']).replace(b'"current": 1,', b'"current": 1, "current": 1,')
    server = raw_server(respond(JSON, body))
    target = target_for(server.url)
    violation = named(verdict(target, target.get({"limit": "1"})), "R8.body-schema")
    assert "'current' twice" in violation.actual


# --- answers cut short of their Content-Length --------------------------------------------------


def test_an_answer_short_on_its_retry_too_breaks_r8(raw_server):
    server = raw_server(short_answers(2))
    target = target_for(server.url)
    exchange = target.get({"limit": "1"})  # before: TargetUnreachable, exit 6
    assert len(server.heads) == 2 and exchange.short_of is not None
    violation = named(verdict(target, exchange), "R8.body-schema")
    assert "on a retry too" in violation.actual and violation.reproduce.startswith("curl")
    assert target.session.stats.retries == 1 and target.session.stats.sent == 2


def test_an_answer_short_once_stays_an_environment_stop(raw_server):
    server = raw_server(short_answers(1))
    message, _ = unreachable(target_for(server.url))
    assert "then answered whole on a retry" in message and len(server.heads) == 2


# --- DNS resolution is bounded by the request deadline ------------------------------------------


def test_a_resolver_that_hangs_holds_no_request_past_its_deadline(monkeypatch):
    release = threading.Event()
    real = socket.getaddrinfo

    def hanging(host, *args, **kwargs):
        if host == "hangs.invalid":
            release.wait(30)  # bounded: released at the end of the test
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    session = GuardedSession(Guard("http://hangs.invalid:9", Meter(5), Limits(timeout=DEADLINE)))
    start = time.monotonic()
    try:
        with pytest.raises(TargetUnreachable, match="did not resolve within 1 s"):
            session.get("http://hangs.invalid:9/x")
        assert time.monotonic() - start < DEADLINE + SLACK
    finally:
        release.set()


# --- output paths, checked before the first request ---------------------------------------------


def _unusable(tmp_path: Path) -> dict[str, tuple[tuple[str, ...], str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return {
        "report-dir-is-a-file": (("--report-dir", str(a_file)), "exists and is not a directory"),
        "report-dir-under-a-file": (("--report-dir", str(a_file / "sub")), "is not a directory"),
        "junitxml-is-a-directory": (("--junitxml", str(tmp_path)), "must be a filename"),  # pytest says so
        "junitxml-under-a-file": (("--junitxml", str(a_file / "j.xml")), "is not a directory"),
    }


@pytest.mark.e2e
@pytest.mark.parametrize(
    "case",
    ["report-dir-is-a-file", "report-dir-under-a-file", "junitxml-is-a-directory", "junitxml-under-a-file"],
)
def test_an_unusable_output_path_is_exit_4_and_sends_nothing(tmp_path, case):
    args, why = _unusable(tmp_path)[case]
    with serve(build_app(default_dataset())) as server:
        run = run_suite(remote_env(server.url), *args)
        sent = len(server.requests)
    assert run.code == 4 and sent == 0, run.output[-2000:]
    assert args[1] in run.stderr and why in run.stderr


def test_a_read_only_report_dir_is_named_with_why(tmp_path, monkeypatch):
    """A read-only mount (or directory: root writes into those anyway) refuses the probe file."""

    def refused(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(outputs.tempfile, "TemporaryFile", refused)
    problem = outputs.directory_problem(tmp_path)
    assert problem == f"{tmp_path} is not writable (Read-only file system)"
    junit = tmp_path / "new" / "j.xml"
    assert outputs.output_problems(None, str(junit)) == [f"--junitxml: {junit} cannot be written: {problem}"]


def test_a_report_file_is_renamed_into_place_never_written_through_a_symlink(tmp_path):
    outside = tmp_path / "outside.html"
    outside.write_text("precious")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / HTML_NAME).symlink_to(outside)
    assert write_run_reports(reports, {"clauses": {}, "exitstatus": 0}) == []
    assert outside.read_text() == "precious" and not (reports / HTML_NAME).is_symlink()
    assert [p.name for p in reports.iterdir() if p.name.startswith(".")] == []  # no temporary left


DISK_FULL = """
import errno
from modelarts_contract import report

def _full(path, text):
    if path.name == "conformance.html":
        raise OSError(errno.ENOSPC, "No space left on device")
    _write(path, text)

_write, report.write_atomically = report.write_atomically, _full
"""


@pytest.mark.e2e
def test_a_report_the_disk_cannot_hold_is_one_line_and_the_verdict_stands(tmp_path):
    (tmp_path / "diskfull.py").write_text(DISK_FULL)
    reports, junit = tmp_path / "reports", tmp_path / "junit.xml"
    with serve(build_app(default_dataset())) as server:
        env = remote_env(server.url, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
        run = run_suite(
            env, "-p", "diskfull", "--report-dir", str(reports), "--junitxml", str(junit), tests=ONE_TEST
        )
    assert run.code == 0, run.output[-3000:]  # the verdict: the reference breaks nothing
    lines = [line for line in run.stderr.splitlines() if "could not write" in line]
    assert lines == [f"modelarts-contract: could not write {reports / HTML_NAME}: No space left on device"]
    assert "Traceback" not in run.output and "clauses checked" in run.stdout
    assert (reports / LEDGER_NAME).exists() and (reports / MARKDOWN_NAME).exists()
    cases = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert cases == ["test_configured_credentials_are_accepted"]


# --- the first request is judged like any other -------------------------------------------------


class RedirectsFirst(AfterPreflight):
    """Redirects the preflight (the first request), then answers as the reference."""

    def handle(self, request: Request) -> Response:
        turn = next(self.turns)
        if turn == 1:
            return Response(status=301, headers={"Location": "/elsewhere" + IN_HEADERS})  # werkzeug %-encodes
        return self.reference(request)


@pytest.mark.e2e
def test_a_target_redirecting_only_the_first_request_breaks_r16(tmp_path):
    junit = tmp_path / "junit.xml"
    with serve(build_app(default_dataset(), app_cls=RedirectsFirst)) as server:
        run = run_suite(remote_env(server.url), "--junitxml", str(junit), tests=ONE_TEST)
    assert run.code == 1, run.output[-3000:]  # before: exit 0
    assert "R16.documented-status" in run.stdout and "status 301 redirecting to /elsewhere" in run.stdout
    assert_neutral("terminal", run.output)
    failed = [
        c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None
    ]
    assert failed == ["preflight"]


# --- the whole suite against a target whose every word is hostile -------------------------------


class Nasty(AfterPreflight):
    """After the preflight, answers that carry NASTY in every place a target's words reach."""

    def after(self, request: Request, turn: int) -> Response:
        escaped = json.dumps(NASTY + "\ud800")  # \u escapes: valid JSON, a lone surrogate included
        answers = [
            lambda: Response(status=301, headers={"Location": "/x" + IN_HEADERS + "\xff\xfe"}),
            lambda: Response(listing_body([escaped, '"plain"']), content_type="application/json"),
            lambda: Response(NASTY_BYTES, status=200, content_type="application/json"),
            lambda: self.error(400, "ModelArts." + NASTY, NASTY),
            lambda: Response(
                b"{}", status=500, headers={"Content-Type": "text/" + IN_HEADERS, "X-Nasty": IN_HEADERS}
            ),
            lambda: Response(
                listing_body([json.dumps("A" * 100_000 + NASTY)]), content_type="application/json"
            ),
        ]
        return answers[(turn - 2) % len(answers)]()


@pytest.mark.e2e
def test_no_output_carries_a_raw_control_character_and_each_parses(tmp_path):
    reports, junit = tmp_path / "reports", tmp_path / "junit.xml"
    with serve(build_app(default_dataset(), app_cls=Nasty)) as server:
        env = remote_env(server.url, MODELARTS_MAX_REQUESTS="40", HOME=str(tmp_path))
        run = run_suite(
            env, "--tb=long", "-rA", "--report-dir", str(reports), "--junitxml", str(junit), timeout=120
        )
    assert_a_verdict(SuiteRun(run.code, run.stdout, run.stderr))
    assert run.code == 1
    for clause in ("R16.documented-status", "R8.body-schema", "R13.error-body"):
        assert clause in run.stdout, clause
    assert_neutral("terminal", run.output)
    assert_outputs_parse(reports)
    junit_text = junit.read_text(encoding="utf-8")
    assert_neutral("JUnit XML", junit_text)
    ET.fromstring(junit_text)


class SurrogateName(AfterPreflight):
    """The reference, with one more group in every listing: its name holds an unpaired surrogate."""

    def after(self, request: Request, turn: int) -> Response:
        answer = self.reference(request)
        body = json.loads(answer.get_data()) if answer.status_code == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return answer
        group = {"name": "bad\ud800", "namespace": "ns", "create_at": 1, "update_at": 2, "version_count": 1}
        body["data"].append(group)  # json.dumps writes it as the escape \ud800
        return Response(json.dumps(body), content_type="application/json")


@pytest.mark.e2e
def test_a_name_that_is_not_unicode_is_r8_and_the_filter_relations_go_on(tmp_path):
    reports = tmp_path / "reports"
    with serve(build_app(default_dataset(), app_cls=SurrogateName)) as server:
        env = remote_env(server.url, MODELARTS_MAX_REQUESTS="400")
        run = run_suite(env, "-k", "against_the_listing and free", "--report-dir", str(reports), timeout=120)
        sent = [r.query_string for r in server.requests.snapshot()]
    assert_a_verdict(SuiteRun(run.code, run.stdout, run.stderr))  # before: UnicodeEncodeError
    assert run.code == 1 and "R8.body-schema" in run.stdout and "unpaired surrogate" in run.stdout
    assert len(sent) > 10  # the relation went on with the names it can send
    assert not any("%ED%A0%80" in query.upper() for query in sent)  # the surrogate, never sent back
    assert_outputs_parse(reports)
