"""R1: who may read. Each check reads an exchange made with deliberately chosen credentials."""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange, Verifier
from modelarts_contract.checks.registry import Scope, check


def _status_in(v: Verifier, ex: Exchange, allowed: set[int], expected: str) -> None:
    v.holds(ex.status in allowed, expected, f"status {ex.status}: {ex.content[:200]!r}", ex)


@check("R1.no-credentials", scope=Scope.CREDENTIALS)
def no_credentials(v: Verifier, ex: Exchange) -> None:
    _status_in(v, ex, {401}, "status 401")


@check("R1.invalid-credentials", scope=Scope.CREDENTIALS)
def invalid_credentials(v: Verifier, ex: Exchange) -> None:
    """An invalid token, or a bad, forged or stale AK/SK signature."""
    _status_in(v, ex, {401}, "status 401")


@check("R1.other-project", scope=Scope.CREDENTIALS)
def other_project(v: Verifier, ex: Exchange) -> None:
    expected = "status 403 (or 404) for a project the credentials may not read"
    _status_in(v, ex, {403, 404}, expected)


@check("R1.valid-credentials", scope=Scope.CREDENTIALS)
def accepted(v: Verifier, ex: Exchange) -> None:
    _status_in(v, ex, {200}, "status 200")
