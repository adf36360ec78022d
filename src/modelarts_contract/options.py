"""The suite's options, one row each: name, environment variable, help, parser and default.

The table feeds the pytest command line (`pytest_plugin.pytest_addoption`), the config
(`SuiteConfig.from_sources` reads and parses every row, the command line over the environment) and
the ledger (the rows marked `recorded`). An option is one row here and the typed `SuiteConfig` field
it fills (`tests/self/test_config.py` checks that the two agree). Rules that tie options together
(a base URL needs a project id and credentials, ...) live in `config.py`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A usage error: the message names the option and the environment variable."""


DEFAULT_MAX_REQUESTS = 2000
DEFAULT_REMOTE_RATE_LIMIT = "10/s"
DEFAULT_TIMEOUT = 10.0  # seconds for one whole exchange: connect, headers and body
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a 1,000-group page of the live service is well under 1 MiB
DEFAULT_MAX_DURATION = 30 * 60.0  # seconds: a run fits a CI job's usual time limit
DEFAULT_SEED = 20240618
DEFAULT_MAX_EXAMPLES = 60
NO_PACING = "none"
MIN_SECRET_LENGTH = 8
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*$", re.ASCII)
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$", re.ASCII)
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$", re.ASCII)
_SIZE_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
_BAD_SECRET = re.compile(r"[\s\x00-\x1f\x7f]")
# A project id is one path segment, sent as it is: nothing that could end the segment, the path or
# the query, escape percent-encoding, or climb out of the operation's path.
_UNSAFE_IN_SEGMENT = re.compile(r"[/\\?#%\s\x00-\x1f\x7f-\x9f]")


# -- parsers: the given text to the value; a ValueError says what was expected (the row adds its name)


def parse_rate(text: str) -> float | None:
    """'10/s', '600/m' or '1/h' -> requests per second; 'none' (any case) -> None, no pacing."""
    if text.strip().lower() == NO_PACING:
        return None
    match = _RATE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"expected N/s, N/m, N/h (N > 0), or {NO_PACING} for no pacing, got {text!r}")
    return float(match.group(1)) / _PER[match.group(2)]


def parse_size(text: str) -> int:
    """Bytes: '8388608', '8MiB', '512 KiB'."""
    match = _SIZE.match(text)
    value = int(match.group(1)) * _SIZE_UNITS[match.group(2) or "B"] if match else 0
    if value < 1024:
        raise ValueError(f"expected a size of at least 1 KiB, as bytes or N KiB / MiB / GiB, got {text!r}")
    return value


def parse_duration(text: str) -> float:
    """Seconds: '1800', '90s', '30m', '2h'."""
    match = _DURATION.match(text)
    value = float(match.group(1)) * _PER[match.group(2) or "s"] if match else 0.0
    if value <= 0:
        raise ValueError(f"expected a duration such as 1800, 90s, 30m or 2h, got {text!r}")
    return value


def at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise ValueError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def parse_positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"must be > 0, got {value}")
    return value


def parse_flag(text: str) -> bool:
    return text.lower() in {"1", "true", "yes"}


def parse_secret(text: str) -> str | None:
    """Trimmed (a secret store often adds a newline, which requests would print in its error); the
    value is never echoed."""
    value = text.strip()
    if _BAD_SECRET.search(value):
        raise ValueError("contains whitespace or control characters")
    if value and len(value) < MIN_SECRET_LENGTH:
        # Every output is scrubbed of the secret: a secret of a few characters would blank out
        # those characters everywhere, and no real token, AK or SK is that short.
        raise ValueError(
            f"{len(value)} characters long; a real one has at least {MIN_SECRET_LENGTH}: is it set to the right value?"
        )
    return value or None


def parse_path_segment(value: str) -> str:
    """`value` when it is one safe path segment: the suite and schemathesis both put it in the path."""
    if value in {".", ".."}:
        raise ValueError(f"{value!r} is not a project id (it would climb the URL path)")
    bad = _UNSAFE_IN_SEGMENT.search(value)
    if bad is not None:
        raise ValueError(
            "a project id is one URL path segment, without '/', '\\', '?', '#', '%', whitespace or "
            f"control characters; got {bad.group()!r} at position {bad.start()} of {value!r}"
        )
    return value


def parse_base_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    if parts.username or parts.password:  # not echoed: user info is a credential
        raise ValueError("no user info (user:password@) allowed; credentials go in their own options")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"expected http(s)://host[:port][/prefix], got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"no query or fragment allowed in {parts.scheme}://{parts.netloc}{parts.path}")
    return url.rstrip("/")


def parse_file(path: str) -> str:
    if not os.path.isfile(path):
        raise ValueError(f"no such file {path!r}")
    return path


# -- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    name: str  # --name-with-dashes on the command line; the key of the options given
    env: str  # the environment variable; the command line wins over it
    help: str
    parse: Callable[[str], Any]  # the given text to the value
    default: Any = None  # the value when it is given nowhere
    field: str = ""  # the SuiteConfig field it fills, when not `name`
    command_line: bool = True  # False: environment only (a secret stays out of process lists)
    recorded: bool = False  # its value goes in the ledger's options record (never a secret's)

    @property
    def attribute(self) -> str:
        return self.field or self.name

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        """How a message names it: as the user can give it."""
        return f"{self.flag} ({self.env})" if self.command_line else self.env

    def text(self, given: object, env: Mapping[str, str]) -> str | None:
        """The text given for it: the command line's, else the environment's; None when neither."""
        if given is None or given == "":
            return env.get(self.env) or None
        return str(given)

    def read(self, given: object, env: Mapping[str, str]) -> Any:
        """Its value: the text given, parsed, or the default."""
        text = self.text(given, env)
        if text is None:
            return self.default
        try:
            return self.parse(text)
        except ValueError as exc:
            raise ConfigError(f"{self.label}: {exc}") from None


OPTIONS: tuple[Option, ...] = (
    Option(
        "base_url",
        "MODELARTS_BASE_URL",
        "base URL of the target, e.g. https://modelarts.eu-de.otc.t-systems.com (none: embedded server)",
        parse_base_url,
    ),
    Option(
        "project_id", "MODELARTS_PROJECT_ID", "project id whose image groups are listed", parse_path_segment
    ),
    Option(
        "auth_token",
        "MODELARTS_AUTH_TOKEN",
        "IAM token sent as X-Auth-Token (prefer the environment variable)",
        parse_secret,
    ),
    Option(
        "other_project_id",
        "MODELARTS_OTHER_PROJECT_ID",
        "a project the credentials may NOT read (default: a made-up id)",
        parse_path_segment,
    ),
    Option("ak", "HUAWEICLOUD_SDK_AK", "access key of AK/SK signing", parse_secret, command_line=False),
    Option("sk", "HUAWEICLOUD_SDK_SK", "secret key of AK/SK signing", parse_secret, command_line=False),
    Option(
        "security_token",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN",
        "security token of temporary AK/SK (sent and signed as X-Security-Token)",
        parse_secret,
        command_line=False,
    ),
    Option(
        "os_cloud",
        "OS_CLOUD",
        "the clouds.yaml entry to take credentials from (a password, or ak/sk keys); docs/staging.md, "
        "Credentials, gives the precedence",
        str,
    ),
    Option(
        "max_requests",
        "MODELARTS_MAX_REQUESTS",
        f"request budget for the whole run, retries and preflight included (default {DEFAULT_MAX_REQUESTS})",
        at_least(1),
        DEFAULT_MAX_REQUESTS,
        recorded=True,
    ),
    Option(
        "rate_limit",
        "MODELARTS_RATE_LIMIT",
        f"pace, e.g. 10/s or 300/m, or {NO_PACING} (default {DEFAULT_REMOTE_RATE_LIMIT} against a base URL, "
        f"{NO_PACING} embedded)",
        parse_rate,
        field="rate_per_second",
        recorded=True,
    ),
    Option(
        "request_timeout",
        "MODELARTS_REQUEST_TIMEOUT",
        f"seconds for each whole exchange: connect, headers and body (default {DEFAULT_TIMEOUT:g})",
        parse_positive_float,
        DEFAULT_TIMEOUT,
        field="timeout",
        recorded=True,
    ),
    Option(
        "max_response_bytes",
        "MODELARTS_MAX_RESPONSE_BYTES",
        "largest answer read, on the wire and decoded, e.g. 8MiB (default 8 MiB)",
        parse_size,
        DEFAULT_MAX_RESPONSE_BYTES,
        recorded=True,
    ),
    Option(
        "max_duration",
        "MODELARTS_MAX_DURATION",
        "time limit of the run, e.g. 1800, 30m or 2h; then it stops with what it checked, exit 7 (default 30m)",
        parse_duration,
        DEFAULT_MAX_DURATION,
        recorded=True,
    ),
    Option(
        "ca_bundle",
        "MODELARTS_CA_BUNDLE",
        "CA bundle file for TLS verification (verification is always on)",
        parse_file,
    ),
    Option(
        "seed",
        "MODELARTS_SEED",
        f"seed of the request generation: same seed, same requests (default {DEFAULT_SEED})",
        at_least(0),
        DEFAULT_SEED,
    ),
    Option(
        "max_examples",
        "MODELARTS_MAX_EXAMPLES",
        f"generated examples per generation phase (default {DEFAULT_MAX_EXAMPLES})",
        at_least(1),
        DEFAULT_MAX_EXAMPLES,
        recorded=True,
    ),
    Option(
        "strict_fields",
        "MODELARTS_STRICT_FIELDS",
        "report undocumented response fields (R8 allows them)",
        parse_flag,
        False,
        field="strict",
        recorded=True,
    ),
    Option(
        "reference_variant",
        "MODELARTS_REFERENCE_VARIANT",
        "embedded server only: serve this variant of the reference instead, e.g. a mutant such as "
        "pages-rounded-down, to see what a failure looks like",
        str,
    ),
)
OPTION = {option.name: option for option in OPTIONS}
ENVIRONMENT = {option.name: option.env for option in OPTIONS}  # option name -> environment variable
