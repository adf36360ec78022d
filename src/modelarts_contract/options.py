"""The suite's options, one row each: name, environment variable, help, parser and default.

The table feeds the pytest command line (`pytest_plugin.pytest_addoption`), the config
(`SuiteConfig.from_sources` reads and parses every row, the command line over the environment) and
the ledger (the rows marked `recorded`). An option is one row here and the typed `SuiteConfig` field
it fills (`tests/self/test_config.py` checks that the two agree). Rules that tie options together
(a base URL needs a project id and credentials, ...) live in `config.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modelarts_contract.parsing import (
    NO_PACING,
    at_least,
    parse_base_url,
    parse_duration,
    parse_file,
    parse_flag,
    parse_path_segment,
    parse_positive_float,
    parse_secret,
    parse_size,
)
from modelarts_contract.parsing import parse_rate as parse_rate  # re-exported: the config's default pace


class ConfigError(ValueError):
    """A usage error: the message names the option and the environment variable."""


DEFAULT_MAX_REQUESTS = 2000
DEFAULT_REMOTE_RATE_LIMIT = "10/s"
DEFAULT_TIMEOUT = 10.0  # seconds for one whole exchange: connect, headers and body
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a 1,000-group page of the live service is well under 1 MiB
DEFAULT_MAX_DURATION = 30 * 60.0  # seconds: a run fits a CI job's usual time limit
DEFAULT_SEED = 20240618
DEFAULT_MAX_EXAMPLES = 60
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
    switch: bool = False  # on the command line a flag without a value (its variable takes 1/true/yes)
    metavar: str = ""  # how the help names its value (FILE, DIR, SECONDS)

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
    Option(
        "report_dir",
        "MODELARTS_REPORT_DIR",
        "write ledger.json and the conformance report (conformance.md, conformance.html) here",
        str,
        metavar="DIR",
    ),
    Option(
        "baseline",
        "MODELARTS_BASELINE",
        "YAML file of known breakage (clause, reason, link, expires): a known clause that breaks is "
        "reported as known, not failed; exit 1 only for new breakage or an expired entry",
        str,
        metavar="FILE",
    ),
    Option(
        "baseline_update",
        "MODELARTS_BASELINE_UPDATE",
        "write this run's broken clauses into the --baseline file, keeping the reasons",
        parse_flag,
        False,
        switch=True,
    ),
    Option(
        "max_response_time",
        "MODELARTS_MAX_RESPONSE_TIME",
        "your service-level objective: an answer slower than this fails SLO.response-time, a clause "
        "of its own, not of the contract (default: off)",
        parse_duration,
        metavar="SECONDS",
    ),
    Option(
        "record",
        "MODELARTS_RECORD",
        "write every exchange of the run, credentials redacted, to FILE as HAR 1.2",
        str,
        metavar="FILE",
    ),
    Option(
        "replay",
        "MODELARTS_REPLAY",
        "answer the run from a --record FILE instead of the network (no request is sent)",
        str,
        metavar="FILE",
    ),
)
OPTION = {option.name: option for option in OPTIONS}
ENVIRONMENT = {option.name: option.env for option in OPTIONS}  # option name -> environment variable
