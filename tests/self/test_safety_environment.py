"""A broken environment is one clear message and exit status 6, a bad option a usage error (4).

Each case runs the contract suite as users do and checks the server-side evidence: at most the one
preflight request arrived, so nothing was hammered.
"""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from tests.self.helpers import ONE_TEST, remote_env, run_suite
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from modelarts_contract.checks.listing import LISTING_PAGE
from modelarts_contract.environment import EXIT_ENVIRONMENT
from modelarts_contract.reference import ReferenceApp, build_app, data, default_dataset, serve
from modelarts_contract.reference.server import RecordingMiddleware, RequestLog

pytestmark = pytest.mark.e2e  # each test runs the contract suite against a server (a subprocess)


def assert_environment_failure(run, *phrases: str) -> None:
    assert run.code == EXIT_ENVIRONMENT, run.output[-3000:]
    assert "STOPPED: environment problem, not a contract verdict" in run.output
    assert "_pytest.outcomes.Exit" not in run.output  # the cause once in the errors, once in the verdict
    for phrase in phrases:
        assert phrase in run.output, run.output[-3000:]
    # One message, not N test failures: no test ran, and a single error case names the cause
    # (in the terminal and in JUnit XML, so that a CI dashboard shows why nothing was checked).
    assert not re.search(r"\d+ (passed|failed)", run.output), run.output[-3000:]
    assert "1 error in" in run.output and "ERROR modelarts-contract::environment" in run.output


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound but not listening: connection refused
        run = run_suite(remote_env(f"http://127.0.0.1:{sock.getsockname()[1]}"))
    assert_environment_failure(run, "connection refused by 127.0.0.1:")


def test_timeout():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)  # accepts, never answers
        run = run_suite(
            remote_env(f"http://127.0.0.1:{sock.getsockname()[1]}", MODELARTS_REQUEST_TIMEOUT="0.3")
        )
    assert_environment_failure(run, "no answer within 0.3 s")


@pytest.mark.parametrize(
    ("env", "phrase"),
    [
        ({"MODELARTS_AUTH_TOKEN": "expired-token-0000000000000000"}, "refused the configured token"),
        ({"MODELARTS_PROJECT_ID": data.OTHER_PROJECT_ID}, "may not read project " + data.OTHER_PROJECT_ID),
    ],
    ids=["401", "403"],
)
def test_credentials_refused_on_the_first_request(env, phrase):
    with serve(build_app(default_dataset())) as server:
        run = run_suite(remote_env(server.url, **env))
        assert len(server.requests) == 1
    assert_environment_failure(run, phrase)
    assert "expired-token-0000000000000000" not in run.output


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MODELARTS_BASE_URL": "modelarts.example.com"}, "--base-url (MODELARTS_BASE_URL)"),
        ({"HUAWEICLOUD_SDK_AK": "SOMEACCESSKEY0000000"}, "give either --auth-token"),
    ],
)
def test_bad_configuration_is_a_usage_error(env, named):  # more cases in test_config.py
    run = run_suite(remote_env("http://127.0.0.1:9", **env))
    assert run.code == 4, run.output[-2000:]
    assert named in run.stderr


def test_a_base_url_ending_with_the_operation_prefix_is_a_usage_error_and_sends_nothing():
    with serve(build_app(default_dataset())) as server:
        run = run_suite(remote_env(server.url + "/v1"))
        assert len(server.requests) == 0
    assert run.code == 4, run.output[-2000:]
    assert "--base-url (MODELARTS_BASE_URL) ends with /v1, which the suite adds itself" in run.stderr
    assert f"(requests would go to /v1/v1/...): use {server.url}" in run.stderr


class NotFoundForOtherProjects(ReferenceApp):
    """A service that hides other projects: 404 with its own (ModelArts) error code, not 403."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        denied = super().authenticate(request, project_id)
        if denied is not None and denied.status_code == 403:
            return self.error(404, "ModelArts.0210", "Project not found")
        return denied


def not_json_404(environ: dict, start_response) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/html")])
    return [b"<html><body>Not Found</body></html>"]


@pytest.mark.parametrize(
    ("app", "prefix", "said"),
    [
        (build_app(default_dataset()), "/gateway", ": APIGW.0101: The API does not exist"),
        (not_json_404, "", ", which is not a ModelArts error"),
    ],
    ids=["gateway-404", "html-404"],
)
def test_a_404_from_outside_the_service_says_the_path_may_be_wrong(app, prefix, said):
    with serve(app) as server:
        run = run_suite(remote_env(server.url + prefix))
        assert len(server.requests) == 1
    requested = f"{server.url}{prefix}/v1/{data.MAIN_PROJECT_ID}/images/group?limit=1"
    assert_environment_failure(run, f"the path may be wrong: GET {requested} got 404{said}", "--base-url")
    assert "credentials" not in run.output


def test_a_404_from_the_service_still_names_the_project():
    with serve(build_app(default_dataset(), app_cls=NotFoundForOtherProjects)) as server:
        run = run_suite(remote_env(server.url, MODELARTS_PROJECT_ID=data.OTHER_PROJECT_ID))
    assert_environment_failure(run, "may not read project " + data.OTHER_PROJECT_ID, "ModelArts.0210")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_server(self_signed) -> Iterator[tuple[str, RequestLog]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    log = RequestLog()
    server = make_server("127.0.0.1", 0, RecordingMiddleware(build_app(default_dataset()), log), threaded=True,
                         ssl_context=context)  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", log
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_tls_is_verified_by_default(tls_server):
    url, log = tls_server
    run = run_suite(remote_env(url))
    assert_environment_failure(run, "TLS failure with 127.0.0.1", "CERTIFICATE_VERIFY_FAILED", "--ca-bundle")
    assert len(log) == 0  # the handshake failed: no request, no token sent


def test_a_ca_bundle_makes_it_trusted(tls_server, self_signed):
    url, log = tls_server
    run = run_suite(remote_env(url, MODELARTS_CA_BUNDLE=str(self_signed[0])), tests=ONE_TEST)
    assert run.code == 0, run.output[-3000:]
    assert len(log) == 2  # preflight and the test


class SlowListings(ReferenceApp):
    """Answers, but too slowly, the big pages that the relation checks ask for."""

    def handle(self, request: Request) -> Response:
        if request.args.get("limit") == str(LISTING_PAGE):
            time.sleep(4.0)  # well beyond the run's --request-timeout of 1.5 s, however loaded the machine
        return super().handle(request)


def test_target_failing_mid_run_stops_the_run(tmp_path):
    with serve(build_app(default_dataset(), app_cls=SlowListings)) as server:
        # A timeout no other answer nears on a loaded machine: only the slow pages go past it.
        env = remote_env(server.url, MODELARTS_REQUEST_TIMEOUT="1.5", MODELARTS_MAX_EXAMPLES="5")
        run = run_suite(env, "--junitxml", str(tmp_path / "junit.xml"))
        slow = [r for r in server.requests if parse_qs(r.query_string).get("limit") == [str(LISTING_PAGE)]]
    assert run.code == EXIT_ENVIRONMENT, run.output[-3000:]
    assert "STOPPED: environment problem" in run.output and "no answer within 1.5 s" in run.output
    assert "Interrupted" in run.output and len(slow) == 1  # stopped at once, not one timeout per test
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert "environment problem, not a contract failure" in junit
