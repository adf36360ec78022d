"""Configuration: every bad option is a usage error that names it, and never echoes a secret."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from modelarts_contract import pytest_plugin
from modelarts_contract.config import ConfigError, SuiteConfig
from modelarts_contract.contract import OPERATION_PATH
from modelarts_contract.near_miss import secret_forms
from modelarts_contract.options import DEFAULT_MAX_REQUESTS, DEFAULT_REMOTE_RATE_LIMIT, OPTIONS, parse_rate

REMOTE = {"MODELARTS_BASE_URL": "https://modelarts.example.com", "MODELARTS_PROJECT_ID": "p1"}
TOKEN = {"MODELARTS_AUTH_TOKEN": "tok-0123456789abcdef"}


def config(env: dict[str, str], **options: object) -> SuiteConfig:
    return SuiteConfig.from_sources(options, env)


def test_embedded_defaults():
    c = config({})
    assert c.base_url is None and c.max_requests == DEFAULT_MAX_REQUESTS and c.rate_per_second is None
    assert c.verify is True


def test_remote_defaults_are_polite():
    c = config({**REMOTE, **TOKEN})
    assert c.rate_per_second == parse_rate(DEFAULT_REMOTE_RATE_LIMIT) and c.verify is True
    assert c.auth_mode == "token" and c.secrets[0] == "tok-0123456789abcdef"
    near_misses = secret_forms("tok-0123456789abcdef", None) - {"tok-0123456789abcdef"}  # R1's
    assert set(c.secrets[1:]) == near_misses and len(c.secrets) == len(set(c.secrets))


def test_options_win_over_environment():
    c = config(
        {**REMOTE, **TOKEN, "MODELARTS_MAX_REQUESTS": "50", "MODELARTS_RATE_LIMIT": "2/s"}, max_requests="7"
    )
    assert c.max_requests == 7 and c.rate_per_second == 2.0


@pytest.mark.parametrize(
    ("text", "per_second"), [("10/s", 10.0), ("300/m", 5.0), ("36/h", 0.01), (" 2 / s ", 2.0)]
)
def test_rates(text, per_second):
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["none", "None", "NONE", "  none\t"])
def test_none_means_no_pacing_in_any_case(text):
    assert parse_rate(text) is None
    assert config({**REMOTE, **TOKEN, "MODELARTS_RATE_LIMIT": text}).rate_per_second is None


@pytest.mark.parametrize("text", ["fast", "0/s", "10/d", "nothing", "no ne"])
def test_a_bad_rate_names_every_accepted_form(text):
    with pytest.raises(ConfigError) as caught:
        config({**REMOTE, **TOKEN}, rate_limit=text)
    message = str(caught.value)
    assert message.startswith("--rate-limit (MODELARTS_RATE_LIMIT): expected N/s, N/m, N/h")
    assert "or none for no pacing" in message and message.endswith(f"got {text!r}")


def base_url_error(url: str, project_id: str = "p1") -> str:
    with pytest.raises(ConfigError) as caught:
        config({**TOKEN, "MODELARTS_BASE_URL": url, "MODELARTS_PROJECT_ID": project_id})
    return str(caught.value)


@pytest.mark.parametrize(
    ("url", "repeated", "requested", "use"),
    [
        ("https://host/v1", "/v1", "/v1/v1/...", "https://host"),
        ("https://host/v1/", "/v1", "/v1/v1/...", "https://host"),
        ("https://host/V1", "/V1", "/V1/v1/...", "https://host"),
        ("https://host:8443/gateway/v1", "/v1", "/gateway/v1/v1/...", "https://host:8443/gateway"),
        ("https://host/v1/p1", "/v1/p1", "/v1/p1/v1/...", "https://host"),
        ("https://host/v1/other/images", "/v1/other/images", "/v1/other/images/v1/...", "https://host"),
        (
            "https://host/v1/p1/images/group",
            "/v1/p1/images/group",
            "/v1/p1/images/group/v1/...",
            "https://host",
        ),
    ],
)
def test_a_base_url_ending_with_the_operation_prefix_is_refused(url, repeated, requested, use):
    message = base_url_error(url)
    assert message == (
        f"--base-url (MODELARTS_BASE_URL) ends with {repeated}, which the suite adds itself "
        f"(requests would go to {requested}): use {use}"
    )


def test_the_refused_prefix_comes_from_the_spec():
    assert OPERATION_PATH.split("{project_id}")[0] == "/v1/"  # if this changes, so do the messages


@pytest.mark.parametrize(
    ("url", "phrase", "use"),
    [
        (
            "https://host/v1/{project_id}/images/group",
            "ends with /v1/{project_id}/images/group",
            "https://host",
        ),
        ("https://host/v1/%7Bproject_id%7D/images/group", "ends with /v1/%7Bproject_id%7D", "https://host"),
        ("https://host/gw/v1/abc/images/group/x", "contains /v1/abc/images/group", "https://host/gw"),
        ("https://host/gw/{project_id}", "contains {project_id}: the suite appends", "https://host/gw"),
    ],
)
def test_a_base_url_holding_the_operation_path_or_its_placeholder_is_refused(url, phrase, use):
    message = base_url_error(url)
    assert message.startswith("--base-url (MODELARTS_BASE_URL) ") and phrase in message
    assert message.endswith(f": use {use}")


@pytest.mark.parametrize(
    "url",
    [
        "https://host/gateway",
        "https://host/apiv1",
        "https://host/v1x",
        "https://host/v1/gateway",
        "https://host/v2",
    ],
)
def test_a_gateway_prefix_stays_allowed(url):
    assert config({**REMOTE, **TOKEN, "MODELARTS_BASE_URL": url}).base_url == url


@pytest.mark.parametrize(
    ("env", "options", "named"),
    [
        ({"MODELARTS_BASE_URL": "modelarts.example.com", **TOKEN}, {}, "--base-url (MODELARTS_BASE_URL)"),
        ({"MODELARTS_BASE_URL": "ftp://h", **TOKEN}, {}, "--base-url"),
        ({"MODELARTS_BASE_URL": "https://h:99999", **TOKEN}, {}, "--base-url"),
        ({"MODELARTS_BASE_URL": "https://h/?x=1", **TOKEN}, {}, "--base-url"),
        ({"MODELARTS_BASE_URL": "https://h", **TOKEN}, {}, "--project-id (MODELARTS_PROJECT_ID)"),
        (REMOTE, {}, "--auth-token (MODELARTS_AUTH_TOKEN) or AK/SK"),
        ({**REMOTE, "HUAWEICLOUD_SDK_AK": "AK1234567890"}, {}, "HUAWEICLOUD_SDK_SK is missing"),
        ({**REMOTE, "HUAWEICLOUD_SDK_SK": "sk-1234567890"}, {}, "HUAWEICLOUD_SDK_AK is missing"),
        ({**REMOTE, **TOKEN, "HUAWEICLOUD_SDK_AK": "AK1234567890"}, {}, "either --auth-token"),
        ({**REMOTE, **TOKEN}, {"max_requests": "many"}, "--max-requests (MODELARTS_MAX_REQUESTS)"),
        ({**REMOTE, **TOKEN}, {"max_requests": "0"}, "--max-requests"),
        ({**REMOTE, **TOKEN, "MODELARTS_RATE_LIMIT": "fast"}, {}, "--rate-limit (MODELARTS_RATE_LIMIT)"),
        ({**REMOTE, **TOKEN}, {"rate_limit": "0/s"}, "--rate-limit"),
        ({**REMOTE, **TOKEN}, {"request_timeout": "-1"}, "--request-timeout"),
        ({**REMOTE, **TOKEN}, {"ca_bundle": "/no/such/ca.pem"}, "--ca-bundle (MODELARTS_CA_BUNDLE)"),
    ],
)
def test_usage_errors_name_the_option(env, options, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        config(env, **options)


def test_secrets_are_trimmed_and_never_echoed():
    c = config({**REMOTE, "MODELARTS_AUTH_TOKEN": "  tok-from-a-file-0123\n"})
    assert c.auth_token == "tok-from-a-file-0123"  # a secret store's trailing newline
    with pytest.raises(ConfigError, match="whitespace or control") as caught:
        config({**REMOTE, "MODELARTS_AUTH_TOKEN": "tok-with\nTWO-LINES-secret"})
    assert "TWO-LINES-secret" not in str(caught.value)


def test_a_secret_too_short_to_scrub_safely_is_refused_without_echo():
    with pytest.raises(
        ConfigError, match=r"--auth-token \(MODELARTS_AUTH_TOKEN\): 3 characters long"
    ) as caught:
        config({**REMOTE, "MODELARTS_AUTH_TOKEN": "t0k"})
    assert "t0k" not in str(caught.value)


def test_user_info_in_the_base_url_is_refused_without_echo():
    url = "https://user:p4ssw0rd-secret@modelarts.example.com"
    with pytest.raises(ConfigError, match="no user info") as caught:
        config({**TOKEN, "MODELARTS_BASE_URL": url, "MODELARTS_PROJECT_ID": "p"})
    assert "p4ssw0rd-secret" not in str(caught.value)


def test_repr_holds_no_secret():
    c = config(
        {**REMOTE, "HUAWEICLOUD_SDK_AK": "AKSECRET0123456789", "HUAWEICLOUD_SDK_SK": "sk-secret-0123456789"}
    )
    assert c.auth_mode == "aksk"
    assert "AKSECRET" not in repr(c) and "sk-secret" not in repr(c)


# --- the option table: one row feeds the command line, the config and the ledger ----------------


def test_every_row_fills_one_config_field_and_every_field_has_a_row():
    attributes = [option.attribute for option in OPTIONS]
    derived = {"login", "credential_source", "auth_kind"}  # the credential sources' (config_fields), no row
    assert sorted(attributes) == sorted(
        f.name for f in dataclasses.fields(SuiteConfig) if f.name not in derived
    )
    assert len({option.env for option in OPTIONS}) == len(OPTIONS)


class _Group:
    """What pytest_addoption is given, recording the flags it adds."""

    def __init__(self) -> None:
        self.flags: dict[str, dict] = {}

    def getgroup(self, *args: object) -> _Group:
        return self

    def addoption(self, flag: str, **kwargs: object) -> None:
        self.flags[flag] = kwargs


def test_the_command_line_has_a_flag_per_row_with_its_variable_and_no_flag_for_a_secret_kept_off_it():
    group = _Group()
    pytest_plugin.pytest_addoption(group)  # type: ignore[arg-type]  # records what a Parser is told
    for option in OPTIONS:
        if option.command_line:
            assert group.flags[option.flag]["dest"] == f"modelarts_{option.name}"
            assert f"[env {option.env}]" in group.flags[option.flag]["help"]
        else:
            assert option.flag not in group.flags
    assert {"--ak", "--sk"}.isdisjoint(group.flags)


@pytest.mark.parametrize(
    ("name", "text", "attribute", "value"),
    [
        ("max_requests", "7", "max_requests", 7),
        ("rate_limit", "300/m", "rate_per_second", 5.0),
        ("request_timeout", "2.5", "timeout", 2.5),
        ("max_response_bytes", "2 MiB", "max_response_bytes", 2 << 20),
        ("max_duration", "2h", "max_duration", 7200.0),
        ("seed", "0", "seed", 0),
        ("max_examples", "5", "max_examples", 5),
        ("strict_fields", "yes", "strict", True),
    ],
)
def test_each_row_is_read_from_its_variable_and_its_flag(name, text, attribute, value):
    option = next(o for o in OPTIONS if o.name == name)
    assert getattr(config({option.env: text}), attribute) == value
    assert getattr(config({}, **{name: text}), attribute) == value


def test_the_ledger_records_the_recorded_rows_by_name_and_never_a_secret():
    c = config({**REMOTE, **TOKEN, "MODELARTS_RATE_LIMIT": "2/s", "MODELARTS_STRICT_FIELDS": "1"})
    recorded = c.recorded_options()
    assert set(recorded) == {o.name for o in OPTIONS if o.recorded}
    assert recorded["rate_limit"] == 2.0 and recorded["strict_fields"] is True
    assert recorded["max_requests"] == DEFAULT_MAX_REQUESTS
    assert not {"auth_token", "ak", "sk", "base_url", "project_id"} & set(recorded)


def test_the_readme_options_table_names_every_row():
    """The README documents the options by hand: every row's flag (or variable) must be in its table."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Options", 1)[1].split("\n## ", 1)[0]
    for option in OPTIONS:
        assert option.env in table, f"README's options table lacks {option.env}"
        if option.command_line:
            assert f"`{option.flag}`" in table, f"README's options table lacks {option.flag}"
