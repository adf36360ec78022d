"""The IAM token client: the one request the suite sends that is not a GET.

`POST {auth_url}/auth/tokens?nocatalog=true` with the password method, scoped to the project,
answered 201 with the token in `X-Subject-Token` and `token.expires_at` (and `token.project.id`) in
the body. Bounded like every request of the suite (the transport's deadline and byte cap, no
redirect, one retry on 5xx or 429 with Retry-After capped) and counted apart from the target's
budget. Nothing IAM says is echoed: its body may quote the password back.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from modelarts_contract.auth import RenewingTokenAuth
from modelarts_contract.meter import Meter
from modelarts_contract.stops import TargetUnreachable
from modelarts_contract.transport import Guard, Limits
from modelarts_contract.wire import retry_after_seconds

from .model import IamError, PasswordLogin

TOKEN_PATH = "/auth/tokens"
MAX_IAM_BYTES = 1 << 20  # a token answer without its catalogue is a few KiB
MAX_ATTEMPTS = 2  # one retry on 5xx or 429
MAX_RETRY_WAIT = 10.0  # seconds; a longer Retry-After is capped
DEFAULT_RETRY_WAIT = 1.0  # seconds, for a 5xx without Retry-After
_PROJECT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
RENEW_MARGIN = 300.0  # seconds before expiry a token is renewed (at most a quarter of its life)


@dataclass(frozen=True)
class IssuedToken:
    token: str = field(repr=False)
    expires_at: float  # seconds since the epoch
    issued_at: float
    project_id: str | None

    def as_dict(self) -> dict[str, Any]:  # for xdist's workerinput, never for an output
        return {
            "token": self.token,
            "expires_at": self.expires_at,
            "issued_at": self.issued_at,
            "project_id": self.project_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IssuedToken:
        return cls(
            str(data["token"]), float(data["expires_at"]), float(data["issued_at"]), data["project_id"]
        )


def password_body(login: PasswordLogin) -> dict[str, Any]:
    user: dict[str, Any] = {"name": login.user_name, "password": login.password}
    if login.user_domain_id:
        user["domain"] = {"id": login.user_domain_id}
    elif login.user_domain_name:
        user["domain"] = {"name": login.user_domain_name}
    project = {"id": login.project_id} if login.project_id else {"name": login.project_name}
    identity = {"methods": ["password"], "password": {"user": user}}
    return {"auth": {"identity": identity, "scope": {"project": project}}}


class IamClient:
    def __init__(
        self,
        login: PasswordLogin,
        *,
        timeout: float,
        verify: bool | str = True,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.login = login
        self.url = login.auth_url + TOKEN_PATH
        self._verify = verify
        self._sleep = sleep
        limits = Limits(timeout=timeout, max_body_bytes=MAX_IAM_BYTES)
        self._guard = Guard(self.url, Meter(MAX_ATTEMPTS * 8), limits)  # its own count, not the target's
        self._timeout = timeout
        self.sent = 0  # IAM requests, counted apart from the target's budget

    def fetch(self) -> IssuedToken:
        """A new token; IamError with one line when IAM refuses, misbehaves or cannot be reached."""
        for attempt in range(MAX_ATTEMPTS):
            response = self._post()
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            again = response.status_code >= 500 or (response.status_code == 429 and wait is not None)
            if not again or attempt == MAX_ATTEMPTS - 1:
                return self._issued(response)
            self._sleep(min(MAX_RETRY_WAIT, DEFAULT_RETRY_WAIT if wait is None else wait))
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self) -> requests.Response:
        with requests.Session() as session:
            session.trust_env = False  # no proxy, no .netrc
            request = session.prepare_request(
                requests.Request(
                    "POST", self.url, params={"nocatalog": "true"}, json=password_body(self.login)
                )
            )
            self.sent += 1
            try:
                return self._guard.exchange(
                    lambda: session.send(
                        request,
                        stream=True,
                        allow_redirects=False,
                        timeout=self._timeout,
                        verify=self._verify,
                    )
                )
            except (TargetUnreachable, requests.RequestException) as exc:
                where = f"auth.auth_url of {self.login.where}"
                raise IamError(
                    f"IAM at {self.url} ({where}) could not be reached: {_first_line(exc)}"
                ) from None

    def _issued(self, response: requests.Response) -> IssuedToken:
        status, who = response.status_code, f"user {self.login.user_name!r} of {self.login.where}"
        if status == 401:
            raise IamError(
                f"IAM refused the password login ({status} from {self.url}) for {who}: wrong password, user or domain?"
            )
        if status not in (200, 201):
            what = "a redirect, not followed" if 300 <= status < 400 else "expected 201"
            raise IamError(f"IAM answered {status} to the password login at {self.url} ({what}) for {who}")
        token = response.headers.get("X-Subject-Token", "")
        if not token or any(ord(c) < 33 or ord(c) > 126 for c in token):
            raise IamError(f"IAM answered {status} at {self.url} without a usable X-Subject-Token header")
        body = _json(response.content)
        expires = _when(body.get("expires_at"))
        if expires is None:
            raise IamError(f"IAM answered {status} at {self.url} without a readable token.expires_at")
        project = body.get("project")
        project_id = project.get("id") if isinstance(project, dict) else None
        if not (isinstance(project_id, str) and _PROJECT_ID.fullmatch(project_id)):
            project_id = None  # absent, or not one plain path segment: --project-id must say it
        issued = _when(body.get("issued_at")) or time.time()
        return IssuedToken(token, expires, issued, project_id)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def _json(content: bytes) -> dict[str, Any]:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return {}
    token = document.get("token") if isinstance(document, dict) else None
    return token if isinstance(token, dict) else {}


def _when(value: object) -> float | None:
    """An ISO 8601 moment (`2026-12-05T16:55:31.123000Z`) as seconds since the epoch."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


class TokenKeeper:
    """The run's IAM token: fetched once, renewed before it expires, or once after a 401 that says
    it expired. `on_new` hears of every token, so that outputs are scrubbed of it."""

    def __init__(
        self,
        client: IamClient,
        issued: IssuedToken,
        on_new: Callable[[str], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._on_new, self._clock = client, on_new, clock
        self._lock = threading.Lock()
        self._from_401: str | None = None  # a token got after a 401: no second renewal for it
        self._take(issued)

    def _take(self, issued: IssuedToken) -> None:
        self._on_new(issued.token)
        self._issued = issued
        life = max(0.0, issued.expires_at - issued.issued_at)
        self._renew_at = issued.expires_at - min(RENEW_MARGIN, life / 4)

    @property
    def issued(self) -> IssuedToken:
        return self._issued

    def current(self) -> str:
        with self._lock:
            if self._clock() >= self._renew_at:
                self._renew()
            return self._issued.token

    def expired(self, token: str | None) -> bool:
        """The target said `token` expired: renew it once (True: a new one is ready)."""
        with self._lock:
            if token != self._issued.token:
                return token is not None  # already renewed since it was sent
            if token == self._from_401:
                return False  # a fresh token called expired: renewing again would not help
            self._renew()
            self._from_401 = self._issued.token
            return True

    def _renew(self) -> None:
        try:
            self._take(self._client.fetch())
        except IamError as exc:  # mid-run: the target can no longer be used (exit 6)
            raise TargetUnreachable(f"renewing the IAM token failed: {exc}") from None


class RunToken:
    """Password auth for one run: one token (under xdist the controller's, handed over in
    `workerinput`), renewed as it runs out; `on_new` hears of every token it gets."""

    def __init__(
        self,
        login: PasswordLogin,
        handed_over: dict[str, Any] | None,
        timeout: float,
        verify: bool | str,
        on_new: Callable[[str], None],
    ) -> None:
        self._login, self._handed_over = login, handed_over or {}
        self._timeout, self._verify, self._on_new = timeout, verify, on_new
        self._keeper: TokenKeeper | None = None

    def keeper(self) -> TokenKeeper:
        """The token's keeper, fetching the token on first use; IamError when IAM gave none."""
        if self._keeper is None:
            if "iam_problem" in self._handed_over:
                raise IamError(self._handed_over["iam_problem"])
            client = IamClient(self._login, timeout=self._timeout, verify=self._verify)
            given = self._handed_over.get("iam_token")
            issued = IssuedToken.from_dict(given) if given else client.fetch()
            self._keeper = TokenKeeper(client, issued, self._on_new)
        return self._keeper

    def for_target(self, project_id: str | None) -> tuple[RenewingTokenAuth, str, str]:
        """The target's auth, its project (`project_id` as given, else the token's) and the first
        token (the R1 near misses are derived from it); IamError when IAM gave none."""
        keeper = self.keeper()
        project_id = project_id or keeper.issued.project_id
        if project_id is None:
            raise IamError("IAM's token names no project (token.project.id): give --project-id")
        return RenewingTokenAuth(keeper), project_id, keeper.issued.token

    def for_workers(self, scrub: Callable[[str], str]) -> dict[str, Any]:
        """What the xdist controller hands each worker: the token, or why IAM gave none (scrubbed)."""
        try:
            return {"iam_token": self.keeper().issued.as_dict()}
        except IamError as exc:
            return {"iam_problem": scrub(str(exc))}
