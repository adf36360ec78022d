"""R1: who may read. Each check reads an exchange made with deliberately chosen credentials."""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange, Verifier


def unauthenticated(v: Verifier, ex: Exchange, clause_id: str) -> None:
    """Missing (R1.no-credentials) or invalid (R1.invalid-credentials) credentials: 401."""
    v.expect(clause_id, ex.status == 401, "status 401", f"status {ex.status}: {ex.content[:200]!r}", ex)


def other_project(v: Verifier, ex: Exchange) -> None:
    v.expect(
        "R1.other-project",
        ex.status in (403, 404),
        "status 403 (or 404) for a project the credentials may not read",
        f"status {ex.status}: {ex.content[:200]!r}",
        ex,
    )


def accepted(v: Verifier, ex: Exchange) -> None:
    v.expect(
        "R1.valid-credentials",
        ex.status == 200,
        "status 200",
        f"status {ex.status}: {ex.content[:200]!r}",
        ex,
    )
