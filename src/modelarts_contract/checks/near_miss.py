"""R1 near misses: credentials that differ from the configured ones by what a careless comparison
overlooks get 401, each on a URL that has just answered 200 with the configured credentials (so a
cache that answers before authenticating shows), and anything but 200 on the project they may not
read. About a dozen requests: a staging IAM must not see a brute force.

The near-miss values come from `modelarts_contract.near_miss` (the Redactor knows them all). A token
near-miss's reproduction rebuilds it from $MODELARTS_AUTH_TOKEN in bash; an AK/SK one's is the
replay command, which signs validly: its expectation says which near-miss the request carried.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

import requests

from modelarts_contract.auth import SDK_DATE_FORMAT, AkSkAuth, HeadersAuth
from modelarts_contract.checks import auth
from modelarts_contract.checks.core import ClauseViolation, Exchange, Verifier, Violations
from modelarts_contract.checks.registry import Check, Scope, check, response_checks
from modelarts_contract.near_miss import token_near_misses, unknown_access_key
from modelarts_contract.redact import Redactor

OTHER_PROJECT_TRIES = 2  # near-misses also sent to the project the credentials may not read
FIRST_URL = {"limit": "2"}
SECOND_URL = {"limit": "2", "offset": "1"}
FUTURE = timedelta(minutes=30)  # twice API Gateway's 15-minute window, as the stale test's past
_SIGNATURE = re.compile(r"(Signature=)([0-9a-fA-F])")


class Credentials(Protocol):
    """The configured credentials the near-misses are derived from (`SuiteConfig` is one)."""

    @property
    def auth_mode(self) -> str: ...
    @property
    def auth_token(self) -> str | None: ...
    @property
    def ak(self) -> str | None: ...
    @property
    def sk(self) -> str | None: ...
    @property
    def other_project_id(self) -> str | None: ...


class Target(Protocol):
    """What the near-misses use of the target under test (`modelarts_contract.target.Target` is
    one), typed here: the checks sit below the wiring and never import it."""

    @property
    def config(self) -> Credentials: ...
    @property
    def project_id(self) -> str: ...
    @property
    def redactor(self) -> Redactor: ...
    @property
    def verifier(self) -> Verifier: ...

    def get(
        self,
        params: Mapping[str, str] | None = None,
        *,
        project_id: str | None = None,
        auth: requests.auth.AuthBase | None = None,
    ) -> Exchange: ...


@check("R1.invalid-credentials", scope=Scope.CREDENTIALS)
def not_let_in(v: Verifier, ex: Exchange) -> None:
    """A near-miss on a project the configured credentials may not read: 401, 403 or 404 alike."""
    v.holds(ex.status != 200, "anything but 200", f"status {ex.status}", ex)


@dataclass(frozen=True)
class NearMiss:
    label: str
    auth: requests.auth.AuthBase
    shell: tuple[str, ...] = ()  # curl -H arguments that rebuild it from the environment (tokens)


class _Judge:
    """Sends near-misses and judges each; fails once at the end with every clause they broke."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.first: dict[str, ClauseViolation] = {}
        self.broken_by: dict[str, list[str]] = {}

    def send(
        self,
        params: Mapping[str, str],
        expectation: Check[[Exchange]],
        miss: NearMiss | None = None,
        project_id: str | None = None,
    ) -> Exchange:
        target = self.target
        exchange = target.get(params, auth=miss.auth if miss else None, project_id=project_id)
        if miss is not None:
            exchange = _reproducible(target, exchange, miss)
        try:
            target.verifier.run_all([*response_checks(Scope.CREDENTIALS), expectation], exchange)
        except Violations as failure:
            for violation in failure.violations:
                self.first.setdefault(violation.clause.id, violation)
                self.broken_by.setdefault(violation.clause.id, []).append(
                    miss.label if miss else "the configured credentials"
                )
        return exchange

    def verdict(self) -> None:
        if self.first:
            notes = {cid: "(broken by: " + "; ".join(labels) + ")" for cid, labels in self.broken_by.items()}
            raise Violations(list(self.first.values()), notes)


def _reproducible(target: Target, exchange: Exchange, miss: NearMiss) -> Exchange:
    if miss.shell:
        shell = miss.shell

        def rebuilt() -> str:
            url = shlex.quote(target.redactor.text(exchange.url))
            return " ".join(["curl -sS -i", url, *(f"-H {h}" for h in shell)])

        return replace(exchange, command=rebuilt)
    return replace(
        exchange, command=lambda: f"{exchange.reproduce}  # signs validly; the near-miss was {miss.label}"
    )


def _token_misses(token: str) -> list[NearMiss]:
    return [NearMiss(m.label, HeadersAuth(dict(m.headers)), m.shell) for m in token_near_misses(token)]


def _signed_headers(exchange: Exchange) -> dict[str, str]:
    names = ("Authorization", "X-Sdk-Date", "X-Project-Id")
    return {name: value for name, value in exchange.request_headers.items() if name in names}


def _edited(headers: dict[str, str], label: str, **changes: str) -> NearMiss:
    return NearMiss(label, HeadersAuth({**headers, **changes}))


def _aksk_misses(target: Target, first: Exchange, second: Exchange) -> list[NearMiss]:
    """Near-misses of the second URL's request: the first URL's signature replayed on it, a signature
    without its query, a signed header and a signature digit changed, an unknown access key, a date
    outside the window."""
    config, project = target.config, target.project_id
    assert config.ak and config.sk
    signed = _signed_headers(second)
    date = datetime.strptime(signed.get("X-Sdk-Date", ""), SDK_DATE_FORMAT) + timedelta(seconds=1)
    digit = _SIGNATURE.sub(
        lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"), signed.get("Authorization", ""), count=1
    )
    return [
        NearMiss(
            f"the valid signature of {FIRST_URL} sent with {SECOND_URL}", HeadersAuth(_signed_headers(first))
        ),
        NearMiss(
            "a request signed without its query string",
            AkSkAuth(config.ak, config.sk, project, signed_query=""),
        ),
        _edited(
            signed,
            "X-Sdk-Date (a signed header) one second later than signed",
            **{"X-Sdk-Date": date.strftime(SDK_DATE_FORMAT)},
        ),
        _edited(signed, "the signature with its first hex digit changed", Authorization=digit),
        NearMiss(
            "an unknown access key, signed with the secret key",
            AkSkAuth(unknown_access_key(config.ak), config.sk, project),
        ),
        NearMiss(
            "X-Sdk-Date 30 minutes ahead",
            AkSkAuth(config.ak, config.sk, project, signed_at=datetime.now(UTC) + FUTURE),
        ),
    ]


def credential_near_misses(target: Target) -> None:
    """Good request(s) first, then the near-misses on the URL that just answered 200, then a few
    on the project the credentials may not read."""
    judge = _Judge(target)
    if target.config.auth_mode == "aksk":
        first = judge.send(FIRST_URL, auth.accepted)
        url, misses = SECOND_URL, _aksk_misses(target, first, judge.send(SECOND_URL, auth.accepted))
    else:
        assert target.config.auth_token
        judge.send(FIRST_URL, auth.accepted)
        url, misses = FIRST_URL, _token_misses(target.config.auth_token)
    for miss in misses:
        judge.send(url, auth.invalid_credentials, miss)
    other = target.config.other_project_id
    for miss in misses[:OTHER_PROJECT_TRIES] if other else ():
        judge.send(url, not_let_in, miss, project_id=other)
    judge.verdict()
