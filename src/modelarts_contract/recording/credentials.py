"""Which credentials a request carried, as a label a recording may keep (never the secret itself).

The R1 tests send the same URL with different credentials; a replay tells their answers apart by this
label: "configured", "none", "other-token", "bad-signature", "stale-signature", "other-authorization".
The label is computed from the request and the run's own credentials, so a recording made with the
real ones and a replay made with stand-ins label the same requests alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from modelarts_contract.auth import SDK_DATE_FORMAT, TOKEN_HEADER, AkSkAuth

SIGNATURE_WINDOW = timedelta(minutes=15)  # R1: API Gateway's clock window
_SDK_SCHEME = "SDK-HMAC-SHA256"


class CredentialLabels:
    def __init__(self, token: str | None, ak: str | None, sk: str | None) -> None:
        self._token, self._ak, self._sk = token, ak, sk

    def label(self, request: requests.PreparedRequest) -> str:
        headers = request.headers
        token, authorization = headers.get(TOKEN_HEADER), headers.get("Authorization")
        if token is None and authorization is None:
            return "none"
        if token is not None:
            return "configured" if token == self._token else "other-token"
        assert authorization is not None  # neither missing: checked above
        if not authorization.startswith(_SDK_SCHEME):
            return "other-authorization"
        signed_at = _signed_at(headers)
        if not self._signs_alike(request, signed_at):
            return "bad-signature"
        if signed_at is None or abs(datetime.now(UTC) - signed_at) > SIGNATURE_WINDOW:
            return "stale-signature"
        return "configured"

    def _signs_alike(self, request: requests.PreparedRequest, signed_at: datetime | None) -> bool:
        """The request's signature is the one the run's own AK/SK make for it."""
        if not (self._ak and self._sk) or signed_at is None:
            return False
        again = request.copy()
        AkSkAuth(self._ak, self._sk, request.headers.get("X-Project-Id"), signed_at=signed_at)(again)
        return again.headers.get("Authorization") == request.headers.get("Authorization")


def _signed_at(headers: Mapping[str, str]) -> datetime | None:
    try:
        return datetime.strptime(headers.get("X-Sdk-Date", ""), SDK_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def path_and_query(url: str) -> tuple[str, str]:
    """The URL's path and its query, the parameters sorted (their order carries no meaning here)."""
    parts = urlsplit(url)
    pairs = sorted(parts.query.split("&")) if parts.query else []
    return parts.path, "&".join(pairs)
