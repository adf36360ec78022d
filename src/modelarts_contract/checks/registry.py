"""The registry of checks: every check declares the clauses it judges.

The suite's parametrisation, the report's "check" column and the catalogue's links from clause to
check all read this registry, and the verifier refuses a verdict on a clause that the running check
did not declare. Importing `modelarts_contract.checks` registers every check.

Where the spec names a check's clauses (x-filters names each filter's clause), the declaration reads
them from the spec (`filter_clauses`) instead of repeating them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, Protocol, TypeGuard, TypeVar, overload

from modelarts_contract.contract import Filter, load_contract

if TYPE_CHECKING:  # annotations only: core and listing import this module
    from modelarts_contract.checks.core import Exchange, Verifier
    from modelarts_contract.checks.listing import Lister

P = ParamSpec("P")
T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Scope(Enum):
    """Which exchanges a single-response check holds for."""

    ANY = "any response"  # whatever credentials the request carried
    CONFIGURED = "configured request"  # the configured credentials on the configured project
    CREDENTIALS = "chosen credentials"  # exchanges made with deliberately chosen credentials (R1)
    LISTING = "pages of one listing"  # compares the pages of one listing read


ExchangeScope = Literal[Scope.ANY, Scope.CONFIGURED, Scope.CREDENTIALS]


class CheckFunction(Protocol[P]):
    """A check's body: judges what it is given (one exchange, or the pages of a listing)."""

    def __call__(self, v: Verifier, /, *args: P.args, **kwargs: P.kwargs) -> None: ...


class RelationFunction(Protocol[P]):
    """A relation's body: judges across requests, read through the lister, for one case."""

    def __call__(self, v: Verifier, lister: Lister, /, *args: P.args, **kwargs: P.kwargs) -> None: ...


class Judge(Protocol):
    """A relation with its case's value bound: what a test runs."""

    def __call__(self, v: Verifier, lister: Lister, /) -> None: ...


class CaseFunction(Protocol[T_contra]):
    """A relation's body that takes its case's value."""

    def __call__(self, v: Verifier, lister: Lister, case: T_contra, /) -> None: ...


@dataclass(frozen=True)
class Check(Generic[P]):
    """A check of one exchange (or, scope LISTING, of two pages of one listing)."""

    name: str  # "paging.pages"
    clauses: tuple[str, ...]
    scope: Scope
    func: CheckFunction[P] = field(repr=False)

    def __call__(self, v: Verifier, /, *args: P.args, **kwargs: P.kwargs) -> None:
        self.func(v, *args, **kwargs)


ExchangeCheck = Check[["Exchange"]]


@dataclass(frozen=True)
class RelationCase:
    """One parametrisation of a relation; `id` names its test ("" for a relation judged once)."""

    id: str
    judge: Judge = field(repr=False)


@dataclass(frozen=True)
class Relation(Generic[P]):
    """A check across requests, run under the live-data guard (R17). An `edge` relation judges the
    edge catalogue (tests/contract/test_edges.py runs it); the others run in test_relations.py."""

    name: str  # "relations.record_offsets"
    clauses: tuple[str, ...]
    func: RelationFunction[P] = field(repr=False)
    cases: tuple[RelationCase, ...]
    edge: bool = False

    def __call__(self, v: Verifier, lister: Lister, /, *args: P.args, **kwargs: P.kwargs) -> None:
        self.func(v, lister, *args, **kwargs)


Entry = Check[...] | Relation[...]
_ENTRIES: dict[str, Entry] = {}  # declarations, filled at import; not run state


def filter_clauses(*kinds: type[Filter]) -> tuple[str, ...]:
    """The clauses the packaged spec's x-filters names for its filters of `kinds` (all without),
    sorted: a check declares them by what it judges, and a filter added to the spec comes with them."""
    filters = load_contract().filters
    return tuple(sorted({f.clause for f in filters if not kinds or isinstance(f, kinds)}))


def _name(func: Callable[..., object]) -> str:
    return f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"


def _register(entry: Entry) -> None:
    if not entry.clauses:
        raise ValueError(f"{entry.name} declares no clause")
    if entry.name in _ENTRIES:
        raise ValueError(f"{entry.name} is registered twice")
    _ENTRIES[entry.name] = entry


@overload
def check(
    *clauses: str, scope: ExchangeScope = Scope.CONFIGURED
) -> Callable[[CheckFunction[[Exchange]]], ExchangeCheck]: ...


@overload
def check(*clauses: str, scope: Literal[Scope.LISTING]) -> Callable[[CheckFunction[P]], Check[P]]: ...


def check(*clauses: str, scope: Scope = Scope.CONFIGURED) -> Callable[[CheckFunction[P]], Check[P]]:
    """Register a check that judges `clauses`: of one exchange, or (LISTING) of a listing's pages."""

    def register(func: CheckFunction[P]) -> Check[P]:
        entry = Check(_name(func), clauses, scope, func)
        _register(entry)
        return entry

    return register


@overload
def relation(*clauses: str, edge: bool = False) -> Callable[[RelationFunction[[]]], Relation[[]]]: ...


@overload
def relation(
    *clauses: str, cases: Mapping[str, T], edge: bool = False
) -> Callable[[CaseFunction[T]], Relation[[T]]]: ...


def relation(
    *clauses: str, cases: Mapping[str, Any] | None = None, edge: bool = False
) -> Callable[[Any], Relation[...]]:
    """Register a check across requests that judges `clauses`: once, or once per case (its id and
    the value the body gets)."""

    def register(func: Any) -> Relation[...]:
        if cases is None:
            bound: tuple[RelationCase, ...] = (RelationCase("", func),)
        else:
            bound = tuple(RelationCase(i, _bind(func, value)) for i, value in cases.items())
        entry: Relation[...] = Relation(_name(func), clauses, func, bound, edge)
        _register(entry)
        return entry

    return register


def _bind(func: CaseFunction[T], value: T) -> Judge:
    return lambda v, lister: func(v, lister, value)


def entries() -> tuple[Entry, ...]:
    return tuple(_ENTRIES.values())


def _of_one_exchange(entry: Entry) -> TypeGuard[ExchangeCheck]:
    """A check of any scope but LISTING judges one exchange: `check`'s overloads make it so."""
    return isinstance(entry, Check) and entry.scope is not Scope.LISTING


def response_checks(scope: Scope) -> tuple[ExchangeCheck, ...]:
    """The checks every exchange of `scope` gets: ANY holds everywhere, CONFIGURED adds its own."""
    wanted = {Scope.ANY, scope} if scope is Scope.CONFIGURED else {Scope.ANY}
    return tuple(e for e in _ENTRIES.values() if _of_one_exchange(e) and e.scope in wanted)


def relations(*, edge: bool) -> tuple[Relation[...], ...]:
    """The relations that judge the edge catalogue (`edge`), or the others, in registration order."""
    return tuple(e for e in _ENTRIES.values() if isinstance(e, Relation) and e.edge == edge)


def checks_judging(clause_id: str) -> tuple[str, ...]:
    """Names of the checks and relations that declare `clause_id`."""
    return tuple(e.name for e in _ENTRIES.values() if clause_id in e.clauses)
