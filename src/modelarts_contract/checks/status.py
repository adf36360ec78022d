"""Status codes: R1 (configured credentials accepted), R2/R3 (valid 200, invalid 400), R6, R14, R16."""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange, Verifier
from modelarts_contract.checks.registry import Scope, check
from modelarts_contract.checks.validity import Validity, classify
from modelarts_contract.neutral import header_text


@check("R14.no-server-error", scope=Scope.ANY)
def no_server_error(v: Verifier, ex: Exchange) -> None:
    actual = f"status {ex.status}"
    if ex.status in (429, 503) and "Retry-After" in ex.headers:
        actual += " with Retry-After, still after the retries allowed (R15: retries ran out)"
    v.holds(ex.status < 500, "a status below 500", actual, ex)


@check("R16.documented-status", scope=Scope.ANY)
def documented_status(v: Verifier, ex: Exchange) -> None:
    actual = f"status {ex.status}"
    if 300 <= ex.status < 400:
        location = ex.headers.get("Location")
        shown = "(no Location)" if location is None else header_text(location)
        actual += f" redirecting to {shown} (not followed)"
    documented = sorted(v.contract.statuses)
    v.holds(ex.status in documented, f"one of {documented}", actual, ex)


@check("R1.valid-credentials")
def configured_credentials_accepted(v: Verifier, ex: Exchange) -> None:
    v.holds(
        ex.status not in (401, 403),
        "the configured credentials to be accepted (not 401/403)",
        f"status {ex.status}: {ex.content[:200]!r}",
        ex,
    )


@check("R3.invalid-rejected", "R6.unknown-ignored", "R2.valid-accepted")
def validity_decides_status(v: Verifier, ex: Exchange) -> None:
    """A valid request gets 200 (or 400 where R4 allows), an invalid one 400."""
    if ex.status in (401, 403) or ex.status >= 500:
        return  # reported by the credentials and server-error checks
    verdict = classify(v.contract, ex.query)
    if verdict.validity is Validity.INVALID:
        v.expect(
            "R3.invalid-rejected",
            ex.status == 400,
            f"400 for invalid {', '.join(verdict.invalid)}",
            f"status {ex.status}",
            ex,
        )
    elif verdict.validity is Validity.VALID:
        if verdict.unknown and ex.status == 400 and not verdict.outside_format:
            v.expect(
                "R6.unknown-ignored",
                False,
                f"unknown parameter(s) {', '.join(verdict.unknown)} ignored",
                f"status 400: {ex.content[:200]!r}",
                ex,
            )
        allowed = {200, 400} if verdict.outside_format else {200}
        why = (
            f" ({', '.join(verdict.outside_format)} is outside its documented format: R4)"
            if verdict.outside_format
            else ""
        )
        v.expect(
            "R2.valid-accepted",
            ex.status in allowed,
            f"status in {sorted(allowed)} for a valid request{why}",
            f"status {ex.status}: {ex.content[:200]!r}",
            ex,
        )
