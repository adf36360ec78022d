"""R1: who may read. Each check reads an exchange made with deliberately chosen credentials."""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange, Verifier
from modelarts_contract.checks.registry import Scope, check


@check("R1.no-credentials", scope=Scope.CREDENTIALS)
def no_credentials(v: Verifier, ex: Exchange) -> None:
    v.expect(
        "R1.no-credentials", ex.status == 401, "status 401", f"status {ex.status}: {ex.content[:200]!r}", ex
    )


@check("R1.invalid-credentials", scope=Scope.CREDENTIALS)
def invalid_credentials(v: Verifier, ex: Exchange) -> None:
    """An invalid token, or a bad, forged or stale AK/SK signature."""
    v.expect(
        "R1.invalid-credentials",
        ex.status == 401,
        "status 401",
        f"status {ex.status}: {ex.content[:200]!r}",
        ex,
    )


@check("R1.other-project", scope=Scope.CREDENTIALS)
def other_project(v: Verifier, ex: Exchange) -> None:
    v.expect(
        "R1.other-project",
        ex.status in (403, 404),
        "status 403 (or 404) for a project the credentials may not read",
        f"status {ex.status}: {ex.content[:200]!r}",
        ex,
    )


@check("R1.valid-credentials", scope=Scope.CREDENTIALS)
def accepted(v: Verifier, ex: Exchange) -> None:
    v.expect(
        "R1.valid-credentials",
        ex.status == 200,
        "status 200",
        f"status {ex.status}: {ex.content[:200]!r}",
        ex,
    )
