"""Credentials for the target: an IAM token (X-Auth-Token) or an AK/SK signature.

Both are `requests` auth objects set on the transport's session, so every request, whoever builds
it (schemathesis or a relation check), carries exactly the configured credentials and nothing the
generator made up for the security schemes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

TOKEN_HEADER = "X-Auth-Token"
SECURITY_TOKEN_HEADER = "X-Security-Token"  # temporary AK/SK: sent and signed with the rest
SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
AUTH_HEADERS = (TOKEN_HEADER, "Authorization", "X-Sdk-Date", SECURITY_TOKEN_HEADER)
EXPIRED_MARK = b"expired"  # in a 401's body: the token ran out (renewed once, then re-sent)


class _Keys(NamedTuple):
    """What Signer reads. Not BasicCredentials: importing that module writes $HOME/.huaweicloud."""

    ak: str
    sk: str


def _strip(request: requests.PreparedRequest) -> None:
    for name in AUTH_HEADERS:
        request.headers.pop(name, None)


class NoAuth(requests.auth.AuthBase):
    """Sends no credentials at all (used by the R1 checks)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _strip(request)
        return request


class TokenAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:  # never show the token
        return "TokenAuth(<redacted>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _strip(request)
        request.headers[TOKEN_HEADER] = self._token
        return request


class TokenSource(Protocol):
    """The run's IAM token, renewed as it runs out (credentials.iam.TokenKeeper is one)."""

    def current(self) -> str: ...

    def expired(self, token: str | None) -> bool: ...


class RenewingTokenAuth(requests.auth.AuthBase):
    """X-Auth-Token from a source that renews it; a 401 that says the token expired is re-sent once
    with the new one (through the same adapter, so the transport's rules and budget still hold)."""

    def __init__(self, source: TokenSource) -> None:
        self._source = source

    def __repr__(self) -> str:
        return "RenewingTokenAuth(<redacted>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _strip(request)
        request.headers[TOKEN_HEADER] = self._source.current()
        request.hooks.setdefault("response", []).append(self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        said_expired = EXPIRED_MARK in response.content[:4096].lower()
        sent = response.request.headers.get(TOKEN_HEADER)
        if response.status_code != 401 or not said_expired or not self._source.expired(sent):
            return response
        again = response.request.copy()
        again.headers[TOKEN_HEADER] = self._source.current()
        again.hooks = {"response": []}  # once only
        retried: requests.Response = response.connection.send(again, **kwargs)
        retried.history.insert(0, response)
        return retried


class AkSkAuth(requests.auth.AuthBase):
    """Signs each request the way huaweicloudsdkcore's Signer signs the SDK's own requests; with a
    security token (temporary AK/SK) it adds X-Security-Token before signing, as the SDK's
    BasicCredentials.sign_request does, so the header is signed with the rest."""

    def __init__(
        self,
        ak: str,
        sk: str,
        project_id: str | None,
        signed_at: datetime | None = None,
        signed_query: str | None = None,
        security_token: str | None = None,
    ) -> None:
        self._signer = Signer(_Keys(ak, sk))
        self._project_id = project_id
        self._signed_at = signed_at  # None: now. A fixed moment makes a stale signature for R1 checks.
        self._signed_query = signed_query  # None: the query as sent. Another makes an R1 near-miss.
        self._security_token = security_token

    def __repr__(self) -> str:
        return "AkSkAuth(<redacted>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _strip(request)
        parts = urlsplit(request.url or "")
        headers = {"Host": parts.netloc}
        if self._project_id:
            headers["X-Project-Id"] = self._project_id
        if self._security_token:
            headers[SECURITY_TOKEN_HEADER] = self._security_token
        if self._signed_at is not None:  # Signer keeps an X-Sdk-Date it is given
            headers["X-Sdk-Date"] = self._signed_at.astimezone(UTC).strftime(SDK_DATE_FORMAT)
        sdk_request = SdkRequest(
            method=request.method or "GET",
            schema=parts.scheme,
            host=parts.netloc,
            resource_path=unquote(parts.path),
            query_params=parse_qsl(
                parts.query if self._signed_query is None else self._signed_query, keep_blank_values=True
            ),
            header_params=headers,
            body="",
        )
        signed = self._signer.sign(sdk_request).header_params
        for name in ("Authorization", "X-Sdk-Date", "X-Project-Id", SECURITY_TOKEN_HEADER):
            if name in signed:
                request.headers[name] = signed[name]
        return request


class HeadersAuth(requests.auth.AuthBase):
    """Sends exactly these credential headers (an R1 near-miss), whatever the session's auth is."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def __repr__(self) -> str:
        return "HeadersAuth(<redacted>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _strip(request)
        request.headers.update(self._headers)
        return request


def auth_for(
    token: str | None,
    ak: str | None,
    sk: str | None,
    project_id: str | None,
    security_token: str | None = None,
) -> requests.auth.AuthBase:
    if ak and sk:
        return AkSkAuth(ak, sk, project_id, security_token=security_token)
    if token:
        return TokenAuth(token)
    return NoAuth()
