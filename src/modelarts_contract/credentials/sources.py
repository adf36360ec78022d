"""Which credentials are in force, by precedence (docs/staging.md, "Credentials"):

1. the command line: `--auth-token` or `--os-cloud` (not both);
2. the environment: `MODELARTS_AUTH_TOKEN`, `HUAWEICLOUD_SDK_AK`/`_SK` (with
   `HUAWEICLOUD_SDK_SECURITY_TOKEN` for temporary keys), or `OS_CLOUD` (one of them);
3. the Huawei SDK's credentials file (`HUAWEICLOUD_SDK_CREDENTIALS_FILE`, default
   `~/.huaweicloud/credentials`, section `[basic]`).

The first level that gives anything decides; two sources on one level are a usage error, never a
silent choice. The project id: `--project-id` first, then what the source names
(`HUAWEICLOUD_SDK_PROJECT_ID` with the SDK's variables, `project_id` in its file or cloud entry),
then, with a password, the project of the token IAM issues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from .clouds import CLOUD_VARIABLE, load_cloud
from .model import AKSK, TEMPORARY_AKSK, TOKEN, Credentials, CredentialsError, checked_secret
from .sdk_file import read_sdk_file, sdk_file_path

TOKEN_VARIABLE = "MODELARTS_AUTH_TOKEN"
AK_VARIABLE = "HUAWEICLOUD_SDK_AK"
SK_VARIABLE = "HUAWEICLOUD_SDK_SK"
SECURITY_TOKEN_VARIABLE = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
PROJECT_VARIABLE = "HUAWEICLOUD_SDK_PROJECT_ID"
TOKEN_LABEL = f"--auth-token ({TOKEN_VARIABLE})"
CLOUD_LABEL = f"--os-cloud ({CLOUD_VARIABLE})"


@dataclass(frozen=True)
class Given:
    """What the command line and the environment hold (secrets already checked by config)."""

    token: str | None = field(default=None, repr=False)
    token_on_command_line: bool = False
    cloud: str | None = None
    cloud_on_command_line: bool = False
    ak: str | None = field(default=None, repr=False)
    sk: str | None = field(default=None, repr=False)


def for_target(given: Given, env: Mapping[str, str], base_url: str | None) -> Credentials | None:
    """The credentials in force for a target given by URL; for the embedded server (no URL, it has
    credentials of its own) only the environment's token or keys, and no file is read."""
    if base_url is None and given.cloud:
        raise CredentialsError(f"{CLOUD_LABEL} is for a target given by --base-url (MODELARTS_BASE_URL)")
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    creds = resolve(given, env, Path.cwd(), home, files=base_url is not None)
    login = creds.login if creds else None
    if login is not None and base_url is not None and _origin(login.auth_url) == _origin(base_url):
        raise CredentialsError(
            f"{login.where}: auth.auth_url is the target's own origin: the suite sends only GET to the "
            "target, and its one POST to IAM"
        )
    return creds


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return (
        parts.scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(parts.scheme),
    )


def resolve(
    given: Given, env: Mapping[str, str], cwd: Path, home: Path, files: bool = True
) -> Credentials | None:
    """The credentials in force, or None when nothing gives any. `files`: read the SDK's file."""
    if given.token_on_command_line and given.cloud_on_command_line:
        raise CredentialsError(f"give either {TOKEN_LABEL} or {CLOUD_LABEL} on the command line, not both")
    if given.token_on_command_line:
        return Credentials(TOKEN, "option --auth-token", token=given.token)
    if given.cloud_on_command_line and given.cloud:
        return _cloud(given.cloud, "option --os-cloud", env, cwd, home)
    found = _environment(given, env, cwd, home)
    if found is not None or not files:
        return found
    from_file = read_sdk_file(*sdk_file_path(env, home))
    if from_file is not None and from_file.project_id is None:  # the SDK's variable fills the gap
        from_file = replace(from_file, project_id=env.get(PROJECT_VARIABLE) or None)
    return from_file


def _environment(given: Given, env: Mapping[str, str], cwd: Path, home: Path) -> Credentials | None:
    keys = bool(given.ak or given.sk)
    named = [
        n
        for n, present in ((TOKEN_VARIABLE, given.token), ("AK/SK", keys), (CLOUD_VARIABLE, given.cloud))
        if present
    ]
    if given.token and keys:  # the wording config has always used for this pair
        raise CredentialsError(
            f"give either {TOKEN_LABEL} or AK/SK ({AK_VARIABLE} and {SK_VARIABLE}), not both"
        )
    if len(named) > 1:
        raise CredentialsError(
            f"the environment gives {' and '.join(named)}: give one credential source, not both"
        )
    if given.token:
        return Credentials(TOKEN, f"environment {TOKEN_VARIABLE}", token=given.token)
    if keys:
        if not (given.ak and given.sk):
            given_name, missing = (AK_VARIABLE, SK_VARIABLE) if given.ak else (SK_VARIABLE, AK_VARIABLE)
            raise CredentialsError(f"{missing} is missing: {given_name} needs it (AK/SK)")
        security = checked_secret(SECURITY_TOKEN_VARIABLE, env.get(SECURITY_TOKEN_VARIABLE))
        variables = f"{AK_VARIABLE}/{SK_VARIABLE}" + (f"/{SECURITY_TOKEN_VARIABLE}" if security else "")
        return Credentials(
            TEMPORARY_AKSK if security else AKSK,
            f"environment {variables}",
            ak=given.ak,
            sk=given.sk,
            security_token=security,
            project_id=env.get(PROJECT_VARIABLE) or None,
        )
    if given.cloud:
        return _cloud(given.cloud, f"environment {CLOUD_VARIABLE}", env, cwd, home)
    return None


def _cloud(name: str, how: str, env: Mapping[str, str], cwd: Path, home: Path) -> Credentials:
    found = load_cloud(name, env, cwd, home)
    return replace(found, source=f"{how}: {found.source}")
