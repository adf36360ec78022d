"""clouds.yaml (and secure.yaml merged over it), found and read as openstacksdk's config loader does.

Search order (openstacksdk `openstack/config/loader.py`): the file `OS_CLIENT_CONFIG_FILE` names
first, then `clouds.yaml`, `clouds.yml`, `clouds.json` in the current directory,
`~/.config/openstack` and `/etc/openstack`; the first that exists wins. `secure.yaml` is found the
same way (`OS_CLIENT_SECURE_FILE` first) and deep-merged over it, its values winning. Vendor
profiles (`profile: otc`) are not read: the entry must give `auth.auth_url`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from modelarts_contract.contract.document import SAFE_LOADER
from modelarts_contract.parsing import is_loopback_host

from .model import (
    AKSK,
    PASSWORD,
    TEMPORARY_AKSK,
    Credentials,
    CredentialsError,
    PasswordLogin,
    checked_secret,
)

CLOUD_VARIABLE = "OS_CLOUD"
CONFIG_VARIABLE = "OS_CLIENT_CONFIG_FILE"
SECURE_VARIABLE = "OS_CLIENT_SECURE_FILE"
SUFFIXES = (".yaml", ".yml", ".json")
SITE_DIRECTORY = Path("/etc/openstack")
MAX_FILE_BYTES = 1 << 20


def search_paths(stem: str, variable: str, env: Mapping[str, str], cwd: Path, home: Path) -> list[Path]:
    """Where openstacksdk looks for `stem` (clouds or secure), in its order."""
    directories = (cwd, home / ".config" / "openstack", SITE_DIRECTORY)
    named = [Path(env[variable]).expanduser()] if env.get(variable) else []
    return named + [d / f"{stem}{suffix}" for d in directories for suffix in SUFFIXES]


def _load(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CredentialsError(f"{path}: larger than {MAX_FILE_BYTES} bytes, not a clouds file")
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (yaml.YAMLError, UnicodeError, OSError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise CredentialsError(f"{path} does not parse as YAML{at} ({type(exc).__name__})") from None
    if document is None:
        return {}
    clouds = document.get("clouds", {}) if isinstance(document, dict) else None
    if not isinstance(clouds, dict):
        raise CredentialsError(f"{path}: expected a mapping with a 'clouds' mapping at the top")
    return {"clouds": clouds}


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        old = result.get(key)
        result[key] = _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return result


def load_cloud(name: str, env: Mapping[str, str], cwd: Path, home: Path) -> Credentials:
    """The credentials of cloud `name`; CredentialsError names the file, the entry and the key."""
    clouds_paths = search_paths("clouds", CONFIG_VARIABLE, env, cwd, home)
    clouds_file = next((p for p in clouds_paths if p.is_file()), None)
    if clouds_file is None:
        looked = ", ".join(str(p) for p in clouds_paths if p.suffix != ".yml" and p.suffix != ".json")
        raise CredentialsError(
            f"cloud {name!r} ({CLOUD_VARIABLE}): no clouds.yaml found (looked in {looked})"
        )
    config = _load(clouds_file)
    secure_file = next(
        (p for p in search_paths("secure", SECURE_VARIABLE, env, cwd, home) if p.is_file()), None
    )
    if secure_file is not None:
        config = _merged(config, _load(secure_file))
    entry = config["clouds"].get(name)
    where = f"{clouds_file}" + (f" (+ {secure_file})" if secure_file else "") + f", cloud {name!r}"
    if entry is None:
        known = ", ".join(repr(str(k)) for k in sorted(config["clouds"], key=str)) or "none"
        raise CredentialsError(f"{where}: no such cloud (clouds there: {known})")
    if not isinstance(entry, dict):
        raise CredentialsError(f"{where}: the entry is not a mapping")
    return entry_credentials(entry, where)


def _text(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise CredentialsError(f"{where}: {key} must be a string")
    return str(value)


def entry_credentials(entry: Mapping[str, Any], where: str) -> Credentials:
    """Keys (`ak`, `sk`, `security_token`, in the entry or its `auth`) win over a password login."""
    auth = entry.get("auth") or {}
    if not isinstance(auth, dict):
        raise CredentialsError(f"{where}: auth must be a mapping")
    project_id = _text(auth, "project_id", f"{where} auth") or _text(entry, "project_id", where)
    keys = {
        k: (k, entry[k]) if k in entry else (f"auth.{k}", auth.get(k)) for k in ("ak", "sk", "security_token")
    }
    ak, sk, token = (checked_secret(f"{where}: {label}", value) for label, value in keys.values())
    if ak or sk:
        if not (ak and sk):
            raise CredentialsError(
                f"{where}: {'sk' if ak else 'ak'} is missing ({'ak' if ak else 'sk'} needs it)"
            )
        mode = TEMPORARY_AKSK if token else AKSK
        source = f"clouds.yaml {where}"
        return Credentials(mode, source, ak=ak, sk=sk, security_token=token, project_id=project_id)
    if auth.get("password") is None:
        raise CredentialsError(
            f"{where}: neither auth.password (with auth.username, auth.auth_url) nor ak and sk keys "
            f"(a password kept in secure.yaml: {SECURE_VARIABLE} names it, or it sits beside clouds.yaml's places)"
        )
    return Credentials(PASSWORD, f"clouds.yaml {where}", login=_login(auth, where), project_id=project_id)


def _login(auth: Mapping[str, Any], where: str) -> PasswordLogin:
    password = checked_secret(f"{where}: auth.password", auth.get("password"))
    user = _text(auth, "username", f"{where} auth") or _text(auth, "user_name", f"{where} auth")
    url = _text(auth, "auth_url", f"{where} auth")
    for key, value in (("password", password), ("username", user), ("auth_url", url)):
        if not value:
            raise CredentialsError(f"{where}: auth.{key} is missing (a password login needs it)")
    assert password and user and url  # checked just above
    project_id, project_name = _text(auth, "project_id", where), _text(auth, "project_name", where)
    if not (project_id or project_name):
        raise CredentialsError(
            f"{where}: auth.project_name or auth.project_id is missing (IAM scopes the token to it)"
        )
    return PasswordLogin(
        auth_url=iam_url(url, f"{where}: auth.auth_url"),
        user_name=user,
        password=password,
        user_domain_name=_text(auth, "user_domain_name", where) or _text(auth, "domain_name", where),
        user_domain_id=_text(auth, "user_domain_id", where) or _text(auth, "domain_id", where),
        project_id=project_id,
        project_name=project_name,
        where=where,
    )


def iam_url(url: str, label: str) -> str:
    """The IAM v3 endpoint: https, or http to a loopback host (a local stand-in); no user info."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise CredentialsError(f"{label}: not a URL") from None
    if parts.username or parts.password or parts.query or parts.fragment or not parts.hostname:
        raise CredentialsError(
            f"{label}: expected https://host[:port]/v3, without user info, query or fragment"
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback_host(parts.hostname)):
        raise CredentialsError(
            f"{label}: {parts.scheme}://{parts.hostname} would send the password in clear: IAM is reached "
            "over https (plain http only to a loopback stand-in)"
        )
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path if path else '/v3'}"
