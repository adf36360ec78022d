"""Credentials for the target: an IAM token (X-Auth-Token) or an AK/SK signature.

Both are `requests` auth objects set on the transport's session, so every request, whoever builds
it (schemathesis or a relation check), carries exactly the configured credentials and nothing the
generator made up for the security schemes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

TOKEN_HEADER = "X-Auth-Token"
SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
AUTH_HEADERS = (TOKEN_HEADER, "Authorization", "X-Sdk-Date")


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


class AkSkAuth(requests.auth.AuthBase):
    """Signs each request the way huaweicloudsdkcore's Signer signs the SDK's own requests."""

    def __init__(
        self,
        ak: str,
        sk: str,
        project_id: str | None,
        signed_at: datetime | None = None,
        signed_query: str | None = None,
    ) -> None:
        self._signer = Signer(_Keys(ak, sk))
        self._project_id = project_id
        self._signed_at = signed_at  # None: now. A fixed moment makes a stale signature for R1 checks.
        self._signed_query = signed_query  # None: the query as sent. Another makes an R1 near-miss.

    def __repr__(self) -> str:
        return "AkSkAuth(<redacted>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _strip(request)
        parts = urlsplit(request.url or "")
        headers = {"Host": parts.netloc}
        if self._project_id:
            headers["X-Project-Id"] = self._project_id
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
        for name in ("Authorization", "X-Sdk-Date", "X-Project-Id"):
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
    token: str | None, ak: str | None, sk: str | None, project_id: str | None
) -> requests.auth.AuthBase:
    if ak and sk:
        return AkSkAuth(ak, sk, project_id)
    if token:
        return TokenAuth(token)
    return NoAuth()
