"""Credential sources: precedence, clouds.yaml/secure.yaml, the SDK's file, the IAM client's bounds,
the token's renewal, and the security token signed with AK/SK. Bad input is one line naming the
file, entry and key, never a secret."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from werkzeug.wrappers import Response

from modelarts_contract.auth import AkSkAuth, RenewingTokenAuth
from modelarts_contract.config import ConfigError, SuiteConfig
from modelarts_contract.credentials import IamClient, IamError, IssuedToken, PasswordLogin, TokenKeeper
from modelarts_contract.reference import build_app, data, default_dataset, serve
from modelarts_contract.reference.iam import USER_DOMAIN, USER_NAME, USER_PASSWORD, IamApp, Issuer
from modelarts_contract.stops import TargetUnreachable

PASSWORD = "pw-" + "7Qm2Xv9Lk4" * 3
REMOTE = {"MODELARTS_BASE_URL": "https://modelarts.example.com"}


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fresh current directory and home: no real clouds.yaml or ~/.huaweicloud is read."""
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    return {"cwd": cwd, "home": home}


def config(env: dict[str, str], home: Path, **options: object) -> SuiteConfig:
    return SuiteConfig.from_sources(options, {**REMOTE, "HOME": str(home), **env})


def clouds(folder: Path, entries: dict[str, object], name: str = "clouds.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"clouds": entries}), encoding="utf-8")
    return path


PASSWORD_ENTRY = {
    "auth": {
        "auth_url": "https://iam.eu-de.otc.t-systems.com:443/v3",
        "username": "alice",
        "password": PASSWORD,
        "user_domain_name": "OTC00000000001000000xxx",
        "project_name": "eu-de_project",
    }
}
KEYS_ENTRY = {"ak": "AKFROMCLOUDS0000", "sk": "sk-from-clouds-0000", "auth": {"project_id": "p-clouds"}}


# -- precedence --------------------------------------------------------------------------------------


def test_the_command_line_wins_over_the_environment(places):
    clouds(places["cwd"], {"otc": KEYS_ENTRY})
    env = {"HUAWEICLOUD_SDK_AK": "AKFROMENV00000", "HUAWEICLOUD_SDK_SK": "sk-from-env-0000", "OS_CLOUD": "x"}
    c = config({**env, "MODELARTS_PROJECT_ID": "p1"}, places["home"], auth_token="tok-from-line-0000")
    assert c.auth_token == "tok-from-line-0000" and c.ak is None
    assert c.credential_source == "option --auth-token"
    c = config({**env, "MODELARTS_AUTH_TOKEN": "tok-env-00000000"}, places["home"], os_cloud="otc")
    assert c.ak == "AKFROMCLOUDS0000" and c.project_id == "p-clouds" and c.auth_token is None
    assert c.credential_source and c.credential_source.startswith("option --os-cloud: clouds.yaml")


def test_two_sources_in_the_environment_are_refused(places):
    env = {"MODELARTS_PROJECT_ID": "p1", "MODELARTS_AUTH_TOKEN": "tok-env-00000000", "OS_CLOUD": "otc"}
    with pytest.raises(ConfigError, match="MODELARTS_AUTH_TOKEN and OS_CLOUD: give one"):
        config(env, places["home"])


def test_the_sdk_file_is_read_only_when_nothing_else_gives_credentials(places):
    sdk = places["home"] / ".huaweicloud"
    sdk.mkdir()
    (sdk / "credentials").write_text(
        "[basic]\nak = AKFROMFILE0000\nsk = sk-from-file-0000\nproject_id = pf\n"
    )
    c = config({}, places["home"])
    assert (c.ak, c.project_id, c.auth_kind) == ("AKFROMFILE0000", "pf", "AK/SK")
    assert c.credential_source == f"file {sdk / 'credentials'} [basic]"
    c = config({"MODELARTS_AUTH_TOKEN": "tok-env-00000000", "MODELARTS_PROJECT_ID": "p1"}, places["home"])
    assert c.ak is None and c.credential_source == "environment MODELARTS_AUTH_TOKEN"


def test_sdk_variables_with_a_security_token_are_temporary_keys(places):
    env = {
        "HUAWEICLOUD_SDK_AK": "AKTEMP000000",
        "HUAWEICLOUD_SDK_SK": "sk-temp-00000000",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": " sts-0123456789abcdef\n",
        "HUAWEICLOUD_SDK_PROJECT_ID": "p-env",
    }
    c = config(env, places["home"])
    assert (c.security_token, c.project_id, c.auth_mode) == ("sts-0123456789abcdef", "p-env", "aksk")
    assert c.auth_kind == "temporary AK/SK (security token)" and "sts-0123456789abcdef" in c.secrets
    assert "sts-0123" not in repr(c)


def test_project_id_option_wins_over_the_source(places):
    clouds(places["cwd"], {"otc": KEYS_ENTRY})
    c = config({"OS_CLOUD": "otc"}, places["home"], project_id="p-option")
    assert c.project_id == "p-option"


# -- where clouds.yaml is found, and secure.yaml merged ----------------------------------------------


def test_clouds_yaml_is_found_where_openstacksdk_looks(places):
    home_dir = places["home"] / ".config" / "openstack"
    clouds(home_dir, {"otc": {**KEYS_ENTRY, "auth": {"project_id": "p-home"}}})
    assert config({"OS_CLOUD": "otc"}, places["home"]).project_id == "p-home"
    clouds(places["cwd"], {"otc": KEYS_ENTRY})  # the current directory comes first
    assert config({"OS_CLOUD": "otc"}, places["home"]).project_id == "p-clouds"
    named = clouds(places["cwd"] / "elsewhere", {"otc": {**KEYS_ENTRY, "auth": {"project_id": "p-named"}}})
    c = config({"OS_CLOUD": "otc", "OS_CLIENT_CONFIG_FILE": str(named)}, places["home"])
    assert c.project_id == "p-named"  # the named file before all


def test_secure_yaml_is_merged_over_clouds_yaml(places):
    public = {k: v for k, v in PASSWORD_ENTRY["auth"].items() if k != "password"}
    clouds(places["cwd"], {"otc": {"auth": public}})
    secure = clouds(
        places["home"] / ".config" / "openstack", {"otc": {"auth": {"password": PASSWORD}}}, "secure.yaml"
    )
    c = config({"OS_CLOUD": "otc", "MODELARTS_PROJECT_ID": "p1"}, places["home"])
    assert c.login is not None and c.login.password == PASSWORD and c.login.user_name == "alice"
    assert c.auth_kind == "password (IAM token)" and PASSWORD in c.secrets
    assert str(secure) in (c.credential_source or "") and PASSWORD not in repr(c)
    assert c.login.auth_url == "https://iam.eu-de.otc.t-systems.com:443/v3"


# -- bad input: one line naming the file, the entry and the key; exit 4 -----------------------------


@pytest.mark.parametrize(
    ("write", "env", "named"),
    [
        (
            lambda d: (d / "clouds.yaml").write_text("clouds: [unclosed\n"),
            {"OS_CLOUD": "otc"},
            r"clouds\.yaml does not parse as YAML at line 2",
        ),
        (
            lambda d: clouds(d, {"dev": KEYS_ENTRY}),
            {"OS_CLOUD": "otc"},
            r"cloud 'otc': no such cloud \(clouds there: 'dev'\)",
        ),
        (
            lambda d: clouds(d, {"otc": {"auth": {"username": "a"}}}),
            {"OS_CLOUD": "otc"},
            r"cloud 'otc': neither auth\.password",
        ),
        (
            lambda d: clouds(d, {"otc": {"ak": "AKONLY000000"}}),
            {"OS_CLOUD": "otc"},
            r"cloud 'otc': sk is missing",
        ),
        (
            lambda d: clouds(
                d, {"otc": {"auth": {**PASSWORD_ENTRY["auth"], "auth_url": "http://iam.example.com/v3"}}}
            ),
            {"OS_CLOUD": "otc"},
            r"cloud 'otc': auth\.auth_url: http://iam\.example\.com would send the password in clear",
        ),
        (
            lambda d: clouds(
                d, {"otc": {"auth": {k: v for k, v in PASSWORD_ENTRY["auth"].items() if k != "project_name"}}}
            ),
            {"OS_CLOUD": "otc"},
            r"auth\.project_name or auth\.project_id is missing",
        ),
        (lambda d: None, {"OS_CLOUD": "otc"}, r"no clouds\.yaml found \(looked in "),
        (
            lambda d: (d / "creds").write_text("[default]\nak = AK0000000000\n"),
            {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": "creds"},
            r"HUAWEICLOUD_SDK_CREDENTIALS_FILE creds: no \[basic\] section",
        ),
        (
            lambda d: (d / "creds").write_text("[basic]\nak = AK0000000000\n"),
            {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": "creds"},
            r"creds \[basic\]: no sk",
        ),
        (
            lambda d: None,
            {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": "missing"},
            r"HUAWEICLOUD_SDK_CREDENTIALS_FILE missing: no such file",
        ),
    ],
    ids=[
        "yaml",
        "unknown-cloud",
        "no-password-no-keys",
        "ak-without-sk",
        "plain-http",
        "no-project",
        "no-file",
        "no-basic",
        "no-sk",
        "no-sdk-file",
    ],
)
def test_bad_credential_sources_are_usage_errors_that_name_the_place(places, write, env, named):
    write(places["cwd"])
    with pytest.raises(ConfigError, match=named) as caught:
        config({**env, "MODELARTS_PROJECT_ID": "p1"}, places["home"])
    assert "\n" not in str(caught.value) and PASSWORD not in str(caught.value)


def test_iam_at_the_targets_own_origin_is_refused(places):
    auth = {**PASSWORD_ENTRY["auth"], "auth_url": "https://modelarts.example.com/v3"}
    clouds(places["cwd"], {"otc": {"auth": auth}})
    with pytest.raises(ConfigError, match="auth_url is the target's own origin"):
        config({"OS_CLOUD": "otc"}, places["home"])


def test_os_cloud_is_for_a_target_given_by_url(places):
    with pytest.raises(ConfigError, match="--os-cloud"):
        SuiteConfig.from_sources({"os_cloud": "otc"}, {"HOME": str(places["home"])})


# -- the IAM client: bounded, never echoing -----------------------------------------------------------


def login(url: str, password: str = USER_PASSWORD, **scope: str) -> PasswordLogin:
    scope = scope or {"project_name": "eu-de"}
    return PasswordLogin(
        url + "/v3", USER_NAME, password, user_domain_name=USER_DOMAIN, where="test", **scope
    )


def test_the_stand_in_issues_a_token_for_the_password_and_names_its_project():
    issuer = Issuer(default_dataset().projects)
    with serve(IamApp(issuer)) as iam:
        client = IamClient(login(iam.url), timeout=5)
        issued = client.fetch()
        assert issued.project_id == data.MAIN_PROJECT_ID and issued.expires_at > issued.issued_at
        assert issuer.token_holder(issued.token)[0] is not None
        with pytest.raises(IamError, match=r"IAM refused the password login \(401") as caught:
            IamClient(login(iam.url, password="not-the-password-0"), timeout=5).fetch()
        assert [r.method for r in iam.requests.snapshot()] == ["POST", "POST"]
    assert "not-the-password-0" not in str(caught.value) and client.sent == 1


class Flaky:
    """An IAM that answers `statuses` in turn, with these headers, then 201 with a token."""

    def __init__(self, *answers: tuple[int, dict[str, str]]) -> None:
        self.answers = list(answers)

    def __call__(self, environ, start_response):
        if self.answers:
            status, headers = self.answers.pop(0)
            body = json.dumps({"error": {"message": f"no, {USER_PASSWORD}"}})
            response = Response(body, status=status, headers=headers, content_type="application/json")
        else:
            token = {"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": {"id": "p-iam"}}}
            response = Response(
                json.dumps(token), status=201, headers={"X-Subject-Token": "iam-token-0000000000"}
            )
        return response(environ, start_response)


def test_one_retry_on_5xx_and_429_with_retry_after_capped():
    waits: list[float] = []
    with serve(Flaky((500, {}))) as iam:
        issued = IamClient(login(iam.url), timeout=5, sleep=waits.append).fetch()
    assert issued.token == "iam-token-0000000000" and issued.project_id == "p-iam"
    with serve(Flaky((429, {"Retry-After": "99999"}))) as iam:
        IamClient(login(iam.url), timeout=5, sleep=waits.append).fetch()
    assert waits == [1.0, 10.0]
    with (
        serve(Flaky((503, {}), (502, {}))) as iam,
        pytest.raises(IamError, match="IAM answered 502") as caught,
    ):
        IamClient(login(iam.url), timeout=5, sleep=waits.append).fetch()
    assert len(iam.requests) == 2 and USER_PASSWORD not in str(caught.value)


def test_a_redirect_is_not_followed():
    with serve(Flaky((307, {"Location": "http://127.0.0.2:9/v3/auth/tokens"}))) as iam:
        with pytest.raises(IamError, match="IAM answered 307 .*a redirect, not followed"):
            IamClient(login(iam.url), timeout=5).fetch()
        assert len(iam.requests) == 1


@contextmanager
def silent_server() -> Iterator[str]:
    """A server that accepts and never answers (until the test ends)."""
    done = threading.Event()

    def app(environ, start_response):
        done.wait(30)
        return Response("late")(environ, start_response)

    with serve(app) as server:
        try:
            yield server.url
        finally:
            done.set()


def test_an_iam_that_never_answers_is_cut_at_the_timeout():
    with silent_server() as url, pytest.raises(IamError, match="could not be reached") as caught:
        IamClient(login(url), timeout=0.5).fetch()
    assert "\n" not in str(caught.value)


# -- the token's life -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counting:
    def __init__(self) -> None:
        self.fetched = 0

    def fetch(self) -> IssuedToken:
        self.fetched += 1
        return IssuedToken(f"token-{self.fetched:04d}-0000", 1000.0 + 3600 * (self.fetched + 1), 1000.0, "p")


def test_the_token_is_renewed_before_it_expires_and_once_after_an_expired_401():
    clock, client, seen = Clock(), Counting(), []
    keeper = TokenKeeper(client, IssuedToken("token-0000-0000", 4600.0, 1000.0, "p"), seen.append, clock)  # type: ignore[arg-type]
    assert keeper.current() == "token-0000-0000" and client.fetched == 0
    clock.now = 4600.0 - 300 + 1  # within the renewal margin
    assert keeper.current() == "token-0001-0000" and client.fetched == 1
    assert keeper.expired("token-0000-0000")  # an old token: the new one is ready, no fetch
    assert keeper.expired("token-0001-0000") and client.fetched == 2
    assert not keeper.expired("token-0002-0000")  # a fresh token called expired: no storm
    assert seen == ["token-0000-0000", "token-0001-0000", "token-0002-0000"]


def test_a_renewal_that_fails_mid_run_stops_the_use_of_the_target():
    class Refusing(Counting):
        def fetch(self) -> IssuedToken:
            raise IamError("IAM refused")

    clock = Clock()
    keeper = TokenKeeper(
        Refusing(), IssuedToken("token-0000-0000", 1001.0, 1000.0, "p"), lambda t: None, clock
    )  # type: ignore[arg-type]
    clock.now = 1001.0
    with pytest.raises(TargetUnreachable, match="renewing the IAM token failed: IAM refused"):
        keeper.current()


def test_a_401_that_says_expired_is_resent_once_with_a_new_token():
    issuer = Issuer(default_dataset().projects)
    with serve(IamApp(issuer)) as iam, serve(build_app(default_dataset(), iam=issuer)) as target:
        client = IamClient(login(iam.url), timeout=5)
        first = client.fetch()
        expired = IssuedToken(first.token, first.expires_at, first.issued_at, first.project_id)
        keeper = TokenKeeper(client, expired, lambda t: None)
        issuer._tokens[first.token] = (data.MAIN_PROJECT_ID, 0.0)  # the stand-in now says it expired
        url = f"{target.url}/v1/{data.MAIN_PROJECT_ID}/images/group"
        response = requests.get(url, auth=RenewingTokenAuth(keeper), timeout=5)
    assert response.status_code == 200 and [r.status_code for r in response.history] == [401]
    assert client.sent == 2 and keeper.issued.token != first.token


# -- temporary AK/SK: the security token is sent and signed ------------------------------------------


def test_temporary_keys_need_their_security_token_signed():
    issuer = Issuer(default_dataset().projects)
    keys = issuer.issue_keys(data.MAIN_PROJECT_ID, 900)
    ak, sk = keys.credentials.ak, keys.credentials.sk
    with serve(build_app(default_dataset(), iam=issuer)) as target:
        url = f"{target.url}/v1/{data.MAIN_PROJECT_ID}/images/group"

        def status(auth: requests.auth.AuthBase) -> tuple[int, str]:
            response = requests.get(url, auth=auth, timeout=5)
            return response.status_code, response.json().get("error_msg", "")

        signed = AkSkAuth(ak, sk, data.MAIN_PROJECT_ID, security_token=keys.security_token)
        prepared = signed(requests.Request("GET", url).prepare())
        assert prepared.headers["X-Security-Token"] == keys.security_token
        assert (
            "x-security-token" in prepared.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
        )
        assert status(signed)[0] == 200
        assert status(AkSkAuth(ak, sk, data.MAIN_PROJECT_ID)) == (
            401,
            "AK/SK authentication failed: missing X-Security-Token (temporary AK/SK)",
        )
        unknown = AkSkAuth(ak, sk, data.MAIN_PROJECT_ID, security_token="sts-unknown-000000")
        assert status(unknown) == (401, "AK/SK authentication failed: unknown security token")
        issuer.clock = lambda: keys.expires_at + 1
        assert status(signed) == (401, "AK/SK authentication failed: the security token has expired")
