"""Suite options: read from the pytest command line and the environment, validated once.

A bad option is a usage error that names the option, raised before any request is sent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from modelarts_contract import credentials
from modelarts_contract.contract import OPERATION_PATH

# option name -> environment variable. The command line wins over the environment.
ENVIRONMENT = {
    "base_url": "MODELARTS_BASE_URL",
    "project_id": "MODELARTS_PROJECT_ID",
    "auth_token": "MODELARTS_AUTH_TOKEN",
    "other_project_id": "MODELARTS_OTHER_PROJECT_ID",
    "ak": "HUAWEICLOUD_SDK_AK",
    "sk": "HUAWEICLOUD_SDK_SK",
    "security_token": "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "os_cloud": "OS_CLOUD",
    "max_requests": "MODELARTS_MAX_REQUESTS",
    "rate_limit": "MODELARTS_RATE_LIMIT",
    "request_timeout": "MODELARTS_REQUEST_TIMEOUT",
    "max_response_bytes": "MODELARTS_MAX_RESPONSE_BYTES",
    "max_duration": "MODELARTS_MAX_DURATION",
    "ca_bundle": "MODELARTS_CA_BUNDLE",
    "seed": "MODELARTS_SEED",
    "max_examples": "MODELARTS_MAX_EXAMPLES",
    "strict_fields": "MODELARTS_STRICT_FIELDS",
    "reference_variant": "MODELARTS_REFERENCE_VARIANT",
}

DEFAULT_MAX_REQUESTS = 2000
DEFAULT_REMOTE_RATE_LIMIT = "10/s"
DEFAULT_TIMEOUT = 10.0  # seconds for one whole exchange: connect, headers and body
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a 1,000-group page of the live service is well under 1 MiB
DEFAULT_MAX_DURATION = 30 * 60.0  # seconds: a run fits a CI job's usual time limit
DEFAULT_SEED = 20240618
DEFAULT_MAX_EXAMPLES = 60
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*$", re.ASCII)
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0}
NO_PACING = "none"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$", re.ASCII)
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$", re.ASCII)
_SIZE_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
# A project id is one path segment, sent as it is: nothing that could end the segment, the path or
# the query, escape percent-encoding, or climb out of the operation's path.
_UNSAFE_IN_SEGMENT = re.compile(r"[/\\?#%\s\x00-\x1f\x7f-\x9f]")

# The operation path the suite appends to the base URL, as segments; "{project_id}" is filled in.
_PROJECT_PLACEHOLDER = "{project_id}"
_OPERATION_SEGMENTS = tuple(OPERATION_PATH.strip("/").split("/"))
_OPERATION_PREFIX = OPERATION_PATH.split(_PROJECT_PLACEHOLDER)[0].rstrip("/")  # "/v1"


class ConfigError(ValueError):
    """A usage error: the message names the option and the environment variable."""


_ENV_ONLY = frozenset({"ak", "sk", "security_token"})  # secrets with no command-line option
_SECRETS = frozenset({"auth_token", "ak", "sk", "security_token"})
_BAD_SECRET = re.compile(r"[\s\x00-\x1f\x7f]")
MIN_SECRET_LENGTH = 8


def _option_label(name: str) -> str:
    if name in _ENV_ONLY:
        return ENVIRONMENT[name]
    return f"--{name.replace('_', '-')} ({ENVIRONMENT[name]})"


def parse_rate(text: str) -> float | None:
    """'10/s', '600/m' or '1/h' -> requests per second; 'none' (any case) -> None, no pacing."""
    if text.strip().lower() == NO_PACING:
        return None
    match = _RATE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(
            f"{_option_label('rate_limit')}: expected N/s, N/m, N/h (N > 0), or {NO_PACING} for no pacing, "
            f"got {text!r}"
        )
    return float(match.group(1)) / _PER[match.group(2)]


@dataclass(frozen=True)
class SuiteConfig:
    base_url: str | None
    project_id: str | None
    other_project_id: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    ak: str | None = field(default=None, repr=False)
    sk: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)  # temporary AK/SK
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

    @property
    def auth_mode(self) -> str:
        return "aksk" if self.ak else "token"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in any output."""
        password = self.login.password if self.login else None
        return tuple(s for s in (self.auth_token, self.ak, self.sk, self.security_token, password) if s)

    @property
    def verify(self) -> bool | str:
        return self.ca_bundle or True

    @classmethod
    def from_sources(cls, options: Mapping[str, object], env: Mapping[str, str] | None = None) -> SuiteConfig:
        """Merge command-line options (None = not given) over the environment and validate."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = options.get(name)
            if value is None or value == "":
                value = env.get(ENVIRONMENT[name]) or None
            if value is None or name not in _SECRETS:
                return None if value is None else str(value)
            # A secret store often adds a newline; requests would reject the header and print it.
            value = str(value).strip()
            if _BAD_SECRET.search(value):
                raise ConfigError(f"{_option_label(name)} contains whitespace or control characters")
            if value and len(value) < MIN_SECRET_LENGTH:
                # Every output is scrubbed of the secret: a secret of a few characters would blank out
                # those characters everywhere, and no real token, AK or SK is that short.
                raise ConfigError(
                    f"{_option_label(name)} is {len(value)} characters long; a real one has at least "
                    f"{MIN_SECRET_LENGTH}: is it set to the right value?"
                )
            return value or None

        given = options.get("base_url")  # set but empty is a mistake (a missing CI variable), not "embedded"
        if (str(given) if given is not None else env.get(ENVIRONMENT["base_url"], "-")).strip() == "":
            raise ConfigError(
                f"{_option_label('base_url')} is set but empty: give the target's URL, or unset it"
            )
        base_url = get("base_url")
        if base_url is not None:
            base_url = _valid_base_url(base_url)
        token, cloud = get("auth_token"), get("os_cloud")
        line = {name: bool(options.get(name)) for name in ("auth_token", "os_cloud")}  # given on it
        given = credentials.Given(token, line["auth_token"], cloud, line["os_cloud"], get("ak"), get("sk"))
        try:
            creds = credentials.for_target(given, env, base_url)
        except credentials.CredentialsError as exc:
            raise ConfigError(str(exc)) from None
        project_id = _path_segment("project_id", get("project_id") or (creds.project_id if creds else None))
        if base_url is not None and not project_id and not (creds and creds.login):
            raise ConfigError(f"{_option_label('project_id')} is required when a base URL is given")
        if base_url is not None:
            _refuse_operation_path_in(base_url, project_id)
        if base_url is not None and creds is None:  # docs/staging.md, "Credentials", lists every source
            raise ConfigError(f"{_option_label('auth_token')} or AK/SK, --os-cloud or SDK file is required")
        rate = get("rate_limit")
        if rate is None and base_url is not None:
            rate = DEFAULT_REMOTE_RATE_LIMIT
        ca_bundle = get("ca_bundle")
        if ca_bundle is not None and not os.path.isfile(ca_bundle):
            raise ConfigError(f"{_option_label('ca_bundle')}: no such file {ca_bundle!r}")
        return cls(
            base_url=base_url,
            project_id=project_id,
            other_project_id=_path_segment("other_project_id", get("other_project_id")),
            **credentials.config_fields(creds),  # auth_token, ak, sk, security_token, login, source, mode
            max_requests=_positive_int("max_requests", get("max_requests"), DEFAULT_MAX_REQUESTS),
            rate_per_second=None if rate is None else parse_rate(rate),
            timeout=_positive_float("request_timeout", get("request_timeout"), DEFAULT_TIMEOUT),
            max_response_bytes=_size("max_response_bytes", get("max_response_bytes")),
            max_duration=_duration("max_duration", get("max_duration")),
            ca_bundle=ca_bundle,
            seed=_positive_int("seed", get("seed"), DEFAULT_SEED, minimum=0),
            max_examples=_positive_int("max_examples", get("max_examples"), DEFAULT_MAX_EXAMPLES),
            strict=(get("strict_fields") or "").lower() in {"1", "true", "yes"},
            reference_variant=_reference_variant(get("reference_variant"), base_url),
        )


def _valid_base_url(url: str) -> str:
    label = _option_label("base_url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    if parts.username or parts.password:  # not echoed: user info is a credential
        raise ConfigError(
            f"{label}: no user info (user:password@) allowed; credentials go in their own options"
        )
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{label}: expected http(s)://host[:port][/prefix], got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(
            f"{label}: no query or fragment allowed in {parts.scheme}://{parts.netloc}{parts.path}"
        )
    return url.rstrip("/")


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


def _path_segment(name: str, value: str | None) -> str | None:
    """`value` when it is one safe path segment: the suite and schemathesis both put it in the path."""
    if value is None:
        return None
    label = _option_label(name)
    if value in {".", ".."}:
        raise ConfigError(f"{label}: {value!r} is not a project id (it would climb the URL path)")
    bad = _UNSAFE_IN_SEGMENT.search(value)
    if bad is not None:
        raise ConfigError(
            f"{label}: a project id is one URL path segment, without '/', '\\', '?', '#', '%', "
            f"whitespace or control characters; got {bad.group()!r} at position {bad.start()} of {value!r}"
        )
    return value


def _size(name: str, text: str | None) -> int:
    """Bytes: '8388608', '8MiB', '512 KiB'."""
    if text is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    match = _SIZE.match(text)
    value = int(match.group(1)) * _SIZE_UNITS[match.group(2) or "B"] if match else 0
    if value < 1024:
        raise ConfigError(
            f"{_option_label(name)}: expected a size of at least 1 KiB, as bytes or N KiB / MiB / GiB, got {text!r}"
        )
    return value


def _duration(name: str, text: str | None) -> float:
    """Seconds: '1800', '90s', '30m', '2h'."""
    if text is None:
        return DEFAULT_MAX_DURATION
    match = _DURATION.match(text)
    value = float(match.group(1)) * _PER[match.group(2) or "s"] if match else 0.0
    if value <= 0:
        raise ConfigError(
            f"{_option_label(name)}: expected a duration such as 1800, 90s, 30m or 2h, got {text!r}"
        )
    return value


def _positive_int(name: str, text: str | None, default: int, minimum: int = 1) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{_option_label(name)}: expected an integer, got {text!r}") from None
    if value < minimum:
        raise ConfigError(f"{_option_label(name)}: must be >= {minimum}, got {value}")
    return value


def _positive_float(name: str, text: str | None, default: float) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{_option_label(name)}: expected a number, got {text!r}") from None
    if value <= 0:
        raise ConfigError(f"{_option_label(name)}: must be > 0, got {value}")
    return value


def _reference_variant(name: str | None, base_url: str | None) -> str | None:
    if name is None:
        return None
    label = _option_label("reference_variant")
    if base_url is not None:
        raise ConfigError(f"{label} is for the embedded server: leave out {_option_label('base_url')}")
    return name  # the name itself is checked where the catalogue is known (pytest_plugin)
