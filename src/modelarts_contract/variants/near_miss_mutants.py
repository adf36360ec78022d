"""Near-miss credential mutants (R1, issue 19): each lets in someone who does not hold the credential,
by a comparison that overlooks a prefix, case, an empty value, the scheme, or what a signature covers.
Benign: a 401 for a near-miss with another error code and message (an API gateway's)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from werkzeug.wrappers import Request, Response

from modelarts_contract.near_miss import token_near_misses, unknown_access_key
from modelarts_contract.reference import (
    MAIN_AK,
    MAIN_PROJECT_ID,
    MAIN_SK,
    MAIN_TOKEN,
    Credentials,
    ReferenceApp,
    signing,
)

from .base import benign, mutant

_MISMATCH = "The project id in the URL does not match the credentials"
FIRST_CHARACTERS = 16
LAST_DIGITS = 16


class _TokenCompare(ReferenceApp):
    """Tokens compared by `matches` instead of exactly; AK/SK as the reference."""

    def matches(self, expected: str, given: str) -> bool:
        raise NotImplementedError

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        token = request.headers.get("X-Auth-Token")
        if token is None:
            return super().authenticate(request, project_id)
        creds = next((p for p in self.projects if p.token and self.matches(p.token, token)), None)
        if creds is None:
            return self.error(401, "ModelArts.0203", "Invalid token")
        return None if creds.project_id == project_id else self.error(403, "ModelArts.0210", _MISMATCH)


class TokenPrefixCompared(_TokenCompare):
    """A token is accepted when it is a prefix of a project's token (startswith)."""

    def matches(self, expected: str, given: str) -> bool:
        return bool(given) and expected.startswith(given)


class TokenFirstCharactersCompared(_TokenCompare):
    """Only the first 16 characters of a token are compared (a truncated index column)."""

    def matches(self, expected: str, given: str) -> bool:
        return given[:FIRST_CHARACTERS] == expected[:FIRST_CHARACTERS]


class TokenCaseInsensitive(_TokenCompare):
    """Tokens are compared ignoring case (a case-insensitive collation on the token table)."""

    def matches(self, expected: str, given: str) -> bool:
        return expected.casefold() == given.casefold()


class EmptyTokenAccepted(ReferenceApp):
    """An empty X-Auth-Token is taken for an internal call and let in as the project in the path."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        return (
            None if request.headers.get("X-Auth-Token") == "" else super().authenticate(request, project_id)
        )


class _SchemeTrusted(ReferenceApp):
    scheme = ""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        given = request.headers.get("Authorization", "")
        if request.headers.get("X-Auth-Token") is None and given.startswith(f"{self.scheme} "):
            return None  # "the gateway has authenticated it"
        return super().authenticate(request, project_id)


class AnyBearerTrusted(_SchemeTrusted):
    """Any Authorization: Bearer header is trusted, whatever it carries."""

    scheme = "Bearer"


class AnyBasicTrusted(_SchemeTrusted):
    """Any Authorization: Basic header is trusted, whatever it carries."""

    scheme = "Basic"


class CacheBeforeAuth(ReferenceApp):
    """A cache in front of the service answers any request with credentials by its URL's last 200."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._cache: dict[str, Response] = {}
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        carries = request.headers.get("X-Auth-Token") is not None or bool(
            request.headers.get("Authorization")
        )
        with self._lock:
            cached = self._cache.get(request.full_path) if carries else None
        if cached is not None:
            return cached
        response = super().handle(request)
        if response.status_code == 200:
            with self._lock:
                self._cache[request.full_path] = response
        return response


class _Signatures(ReferenceApp):
    """AK/SK verified by `verify` (tokens as the reference)."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        if request.headers.get("X-Auth-Token") is not None or not request.headers.get("Authorization"):
            return super().authenticate(request, project_id)
        try:
            creds = self.verify(self._signed_request(request))
        except (signing.SignatureError, ValueError, UnicodeError):
            return self.error(401, "ModelArts.0203", "AK/SK authentication failed")
        return None if creds.project_id == project_id else self.error(403, "ModelArts.0210", _MISMATCH)

    def verify(self, req: signing.SignedRequest) -> Credentials:
        return signing.verify(req, self.projects, self.clock())


class SignatureWithoutQueryAccepted(_Signatures):
    """A signature over the path alone is accepted too (a fallback for clients that skip the query)."""

    def verify(self, req: signing.SignedRequest) -> Credentials:
        try:
            return super().verify(req)
        except signing.SignatureError:
            return super().verify(signing.SignedRequest(req.method, req.host, req.raw_path, "", req.headers))


class VerifiedSignaturesCached(_Signatures):
    """A verified signature is remembered and accepted again on any request (a replay gets in)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._verified: dict[str, Credentials] = {}
        self._lock = threading.Lock()

    def verify(self, req: signing.SignedRequest) -> Credentials:
        authorization = req.headers.get("Authorization", "").strip()
        _, _, signature = signing.parse_authorization(authorization)
        with self._lock:
            known = self._verified.get(signature)
        if known is not None:
            return known
        creds = super().verify(req)
        with self._lock:
            self._verified[signature] = creds
        return creds


class SignatureTailCompared(_Signatures):
    """Only the last 16 hex digits of the signature are compared (a truncated column)."""

    def verify(self, req: signing.SignedRequest) -> Credentials:
        access, names, given = signing.parse_authorization(req.headers.get("Authorization", "").strip())
        signing.check_date(req.headers.get("X-Sdk-Date"), self.clock())
        creds = next((p for p in self.projects if p.ak == access), None)
        if creds is None:
            raise signing.SignatureError("unknown access key")
        _, _, expected = signing.parse_authorization(signing.expected_authorization(creds, req, names))
        if expected[-LAST_DIGITS:] != given[-LAST_DIGITS:]:
            raise signing.SignatureError("signature mismatch")
        return creds


class UnknownAccessKeyFallback(_Signatures):
    """An unknown access key falls back to the first project's secret key."""

    def verify(self, req: signing.SignedRequest) -> Credentials:
        access, _, _ = signing.parse_authorization(req.headers.get("Authorization", "").strip())
        if any(p.ak == access for p in self.projects) or not self.projects:
            return super().verify(req)
        first = self.projects[0]
        return signing.verify(
            req, [Credentials(first.project_id, first.token, access, first.sk)], self.clock()
        )


class FutureDateAccepted(_Signatures):
    """X-Sdk-Date is only refused when it is too old: a date in the future always passes."""

    def verify(self, req: signing.SignedRequest) -> Credentials:
        date = req.headers.get("X-Sdk-Date") or ""
        try:
            when = datetime.strptime(date, signing.DATE_FORMAT).replace(tzinfo=UTC).timestamp()
        except ValueError:
            when = 0.0
        return signing.verify(req, self.projects, max(self.clock(), when))


class GatewayError401(ReferenceApp):
    """Refused credentials get 401 with an API gateway's code and message (R1 names only the status)."""

    def error(self, status: int, code: str, msg: str) -> Response:
        if status == 401:
            return super().error(401, "APIG.1002", "Incorrect IAM authentication information")
        return super().error(status, code, msg)


# --- Probes (tests/self/test_variants.py): requests on which each variant answers unlike the reference,
# declared with it below.
# "@header:NAME" keys are sent as headers ("@auth": "none" sends no other credentials).

PROBE_HOST = "127.0.0.1:8080"  # the host test_variants' client sends
_FIRST, _SECOND = {"limit": "2"}, {"limit": "2", "offset": "1"}


class _Keys:
    def __init__(self, ak: str, sk: str) -> None:
        self.ak, self.sk = ak, sk


def _signed(
    params: dict[str, str], *, ak: str = MAIN_AK, signed: dict[str, str] | None = None, later: float = 0
) -> dict[str, str]:
    """`params` sent with a signature of `signed` (default: the same params), dated `later` seconds on."""
    when = (datetime.now(UTC) + timedelta(seconds=later)).strftime(signing.DATE_FORMAT)
    path = f"/v1/{MAIN_PROJECT_ID}/images/group"
    query = list((params if signed is None else signed).items())
    request = SdkRequest(
        "GET", "http", PROBE_HOST, path, query_params=query, header_params={"X-Sdk-Date": when}
    )
    headers = Signer(_Keys(ak, MAIN_SK)).sign(request).header_params
    names = ("Authorization", "X-Sdk-Date")
    return {**params, "@auth": "none", **{f"@header:{n}": headers[n] for n in names}}


def _token(label_start: str) -> dict[str, str]:
    miss = next(m for m in token_near_misses(MAIN_TOKEN) if m.label.startswith(label_start))
    return {**_FIRST, "@auth": "none", **{f"@header:{n}": v for n, v in miss.headers}}


def _digit_changed(probe: dict[str, str]) -> dict[str, str]:
    authorization = probe["@header:Authorization"]
    at = authorization.index("Signature=") + len("Signature=")
    digit = "0" if authorization[at] != "0" else "1"
    return {**probe, "@header:Authorization": authorization[:at] + digit + authorization[at + 1 :]}


_REPLAYED = _signed(_FIRST)
_R1 = "R1.invalid-credentials"
_CASE_FLIPPED = _token("the token with its case flipped")
VARIANTS = (
    mutant(
        "token-prefix-compared", _R1, TokenPrefixCompared, probes=[_token("the token cut to its first half")]
    ),
    mutant(
        "token-first-characters-compared",
        _R1,
        TokenFirstCharactersCompared,
        probes=[_token("the token with its last character changed")],
    ),
    mutant("token-case-insensitive", _R1, TokenCaseInsensitive, probes=[_CASE_FLIPPED]),
    mutant("empty-token-accepted", _R1, EmptyTokenAccepted, probes=[_token("an empty X-Auth-Token")]),
    mutant(
        "any-bearer-trusted",
        _R1,
        AnyBearerTrusted,
        probes=[_token("no X-Auth-Token, the token as Authorization: Bearer")],
    ),
    mutant(
        "any-basic-trusted",
        _R1,
        AnyBasicTrusted,
        probes=[_token("no X-Auth-Token, the token as the password")],
    ),
    mutant("cache-before-auth", _R1, CacheBeforeAuth, probes=[_FIRST, _CASE_FLIPPED]),
    mutant(
        "signature-without-query-accepted",
        _R1,
        SignatureWithoutQueryAccepted,
        auth="aksk",
        probes=[_signed(_SECOND, signed={})],
    ),
    mutant(
        "verified-signatures-cached",
        _R1,
        VerifiedSignaturesCached,
        auth="aksk",
        probes=[_REPLAYED, {**_REPLAYED, **_SECOND}],
    ),
    mutant(
        "signature-tail-compared",
        _R1,
        SignatureTailCompared,
        auth="aksk",
        probes=[_digit_changed(_signed(_SECOND))],
    ),
    mutant(
        "unknown-access-key-fallback",
        _R1,
        UnknownAccessKeyFallback,
        auth="aksk",
        probes=[_signed(_SECOND, ak=unknown_access_key(MAIN_AK))],
    ),
    mutant(
        "future-date-accepted", _R1, FutureDateAccepted, auth="aksk", probes=[_signed(_SECOND, later=30 * 60)]
    ),
    benign("gateway-error-401", _R1, GatewayError401, probes=[_CASE_FLIPPED]),
    benign(
        "gateway-error-401-aksk", _R1, GatewayError401, auth="aksk", probes=[_digit_changed(_signed(_SECOND))]
    ),
)
