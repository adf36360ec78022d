"""The registry of checks: every check declares the clauses it judges.

The suite's parametrisation, the report's "check" column and the catalogue's links from clause to
check all read this registry, and the verifier refuses a verdict on a clause that the running check
did not declare. Importing `modelarts_contract.checks` registers every check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Scope(Enum):
    """Which exchanges a single-response check holds for."""

    ANY = "any response"  # whatever credentials the request carried
    CONFIGURED = "configured request"  # the configured credentials on the configured project
    CREDENTIALS = "chosen credentials"  # exchanges made with deliberately chosen credentials (R1)
    LISTING = "pages of one listing"  # compares the pages of one listing read


@dataclass(frozen=True)
class Check:
    """A check of one exchange."""

    name: str  # "paging.pages"
    clauses: tuple[str, ...]
    scope: Scope
    func: Callable[..., None] = field(repr=False)

    def __call__(self, *args: Any) -> None:
        self.func(*args)


@dataclass(frozen=True)
class RelationCase:
    """One parametrisation of a relation; `id` names its test."""

    id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """A check across requests, run under the live-data guard (R17)."""

    name: str  # "relations.record_offsets"
    clauses: tuple[str, ...]
    func: Callable[..., None] = field(repr=False)
    cases: tuple[RelationCase, ...] = (RelationCase(""),)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.func(*args, **kwargs)


Entry = Check | Relation
_ENTRIES: dict[str, Entry] = {}  # declarations, filled at import; not run state


def _name(func: Callable[..., Any]) -> str:
    return f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"


def _register(entry: Entry) -> None:
    if not entry.clauses:
        raise ValueError(f"{entry.name} declares no clause")
    if entry.name in _ENTRIES:
        raise ValueError(f"{entry.name} is registered twice")
    _ENTRIES[entry.name] = entry


def check(*clauses: str, scope: Scope = Scope.CONFIGURED) -> Callable[[Callable[..., None]], Check]:
    """Register a check of one exchange that judges `clauses`."""

    def register(func: Callable[..., None]) -> Check:
        entry = Check(_name(func), clauses, scope, func)
        _register(entry)
        return entry

    return register


def relation(
    *clauses: str, cases: tuple[RelationCase, ...] = (RelationCase(""),)
) -> Callable[[Callable[..., None]], Relation]:
    """Register a check across requests that judges `clauses`, once per case."""

    def register(func: Callable[..., None]) -> Relation:
        entry = Relation(_name(func), clauses, func, cases)
        _register(entry)
        return entry

    return register


def entries() -> tuple[Entry, ...]:
    return tuple(_ENTRIES.values())


def response_checks(scope: Scope) -> tuple[Check, ...]:
    """The checks every exchange of `scope` gets: ANY holds everywhere, CONFIGURED adds its own."""
    wanted = {Scope.ANY, scope} if scope is Scope.CONFIGURED else {Scope.ANY}
    return tuple(e for e in _ENTRIES.values() if isinstance(e, Check) and e.scope in wanted)


def relations() -> tuple[Relation, ...]:
    return tuple(e for e in _ENTRIES.values() if isinstance(e, Relation))


def checks_judging(clause_id: str) -> tuple[str, ...]:
    """Names of the checks and relations that declare `clause_id`."""
    return tuple(e.name for e in _ENTRIES.values() if clause_id in e.clauses)
