"""A local IAM stand-in: password tokens and temporary AK/SK, and the register of what it issued,
which the reference asks when it checks a request's credentials.

- `POST /v3/auth/tokens` (password method, scoped to a project by id or name): 201, the token in
  `X-Subject-Token`, `token.expires_at`, `token.issued_at` and `token.project` in the body; a wrong
  user, password or domain: 401.
- `POST /v3.0/OS-CREDENTIAL/securitytokens` (token method, `X-Auth-Token` of an issued token):
  201 with `credential.access`, `secret`, `securitytoken`, `expires_at`.
The reference then accepts the issued tokens, and the temporary keys with their security token
signed in (missing, unknown or expired: 401), until they expire.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from .data import Credentials

USER_NAME = "reference-user"
USER_PASSWORD = "iampass-7Qm2Xv9Lk4Zr8Wd"  # distinctive: tests grep outputs for it
USER_DOMAIN = "reference-domain"
TOKEN_LIFETIME = 24 * 3600.0  # seconds, as IAM's
KEYS_LIFETIME = 3600.0  # seconds; IAM allows 15 minutes to 24 hours
MAX_BODY = 64 * 1024
TOKENS_PATH = "/v3/auth/tokens"
SECURITY_TOKENS_PATH = "/v3.0/OS-CREDENTIAL/securitytokens"


def project_name(index: int) -> str:
    """The name of the dataset's project number `index` (IAM scopes by id or name)."""
    return "eu-de" if index == 0 else f"eu-de_project{index}"


@dataclass(frozen=True)
class TemporaryKeys:
    credentials: Credentials  # project id, ak, sk (no token)
    security_token: str
    expires_at: float


class Issuer:
    """What the stand-in issued, for the reference to check against (thread-safe)."""

    def __init__(self, projects: Iterable[Credentials], clock: Callable[[], float] = time.time) -> None:
        self.projects = list(projects)
        self.clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (project id, expires at)
        self._keys: dict[str, TemporaryKeys] = {}  # AK -> keys
        self._lock = threading.Lock()

    def issue_token(self, project_id: str, lifetime: float) -> tuple[str, float]:
        token = "refiam-" + secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = (project_id, self.clock() + lifetime)
        return token, self.clock() + lifetime

    def issue_keys(self, project_id: str, lifetime: float) -> TemporaryKeys:
        ak = "REFTMP" + secrets.token_hex(8).upper()
        creds = Credentials(project_id, "", ak, "reftmpsk-" + secrets.token_urlsafe(24))
        keys = TemporaryKeys(creds, "refsts-" + secrets.token_urlsafe(64), self.clock() + lifetime)
        with self._lock:
            self._keys[ak] = keys
        return keys

    def token_holder(self, token: str) -> tuple[Credentials | None, str]:
        """(the project the token was issued for, "") or (None, why it is refused)."""
        with self._lock:
            found = next(
                (v for k, v in self._tokens.items() if hmac.compare_digest(k.encode(), token.encode())), None
            )
        if found is None:
            return None, "Invalid token"
        if self.clock() >= found[1]:
            return None, "The token has expired"
        return Credentials(found[0], token, "", ""), ""

    def temporary_keys(self) -> list[Credentials]:
        with self._lock:
            return [k.credentials for k in self._keys.values()]

    def security_token_problem(self, ak: str, given: str | None, signed: Iterable[str]) -> str | None:
        """Why a request signed with `ak` is refused for its security token, or None."""
        with self._lock:
            keys = self._keys.get(ak)
        if keys is None:
            return None  # permanent keys: no security token
        if not given:
            return "missing X-Security-Token (temporary AK/SK)"
        if "x-security-token" not in signed:
            return "X-Security-Token is not signed"
        if not hmac.compare_digest(keys.security_token.encode(), given.encode()):
            return "unknown security token"
        if self.clock() >= keys.expires_at:
            return "the security token has expired"
        return None


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


class IamApp:
    """The stand-in's WSGI app: one user, the dataset's projects."""

    def __init__(
        self,
        issuer: Issuer,
        user: tuple[str, str, str] = (USER_NAME, USER_PASSWORD, USER_DOMAIN),
        token_lifetime: float = TOKEN_LIFETIME,
    ) -> None:
        self.issuer, self.user, self.token_lifetime = issuer, user, token_lifetime

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.method != "POST" or request.path not in (TOKENS_PATH, SECURITY_TOKENS_PATH):
            return _error(404, "Not found")
        if (request.content_length or 0) > MAX_BODY:
            return _error(413, "Request body too large")
        try:
            body = json.loads(request.get_data() or b"{}")
            auth = body["auth"]
        except (ValueError, KeyError, TypeError, RecursionError):
            return _error(400, "Malformed request body")
        if request.path == TOKENS_PATH:
            return self.password_token(auth)
        return self.temporary_keys(request, auth)

    def password_token(self, auth: Any) -> Response:
        try:
            user = auth["identity"]["password"]["user"]
            scope = auth["scope"]["project"]
            domain = user.get("domain", {}).get("name")
            given = (str(user["name"]), str(user["password"]), str(domain))
        except (KeyError, TypeError, AttributeError):
            return _error(400, "Malformed password authentication")
        if not all(
            hmac.compare_digest(a.encode(), b.encode()) for a, b in zip(given, self.user, strict=True)
        ):
            return _error(401, "The username or password is wrong.")
        project = self._project(scope)
        if project is None:
            return _error(401, "No such project in the scope")
        token, expires = self.issuer.issue_token(project[0], self.token_lifetime)
        body = {
            "token": {
                "expires_at": _iso(expires),
                "issued_at": _iso(self.issuer.clock()),
                "methods": ["password"],
                "project": {"id": project[0], "name": project[1], "domain": {"name": self.user[2]}},
                "user": {"name": self.user[0], "domain": {"name": self.user[2]}},
            }
        }
        response = Response(json.dumps(body), status=201, content_type="application/json")
        response.headers["X-Subject-Token"] = token
        return response

    def _project(self, scope: Any) -> tuple[str, str] | None:
        if not isinstance(scope, dict):
            return None
        for index, project in enumerate(self.issuer.projects):
            if scope.get("id") == project.project_id or scope.get("name") == project_name(index):
                return project.project_id, project_name(index)
        return None

    def temporary_keys(self, request: Request, auth: Any) -> Response:
        holder, why = self.issuer.token_holder(request.headers.get("X-Auth-Token", ""))
        if holder is None:
            return _error(401, why)
        try:
            duration = float(auth["identity"].get("token", {}).get("duration_seconds", 900))
        except (KeyError, TypeError, AttributeError, ValueError):
            return _error(400, "Malformed token authentication")
        if not 900 <= duration <= 24 * 3600:
            return _error(400, "duration_seconds must be between 900 and 86400")
        keys = self.issuer.issue_keys(holder.project_id, duration)
        credential = {
            "access": keys.credentials.ak,
            "secret": keys.credentials.sk,
            "securitytoken": keys.security_token,
            "expires_at": _iso(keys.expires_at),
        }
        return Response(json.dumps({"credential": credential}), status=201, content_type="application/json")


def _error(status: int, message: str) -> Response:
    body = {
        "error": {"code": status, "message": message, "title": "Unauthorized" if status == 401 else "Error"}
    }
    return Response(json.dumps(body), status=status, content_type="application/json")


def _mode_files(iam_url: str, main: Credentials, keys: TemporaryKeys) -> dict[str, str]:
    """The file of each credential mode, by name, for the dataset's first project."""
    tmp = keys.credentials
    password_auth = {"auth_url": f"{iam_url}/v3", "username": USER_NAME, "user_domain_name": USER_DOMAIN}
    clouds = {
        "reference-password": {"auth": {**password_auth, "project_name": project_name(0)}},
        "reference-temporary": {"auth": {"project_id": main.project_id}, "ak": tmp.ak, "sk": tmp.sk},
    }
    secure = {
        "reference-password": {"auth": {"password": USER_PASSWORD}},
        "reference-temporary": {"security_token": keys.security_token},
    }
    return {
        "clouds.yaml": json.dumps({"clouds": clouds}, indent=2),  # JSON is YAML
        "secure.yaml": json.dumps({"clouds": secure}, indent=2),
        "credentials": f"[basic]\nak = {tmp.ak}\nsk = {tmp.sk}\nsecurity_token = {keys.security_token}\n"
        f"project_id = {main.project_id}\n",
        "temporary.env": f"HUAWEICLOUD_SDK_AK={tmp.ak}\nHUAWEICLOUD_SDK_SK={tmp.sk}\n"
        f"HUAWEICLOUD_SDK_SECURITY_TOKEN={keys.security_token}\nHUAWEICLOUD_SDK_PROJECT_ID={main.project_id}\n",
    }


def write_credentials(directory: Path, iam_url: str, issuer: Issuer) -> list[str]:
    """clouds.yaml (+ secure.yaml), an SDK credentials file and an env file of temporary keys for
    the dataset's first project, in `directory` (0600); the lines that say how to use each."""
    keys = issuer.issue_keys(issuer.projects[0].project_id, KEYS_LIFETIME)
    files = _mode_files(iam_url, issuer.projects[0], keys)
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = directory / name
        spare = path.with_name(f".{name}.tmp")
        spare.write_text(text, encoding="utf-8")
        spare.chmod(0o600)
        spare.replace(path)
    expires = _iso(keys.expires_at)
    files_env = (
        f"OS_CLIENT_CONFIG_FILE={directory / 'clouds.yaml'} OS_CLIENT_SECURE_FILE={directory / 'secure.yaml'}"
    )
    return [
        f"IAM stand-in on {iam_url}/v3 (user {USER_NAME}, domain {USER_DOMAIN}, password {USER_PASSWORD})",
        f"credentials for each mode in {directory} (temporary AK/SK valid until {expires}):",
        f"  password:        {files_env} ... --os-cloud reference-password",
        f"  temporary keys:  {files_env} ... --os-cloud reference-temporary",
        f"  the same, environment: env $(cat {directory / 'temporary.env'}) ...",
        f"  SDK file:        HUAWEICLOUD_SDK_CREDENTIALS_FILE={directory / 'credentials'} ...",
    ]
