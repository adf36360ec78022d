"""What the credential sources resolve to: one frozen value the rest of the suite uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelarts_contract.parsing import parse_secret

# Auth modes, as the header and the ledger name them.
TOKEN = "token"
PASSWORD = "password (IAM token)"
AKSK = "AK/SK"
TEMPORARY_AKSK = "temporary AK/SK (security token)"


class CredentialsError(ValueError):
    """A credential source is unusable: the message names the file, entry and key (exit 4)."""


class IamError(Exception):
    """IAM refused or could not be reached: one line, never a secret (exit 6)."""


@dataclass(frozen=True)
class PasswordLogin:
    """A password login to IAM (`POST {auth_url}/auth/tokens`), scoped to one project."""

    auth_url: str
    user_name: str
    password: str = field(repr=False)
    user_domain_name: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    where: str = ""  # the file and entry it came from, for messages


@dataclass(frozen=True)
class Credentials:
    """The credentials in force and where they came from (`source` never holds a value)."""

    mode: str
    source: str
    token: str | None = field(default=None, repr=False)
    ak: str | None = field(default=None, repr=False)
    sk: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    login: PasswordLogin | None = field(default=None, repr=False)
    project_id: str | None = None  # the project the source names, if any

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in any output."""
        password = self.login.password if self.login else None
        values = (self.token, self.ak, self.sk, self.security_token, password)
        return tuple(v for v in values if v)


def config_fields(creds: Credentials | None) -> dict[str, Any]:
    """The fields of the suite's config (config.SuiteConfig) that the credentials in force fill in."""
    if creds is None:
        return {}
    return {
        "auth_token": creds.token,
        "ak": creds.ak,
        "sk": creds.sk,
        "security_token": creds.security_token,
        "login": creds.login,
        "credential_source": creds.source,
        "auth_kind": creds.mode,
    }


def checked_secret(label: str, value: object) -> str | None:
    """`value` as a secret, checked as the option table checks one (`parsing.parse_secret`):
    stripped of a secret store's newline; None when empty."""
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise CredentialsError(f"{label}: expected a string, got {type(value).__name__}")
    try:
        return parse_secret(str(value))
    except ValueError as exc:
        raise CredentialsError(f"{label}: {exc}") from None
