"""Auth mutants (R1): who may read is decided wrongly."""

from __future__ import annotations

from dataclasses import replace

from werkzeug.wrappers import Request, Response

from modelarts_contract.reference import Credentials, ReferenceApp, signing

from .base import mutant

_MISMATCH = "The project id in the URL does not match the credentials"


def _no_credentials(request: Request) -> bool:
    return request.headers.get("X-Auth-Token") is None and not request.headers.get("Authorization")


class NoAuthRequired(ReferenceApp):
    """The auth filter only checks credentials that are present: none at all passes."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        return None if _no_credentials(request) else super().authenticate(request, project_id)


class MissingCredentials403(ReferenceApp):
    """Missing credentials get 403 instead of 401."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        if _no_credentials(request):
            return self.error(403, "ModelArts.0210", "Access denied")
        return super().authenticate(request, project_id)


class AnyTokenAccepted(ReferenceApp):
    """An unknown token falls back to the default (first) project's session."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        token = request.headers.get("X-Auth-Token")
        if token is None or not self.projects:
            return super().authenticate(request, project_id)
        creds = next((p for p in self.projects if p.token == token), self.projects[0])
        if creds.project_id != project_id:
            return self.error(403, "ModelArts.0210", _MISMATCH)
        return None


class OtherProjectReadable(ReferenceApp):
    """Credentials are verified but never compared with the project in the path."""

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        denied = super().authenticate(request, project_id)
        return None if denied is not None and denied.status_code == 403 else denied


class _LenientAkSk(ReferenceApp):
    """AK/SK verification with one step left out; tokens are handled by the reference."""

    check_date = True
    check_signature = True

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        if request.headers.get("X-Auth-Token") is not None or not request.headers.get("Authorization"):
            return super().authenticate(request, project_id)
        try:
            creds = self._verify(self._signed_request(request))
        except (signing.SignatureError, ValueError, UnicodeError):
            return self.error(401, "ModelArts.0203", "AK/SK authentication failed")
        if creds.project_id != project_id:
            return self.error(403, "ModelArts.0210", _MISMATCH)
        return None

    def _verify(self, req: signing.SignedRequest) -> Credentials:
        access, names, signature = signing.parse_authorization(req.headers.get("Authorization", "").strip())
        if self.check_date:
            signing.check_date(req.headers.get("X-Sdk-Date"), self.clock())
        creds = next((p for p in self.projects if p.ak == access), None)
        if creds is None:
            raise signing.SignatureError("unknown access key")
        if self.check_signature:
            _, _, expected = signing.parse_authorization(signing.expected_authorization(creds, req, names))
            if expected != signature:
                raise signing.SignatureError("signature mismatch")
        return creds


class SignatureNotVerified(_LenientAkSk):
    """AK/SK: the access key is looked up but the signature is never recomputed."""

    check_signature = False


class StaleDateAccepted(_LenientAkSk):
    """AK/SK: X-Sdk-Date is signed but never compared with the server's clock."""

    check_date = False


class EscapedQueryRejected(_LenientAkSk):
    """AK/SK: the signature is recomputed over the query's escapes, so any valid query needing them gets 401."""

    def _verify(self, req: signing.SignedRequest) -> Credentials:
        return super()._verify(replace(req, query_string=req.query_string.replace("%", "%25")))


VARIANTS = (
    mutant("no-auth-required", "R1.no-credentials", NoAuthRequired, probes=[{"@auth": "none"}]),
    mutant("missing-credentials-403", "R1.no-credentials", MissingCredentials403, probes=[{"@auth": "none"}]),
    mutant("any-token-accepted", "R1.invalid-credentials", AnyTokenAccepted, probes=[{"@auth": "bad-token"}]),
    mutant(
        "other-project-readable", "R1.other-project", OtherProjectReadable, probes=[{"@project": "other"}]
    ),
    mutant(
        "signature-not-verified",
        "R1.invalid-credentials",
        SignatureNotVerified,
        auth="aksk",
        probes=[{"@auth": "bad-signature"}],
    ),
    mutant(
        "stale-date-accepted",
        "R1.invalid-credentials",
        StaleDateAccepted,
        auth="aksk",
        probes=[{"@auth": "stale-date"}],
    ),
    mutant(
        "escaped-query-rejected",
        "R1.valid-credentials",
        EscapedQueryRejected,
        auth="aksk",
        probes=[{"@auth": "signed", "name": "bild-ü"}],
    ),
)
