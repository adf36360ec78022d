"""AK/SK verification: re-sign the incoming request with the Huawei SDK's own signer and compare.

huaweicloudsdkcore has no verify API, so the server rebuilds an ``SdkRequest`` from what it received
(method, Host, raw path, decoded query, the SIGNED headers only, X-Sdk-Date included so the signer
keeps it), signs it with the SK of the claimed AK and compares signatures in constant time.
Only ``signer.signer`` and ``sdk_request`` are imported: ``auth.credentials`` writes $HOME/.huaweicloud.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from werkzeug.datastructures import Headers

from .data import Credentials

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW_SECONDS = 15 * 60

_AUTH_RE = re.compile(
    re.escape(ALGORITHM) + r"\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)\s*"
)


class SignatureError(Exception):
    """The request's AK/SK signature is missing, malformed, stale or wrong (message is safe to show)."""


@dataclass(frozen=True)
class SignedRequest:
    method: str
    host: str
    raw_path: str  # as sent, still percent-encoded
    query_string: str  # raw, as sent
    headers: Headers  # werkzeug's, as received: case-insensitive lookups
    body: bytes = b""


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """(access key, signed header names, signature) of an SDK-HMAC-SHA256 Authorization header."""
    match = _AUTH_RE.fullmatch(value)
    if not match:
        raise SignatureError("malformed Authorization header")
    access, signed, signature = match.groups()
    names = signed.split(";")
    if any(not n or n != n.lower() for n in names):
        raise SignatureError("malformed SignedHeaders")
    return access, names, signature.lower()


def check_date(value: str | None, now: float) -> None:
    if not value:
        raise SignatureError("missing X-Sdk-Date")
    try:
        when = datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError("malformed X-Sdk-Date") from None
    if abs(when.timestamp() - now) > MAX_SKEW_SECONDS:
        raise SignatureError("X-Sdk-Date is more than 15 minutes away from the server time")


def expected_authorization(creds: Credentials, req: SignedRequest, signed_names: Iterable[str]) -> str:
    """The Authorization value the SDK signer produces for this request with these signed headers."""
    headers: dict[str, str] = {}
    for name in signed_names:
        value = _header(req.headers, name)
        if value is None:
            raise SignatureError(f"signed header {name!r} is missing")
        # Title-case like werkzeug/the SDK, so that the signer's own X-Sdk-Content-Sha256 key coincides.
        headers["-".join(part.capitalize() for part in name.split("-"))] = value
    sdk_request = SdkRequest(
        method=req.method,
        schema="http",
        host=req.host,
        resource_path=req.raw_path,
        query_params=parse_qsl(req.query_string, keep_blank_values=True),
        header_params=headers,
        body=req.body or None,
    )
    authorization: str = Signer(creds).sign(sdk_request).header_params["Authorization"]  # the SDK is untyped
    return authorization


def verify(req: SignedRequest, projects: Iterable[Credentials], now: float) -> Credentials:
    """The credentials that signed ``req``; raises SignatureError otherwise."""
    authorization = _header(req.headers, "Authorization") or ""
    access, names, signature = parse_authorization(authorization.strip())
    if "x-sdk-date" not in names:
        raise SignatureError("X-Sdk-Date is not signed")
    check_date(_header(req.headers, "X-Sdk-Date"), now)
    creds = next((p for p in projects if hmac.compare_digest(p.ak.encode(), access.encode())), None)
    if creds is None:
        raise SignatureError("unknown access key")
    _, expected_names, expected = parse_authorization(expected_authorization(creds, req, names))
    if expected_names != names or not hmac.compare_digest(expected, signature):
        raise SignatureError("signature mismatch")
    return creds


def _header(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)
