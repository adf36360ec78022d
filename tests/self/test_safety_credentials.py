"""Every credential mode, offline, against the reference and its IAM stand-in, as users run the suite;
and IAM misbehaving (echoing the password, redirecting, failing, silent): exit 6 with one line,
nothing sent to the target, no secret in any output (terminal, JUnit XML, ledger, report)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from tests.self.helpers import CREDENTIAL_TESTS, SuiteRun, remote_env, run_suite
from werkzeug.wrappers import Request, Response

from modelarts_contract.environment import EXIT_ENVIRONMENT
from modelarts_contract.reference import RunningServer, build_app, default_dataset, serve
from modelarts_contract.reference.iam import USER_PASSWORD, IamApp, Issuer, write_credentials

pytestmark = pytest.mark.e2e  # each test runs the contract suite against the stand-ins (a subprocess)
NO_AMBIENT = {"OS_CLOUD": "", "OS_CLIENT_CONFIG_FILE": "", "OS_CLIENT_SECURE_FILE": ""}


@dataclass
class StandIns:
    target: RunningServer
    iam: RunningServer
    issuer: Issuer
    files: Path

    def env(self, tmp_path: Path, **extra: str) -> dict[str, str]:
        """A run against the target with no credentials but `extra` (and a home of its own)."""
        env = remote_env(self.target.url, **{**NO_AMBIENT, "HOME": str(tmp_path / "home"), **extra})
        for name in ("MODELARTS_AUTH_TOKEN", "MODELARTS_PROJECT_ID"):
            env[name] = extra.get(name, "")
        return env

    def secrets(self) -> set[str]:
        issued = {token for token in self.issuer._tokens}
        keys = {(k.credentials.sk, k.security_token) for k in self.issuer._keys.values()}
        return {USER_PASSWORD, *issued, *(value for pair in keys for value in pair)}


@contextmanager
def stand_ins(tmp_path: Path, iam_app: object = None) -> Iterator[StandIns]:
    issuer = Issuer(default_dataset().projects)
    with ExitStack() as stack:
        target = stack.enter_context(serve(build_app(default_dataset(), iam=issuer)))
        iam = stack.enter_context(serve(iam_app or IamApp(issuer)))  # type: ignore[arg-type]
        (tmp_path / "home").mkdir(exist_ok=True)
        write_credentials(tmp_path / "creds", iam.url, issuer)
        yield StandIns(target, iam, issuer, tmp_path / "creds")


def files_env(files: Path) -> dict[str, str]:
    return {
        "OS_CLIENT_CONFIG_FILE": str(files / "clouds.yaml"),
        "OS_CLIENT_SECURE_FILE": str(files / "secure.yaml"),
    }


def temporary_env(files: Path) -> dict[str, str]:
    lines = (files / "temporary.env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


MODES = {
    # mode: (environment, arguments, the header's credentials line)
    "password": (
        files_env,
        ("--os-cloud", "reference-password"),
        "password (IAM token) from option --os-cloud: clouds.yaml ",
    ),
    "temporary-clouds": (
        lambda f: {**files_env(f), "OS_CLOUD": "reference-temporary"},
        (),
        "temporary AK/SK (security token) from environment OS_CLOUD: clouds.yaml ",
    ),
    "temporary-env": (
        temporary_env,
        (),
        "temporary AK/SK (security token) from environment HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK/HUAWEICLOUD_SDK_SECURITY_TOKEN",
    ),
    "sdk-file": (
        lambda f: {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(f / "credentials")},
        (),
        "temporary AK/SK (security token) from file ",
    ),
}


def outputs(run: SuiteRun, folder: Path) -> dict[str, str]:
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for path in folder.rglob("*"):
        if path.is_file() and "creds" not in path.parts:  # the stand-in's own files hold them, as asked
            texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    return texts


def forms(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret,
        quote(secret, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        raw.hex(),
        secret[:16],
    }


def assert_nothing_leaked(texts: dict[str, str], secrets: set[str]) -> int:
    """No secret, nor its common encodings, nor its first 16 characters, anywhere; the number of checks."""
    checks = 0
    for where, text in texts.items():
        for secret in secrets:
            for form in forms(secret):
                checks += 1
                assert form not in text, f"a form of a secret in {where}"
    return checks


@pytest.mark.parametrize("mode", list(MODES))
def test_every_credential_mode_against_the_stand_ins(tmp_path, mode):
    make_env, args, header = MODES[mode]
    out = tmp_path / "out"
    with stand_ins(tmp_path) as s:
        env = s.env(tmp_path, **make_env(s.files))
        run = run_suite(env, *args, "-v", "-rA", "--junitxml", str(out / "junit.xml"), "--report-dir", str(out),
                        tests=CREDENTIAL_TESTS, cwd=tmp_path)  # fmt: skip
        to_target, to_iam = s.target.requests.snapshot(), s.iam.requests.snapshot()
        secrets = s.secrets()
    assert run.code == 0, run.output[-3000:]
    assert f"modelarts-contract credentials: {header}" in run.stdout
    assert {r.method for r in to_target} == {"GET"} and len(to_target) == run.transport["sent"]
    if mode == "password":  # one token for the run, the one POST, to IAM only
        assert [(r.method, r.path) for r in to_iam] == [("POST", "/v3/auth/tokens")]
        assert all(r.headers.get("X-Auth-Token", "").startswith("refiam-") for r in to_target[:1])
    else:
        assert to_iam == [] and any("X-Security-Token" in r.headers for r in to_target)
    assert assert_nothing_leaked(outputs(run, tmp_path), secrets) > 0


class EchoingIam:
    """Refuses the login and quotes the request (the password in it) back, plain and encoded."""

    def __call__(self, environ, start_response):
        said = Request(environ).get_data(as_text=True)
        echo = f"{said} {base64.b64encode(said.encode()).decode()} {quote(said)} {USER_PASSWORD}"
        body = json.dumps({"error": {"code": 401, "message": echo}})
        headers = {"X-Echo": USER_PASSWORD, "WWW-Authenticate": USER_PASSWORD}
        return Response(body, status=401, headers=headers, content_type="application/json")(
            environ, start_response
        )


class RedirectingIam:
    def __init__(self, elsewhere: str) -> None:
        self.elsewhere = elsewhere

    def __call__(self, environ, start_response):
        where = f"{self.elsewhere}/v3/auth/tokens?password={USER_PASSWORD}"
        return Response("", status=307, headers={"Location": where})(environ, start_response)


class FailingIam:
    def __call__(self, environ, start_response):
        return Response(f"internal error near {USER_PASSWORD}", status=500)(environ, start_response)


class SilentIam:
    def __init__(self) -> None:
        self.done = threading.Event()

    def __call__(self, environ, start_response):
        self.done.wait(30)
        return Response("late")(environ, start_response)


@pytest.mark.parametrize("kind", ["echoes-password", "redirects", "fails", "never-answers"])
def test_a_misbehaving_iam_is_exit_6_with_one_line_and_nothing_leaked(tmp_path, kind):
    out = tmp_path / "out"
    with ExitStack() as stack:
        elsewhere = stack.enter_context(serve(FailingIam()))
        app = {
            "echoes-password": EchoingIam(),
            "redirects": RedirectingIam(elsewhere.url),
            "fails": FailingIam(),
        }.get(kind, SilentIam())
        if isinstance(app, SilentIam):
            stack.callback(app.done.set)
        s = stack.enter_context(stand_ins(tmp_path, app))
        env = s.env(tmp_path, **files_env(s.files), MODELARTS_REQUEST_TIMEOUT="1")
        run = run_suite(env, "--os-cloud", "reference-password", "-rA", "--junitxml", str(out / "junit.xml"),
                        "--report-dir", str(out), tests=CREDENTIAL_TESTS, cwd=tmp_path)  # fmt: skip
        to_target, to_iam, to_elsewhere = (
            s.target.requests.snapshot(),
            s.iam.requests.snapshot(),
            elsewhere.requests.snapshot(),
        )
    assert run.code == EXIT_ENVIRONMENT, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.startswith("STOPPED: environment problem")]
    assert len(lines) == 1, run.output[-3000:]
    expected = {
        "echoes-password": "IAM refused the password login (401",
        "redirects": "IAM answered 307",
        "fails": "IAM answered 500",
        "never-answers": "could not be reached",
    }[kind]
    assert expected in lines[0] and "reference-password" in lines[0]
    assert to_target == [] and to_elsewhere == []  # nothing to the target, nothing followed
    assert [r.method for r in to_iam] == ["POST"] * (2 if kind == "fails" else 1)
    assert assert_nothing_leaked(outputs(run, tmp_path), {USER_PASSWORD}) > 0


def test_a_bad_cloud_is_a_usage_error_before_any_request(tmp_path):
    with stand_ins(tmp_path) as s:
        env = s.env(tmp_path, **files_env(s.files))
        run = run_suite(env, "--os-cloud", "no-such-cloud", tests=CREDENTIAL_TESTS, cwd=tmp_path)
        sent = s.target.requests.snapshot() + s.iam.requests.snapshot()
    assert run.code == 4 and sent == []
    assert (
        f"{s.files / 'clouds.yaml'} (+ {s.files / 'secure.yaml'}), cloud 'no-such-cloud': no such cloud"
        in run.stderr
    )


class ExpiresOnce:
    """The reference, which calls the first IAM token it sees on its 20th request expired (of the
    CREDENTIAL_TESTS' 25: a relation's page read, well after the preflight)."""

    def __init__(self, issuer: Issuer) -> None:
        self.app, self.issuer, self.seen = build_app(default_dataset(), iam=issuer), issuer, 0

    def __call__(self, environ, start_response):
        self.seen += 1
        token = Request(environ).headers.get("X-Auth-Token", "")
        if self.seen >= 20 and token == next(iter(self.issuer._tokens), None):
            body = json.dumps({"error_code": "APIGW.0307", "error_msg": "The token has expired"})
            return Response(body, status=401, content_type="application/json")(environ, start_response)
        return self.app(environ, start_response)


def test_a_token_said_expired_is_renewed_once_and_the_request_sent_again(tmp_path):
    issuer = Issuer(default_dataset().projects)
    with serve(ExpiresOnce(issuer)) as target, serve(IamApp(issuer)) as iam:
        write_credentials(tmp_path / "creds", iam.url, issuer)
        (tmp_path / "home").mkdir()
        extra = {**NO_AMBIENT, **files_env(tmp_path / "creds"), "HOME": str(tmp_path / "home")}
        env = remote_env(target.url, **extra)
        env.update(MODELARTS_AUTH_TOKEN="", MODELARTS_PROJECT_ID="")
        run = run_suite(env, "--os-cloud", "reference-password", tests=CREDENTIAL_TESTS, cwd=tmp_path)
        to_iam = iam.requests.snapshot()
    assert run.code == 0, run.output[-3000:]
    assert [r.method for r in to_iam] == ["POST", "POST"]  # the token of the run, and its renewal
