"""The suite's configuration: the options (one row each in `options.py`) read from the pytest
command line and the environment, validated once, with the rules that tie them together.

A bad option is a usage error that names the option, raised before any request is sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from modelarts_contract import credentials
from modelarts_contract.contract import OPERATION_PATH
from modelarts_contract.near_miss import secret_forms
from modelarts_contract.options import (
    DEFAULT_MAX_DURATION,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REMOTE_RATE_LIMIT,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT,
    OPTION,
    OPTIONS,
    parse_rate,
)
from modelarts_contract.options import ENVIRONMENT as ENVIRONMENT  # re-exported: the variables by option
from modelarts_contract.options import ConfigError as ConfigError  # re-exported: where users catch it

# The operation path the suite appends to the base URL, as segments; "{project_id}" is filled in.
_PROJECT_PLACEHOLDER = "{project_id}"
_OPERATION_SEGMENTS = tuple(OPERATION_PATH.strip("/").split("/"))
_OPERATION_PREFIX = OPERATION_PATH.split(_PROJECT_PLACEHOLDER)[0].rstrip("/")  # "/v1"


def _option_label(name: str) -> str:
    return OPTION[name].label


@dataclass(frozen=True)
class SuiteConfig:
    base_url: str | None
    project_id: str | None
    other_project_id: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    ak: str | None = field(default=None, repr=False)
    sk: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)  # temporary AK/SK
    os_cloud: str | None = None  # the clouds.yaml entry named (--os-cloud, OS_CLOUD)
    login: credentials.PasswordLogin | None = field(default=None, repr=False)  # IAM gives the token
    credential_source: str | None = None  # where the credentials came from (never a value)
    auth_kind: str | None = None  # credentials.TOKEN, PASSWORD, AKSK or TEMPORARY_AKSK
    max_requests: int = DEFAULT_MAX_REQUESTS
    rate_per_second: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_duration: float = DEFAULT_MAX_DURATION
    ca_bundle: str | None = None
    seed: int = DEFAULT_SEED
    max_examples: int = DEFAULT_MAX_EXAMPLES
    reference_variant: str | None = None  # the embedded server serves this variant (to see a failure)
    strict: bool = False
    # What the run writes and reads beside the target: reports, the baseline, a recording.
    report_dir: str | None = None
    baseline: str | None = None
    baseline_update: bool = False
    max_response_time: float | None = None  # seconds: the user's objective, not the contract's
    record: str | None = None
    replay: str | None = None

    @property
    def auth_mode(self) -> str:
        return "aksk" if self.ak else "token"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in any output: the credentials and every near-miss the
        R1 checks derive from them."""
        password = self.login.password if self.login else None
        given = tuple(s for s in (self.auth_token, self.ak, self.sk, self.security_token, password) if s)
        return given + tuple(sorted(secret_forms(self.auth_token, self.ak) - set(given)))

    @property
    def verify(self) -> bool | str:
        return self.ca_bundle or True

    @classmethod
    def from_sources(cls, options: Mapping[str, object], env: Mapping[str, str] | None = None) -> SuiteConfig:
        """Merge command-line options (None = not given) over the environment and validate: each
        option on its own (its row in `options.OPTIONS`), then the rules that tie them together."""
        env = os.environ if env is None else env
        _refuse_empty_base_url(options.get("base_url"), env)
        values = {option.name: option.read(options.get(option.name), env) for option in OPTIONS}
        creds = _credentials(values, options, env)
        if values["project_id"] is None and creds is not None and creds.project_id is not None:
            values["project_id"] = OPTION["project_id"].read(creds.project_id, {})  # the source's
        _check_target(values, password=creds is not None and creds.login is not None)
        if (
            values["base_url"] is not None
            and OPTION["rate_limit"].text(options.get("rate_limit"), env) is None
        ):
            values["rate_limit"] = parse_rate(DEFAULT_REMOTE_RATE_LIMIT)  # polite to a real service
        _check_reference_variant(values["reference_variant"], values["base_url"])
        fields = {option.attribute: values[option.name] for option in OPTIONS}
        return cls(**(fields | credentials.config_fields(creds)))

    def recorded_options(self) -> dict[str, object]:
        """The options the ledger records (no secret, no target), by name, as the run used them."""
        return {option.name: getattr(self, option.attribute) for option in OPTIONS if option.recorded}


def _refuse_empty_base_url(given: object, env: Mapping[str, str]) -> None:
    """Set but empty is a mistake (a missing CI variable), not "embedded"."""
    if (str(given) if given is not None else env.get(OPTION["base_url"].env, "-")).strip() == "":
        raise ConfigError(f"{_option_label('base_url')} is set but empty: give the target's URL, or unset it")


def _check_target(values: Mapping[str, Any], password: bool) -> None:
    base_url, project_id = values["base_url"], values["project_id"]
    if base_url is None:
        return
    if not project_id and not password:  # with a password, the token's project will do
        raise ConfigError(f"{_option_label('project_id')} is required when a base URL is given")
    _refuse_operation_path_in(base_url, project_id)


def _credentials(
    values: Mapping[str, Any], options: Mapping[str, object], env: Mapping[str, str]
) -> credentials.Credentials | None:
    """The credentials in force, by the precedence of docs/staging.md, "Credentials"."""
    on_line = {name: bool(options.get(name)) for name in ("auth_token", "os_cloud")}
    token, cloud = values["auth_token"], values["os_cloud"]
    given = credentials.Given(
        token, on_line["auth_token"], cloud, on_line["os_cloud"], values["ak"], values["sk"]
    )
    try:
        creds = credentials.for_target(given, env, values["base_url"])
    except credentials.CredentialsError as exc:
        raise ConfigError(str(exc)) from None
    if values["base_url"] is not None and creds is None:
        raise ConfigError(
            f"{_option_label('auth_token')} or AK/SK is required when a base URL is given (or "
            f"{_option_label('os_cloud')}, or the SDK's credentials file: docs/staging.md, Credentials)"
        )
    return creds


def _segment_matches(pattern: str, segment: str, project_id: str | None, anything: bool) -> bool:
    if pattern != _PROJECT_PLACEHOLDER:
        return segment.lower() == pattern.lower()
    return anything or segment in {_PROJECT_PLACEHOLDER, project_id}


def _repeats(patterns: tuple[str, ...], segments: list[str], project_id: str | None, anything: bool) -> bool:
    pairs = zip(patterns, segments, strict=True)
    return all(_segment_matches(pattern, segment, project_id, anything) for pattern, segment in pairs)


def _operation_overlap(segments: list[str], project_id: str | None) -> tuple[int, int] | None:
    """(start, end) of the path segments that repeat what the suite appends itself, or None.

    The whole operation path anywhere, or a leading part of it at the end ("/v1", "/v1/<project>",
    "/v1/<anything>/images"). A bare "/v1/<something else>" may be a gateway's own prefix: allowed.
    """
    whole = len(_OPERATION_SEGMENTS)
    for start in range(len(segments) - whole + 1):
        if _repeats(_OPERATION_SEGMENTS, segments[start : start + whole], project_id, True):
            return start, start + whole
    for size in range(min(whole - 1, len(segments)), 0, -1):
        tail, lead = segments[-size:], _OPERATION_SEGMENTS[:size]
        fixed_after = _PROJECT_PLACEHOLDER in lead[:-1]  # a literal segment follows the project id
        if _repeats(lead, tail, project_id, fixed_after):
            return len(segments) - size, len(segments)
    return None


def _refuse_operation_path_in(base_url: str, project_id: str | None) -> None:
    """A base URL must stop where the operation path begins: the suite appends all of it."""
    parts = urlsplit(base_url)
    raw = parts.path.split("/")[1:]
    segments = [unquote(s) for s in raw]
    label = _option_label("base_url")

    def cut_at(index: int) -> str:  # the base URL without segment `index` and what follows
        return f"{parts.scheme}://{parts.netloc}" + "".join(f"/{s}" for s in raw[:index] if s)

    overlap = _operation_overlap(segments, project_id)
    if overlap is not None:
        start, end = overlap
        repeated = "/" + "/".join(raw[start:end])
        verb = "ends with" if end == len(segments) else "contains"
        raise ConfigError(
            f"{label} {verb} {repeated}, which the suite adds itself (requests would go to "
            f"{parts.path}{_OPERATION_PREFIX}/...): use {cut_at(start)}"
        )
    placeholder = next((i for i, s in enumerate(segments) if _PROJECT_PLACEHOLDER in s), None)
    if placeholder is not None:
        raise ConfigError(
            f"{label} contains {_PROJECT_PLACEHOLDER}: the suite appends {OPERATION_PATH} itself and "
            f"fills in {_option_label('project_id')}: use {cut_at(placeholder)}"
        )


def _check_reference_variant(name: str | None, base_url: str | None) -> None:
    if name is None:
        return
    label = _option_label("reference_variant")
    if base_url is not None:
        raise ConfigError(f"{label} is for the embedded server: leave out {_option_label('base_url')}")
    # The name itself is checked where the catalogue is known (pytest_plugin).
