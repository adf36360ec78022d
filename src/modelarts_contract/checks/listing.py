"""Listings for the relations across requests, and the guard against data that changes meanwhile.

Every page fetched here also goes through the single-response checks, so a relation never reasons
about a page that already breaks a clause on its own; those failures are kept and reported with
the relation's own (R17: only from an attempt during which the data held still).

A listing is read page by page (R18): nothing bounds the number of groups a tenant holds. What a
run has read while the data held still is read once (`_Memory`): a relation's first snapshot is the
previous relation's last one, and a listing it reads under the same snapshot and parameters is the
one another relation read, as long as no page of it broke a clause. Every relation's last snapshot
is read afresh, so a change since any of those reads is caught as before (R17).

The snapshot is the listing sorted by the groups' identity, which R12 makes unique: no two groups
tie, so a server that breaks ties differently on every request (an R9.stable-paging failure, for
the relations to find) still gives the same set of groups twice when its data holds still. In the
default order such ties can straddle a page boundary, and the set read would differ each time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import pytest

from modelarts_contract.checks.core import (
    ClauseViolation,
    DataChanged,
    Exchange,
    Verifier,
    Violations,
    hashable,
    page_items,
)
from modelarts_contract.checks.registry import Relation, Scope, check, response_checks
from modelarts_contract.checks.validity import classify
from modelarts_contract.contract import Contract


class Target(Protocol):
    """What a Lister uses of the target under test (`modelarts_contract.target.Target` is one),
    typed here: the checks sit below the wiring and never import it (docs/architecture.md, Layers)."""

    contract: Contract
    verifier: Verifier
    stash: pytest.Stash  # what this run keeps per target (the listings read), never in module globals

    def get(self, params: Mapping[str, str] | None = None) -> Exchange: ...


LISTING_PAGE = 1000  # groups per request when reading a whole listing
MAX_LISTING_PAGES = 100  # beyond 100,000 groups a listing stays partial: relations judge what they can


@dataclass
class Page:
    exchange: Exchange
    items: list[dict[str, Any]]
    total: int | None


@dataclass
class Listing:
    params: dict[str, str]
    total: int
    items: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True  # every group of `total` was read
    max_pages: int = MAX_LISTING_PAGES  # the most pages the read was allowed
    keys: list[tuple[Any, ...]] | None = field(default=None, repr=False)  # see Lister.keys_of


Snapshot: TypeAlias = tuple[Any, ...]  # what must hold still: total and the set of groups
ListingKey: TypeAlias = frozenset[tuple[str, str]]


@dataclass
class _Memory:
    """What one run read while the data held still (shared by every Lister of a target): the last
    snapshot, and the clean listings read under it."""

    snapshot: Snapshot | None = None
    listings: dict[ListingKey, Listing] = field(default_factory=dict)

    def forget(self) -> None:
        self.snapshot, self.listings = None, {}


_MEMORY = pytest.StashKey[_Memory]()  # in the target's stash: one memory per run


def identity_order(contract: Contract) -> dict[str, str]:
    """The sort parameters that order a listing by the groups' identity, unique per listing (R12):
    no ties; {} (the default order) where the spec cannot sort by every identity field."""
    rules = contract.sorting
    if not all(name in contract.parameter(rules.key_parameter).enum for name in contract.identity):
        return {}
    return {rules.key_parameter: rules.separator.join(contract.identity)}


class ListingUnavailable(AssertionError):
    """A listing request got no usable listing; the single-response checks said why."""


_PLAIN = frozenset({str, int, float, bool, type(None)})  # what JSON parses to, already hashable


def _values(item: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[Any, ...]:
    """`hashable` of each field's value, with the common case inline: a 20,000-group listing has
    hundreds of thousands of keys."""
    return tuple(v if type(v) in _PLAIN else hashable(v) for v in map(item.get, fields))


@check("R9.total-invariant", scope=Scope.LISTING)
def _totals_agree(v: Verifier, first: Page, later: Page) -> None:
    """The pages of one listing read report the same total (R9: total does not depend on offset)."""
    v.holds(
        later.total == first.total,
        f"total {first.total} (as on the listing's first page)",
        f"total {later.total}",
        later.exchange,
    )


class PageReader:
    """Pages and whole listings read from the target, each page judged by the single-response
    checks; what they break is kept for the relation's report, not raised at once."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.contract = target.contract
        self.identity = self.contract.identity
        self.checks = response_checks(Scope.CONFIGURED)
        # Failures met during a relation: the first per clause, and how many more.
        self.pending: dict[str, ClauseViolation] = {}
        self.repeats: Counter[str] = Counter()
        self._kept = 0  # failures kept so far: a read that adds none is clean

    def key(self, item: Mapping[str, Any]) -> tuple[Any, ...]:
        return _values(item, self.identity)

    def keys(self, items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        identity = self.identity
        return [_values(item, identity) for item in items]

    def keys_of(self, listing: Listing) -> list[tuple[Any, ...]]:
        """The keys of a listing's groups, computed once: a listing is compared many times."""
        if listing.keys is None:
            listing.keys = self.keys(listing.items)
        return listing.keys

    def _keep(self, violations: list[ClauseViolation]) -> None:
        self._kept += len(violations)
        for violation in violations:
            if violation.clause.id in self.pending:
                self.repeats[violation.clause.id] += 1
            else:
                self.pending[violation.clause.id] = violation

    def page(self, params: Mapping[str, str]) -> Page:
        exchange = self.target.get(params)
        try:
            self.target.verifier.run_all(self.checks, exchange)
        except Violations as failure:
            self._keep(failure.violations)  # the relation still reaches its own verdict
        body = exchange.body if isinstance(exchange.body, dict) else {}
        total = body.get(self.contract.paging.total)
        return Page(exchange, page_items(self.contract, exchange), total if type(total) is int else None)

    def window(self, params: Mapping[str, str], limit: int, first_record: int) -> Page:
        """The page of `limit` groups starting at record `first_record` (whatever unit offset has)."""
        paging = self.contract.paging
        offset = first_record // limit if paging.offset_unit == "page" else first_record
        return self.page({**params, paging.limit: str(limit), paging.offset: str(offset)})

    def _read_pages(self, params: dict[str, str], free_400_ok: bool, max_pages: int) -> Listing | None:
        first = self.window(params, LISTING_PAGE, 0)
        ex = first.exchange
        if free_400_ok and ex.status == 400 and classify(self.contract, ex.query).outside_format:
            return None
        if ex.status != 200 or first.total is None:
            raise ListingUnavailable(f"no listing for {params}: status {ex.status}")
        items, total = list(first.items), first.total
        for index in range(1, max_pages):
            if len(items) >= total or len(items) < index * LISTING_PAGE:
                break  # complete, or a short page: the window check has judged it
            page = self.window(params, LISTING_PAGE, index * LISTING_PAGE)
            try:
                self.target.verifier.run(_totals_agree, first, page)
            except ClauseViolation as violation:
                self._keep([violation])
                break
            if page.exchange.status != 200 or not page.items:
                break
            items += page.items
        return Listing(params, total, items, complete=len(items) >= total, max_pages=max_pages)


class Lister(PageReader):
    """Listings under the live-data guard (R17): a relation runs between two snapshots of the data,
    and listings read while it held still are reused by the relations after it."""

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        self._before: Snapshot | None = None  # the current attempt's first snapshot
        self.snapshot_params = identity_order(self.contract)
        self._read_now: dict[ListingKey, Listing] = {}  # clean listings read in the current attempt
        self.memory = target.stash.setdefault(_MEMORY, _Memory())

    def listing(self, params: Mapping[str, str] | None = None, max_pages: int = MAX_LISTING_PAGES) -> Listing:
        """The whole listing for `params`, read page by page (once per snapshot, if its pages are clean)."""
        params = dict(params or {})
        listing = self._recall(params, max_pages) or self._read(
            params, free_400_ok=False, max_pages=max_pages
        )
        assert listing is not None
        return listing

    def listing_unless_free_400(self, params: Mapping[str, str]) -> Listing | None:
        """As `listing`, but None for a 400 that R4 allows (a free string outside its documented format)."""
        params = dict(params)
        return self._recall(params, MAX_LISTING_PAGES) or self._read(params, free_400_ok=True)

    def _recall(self, params: dict[str, str], max_pages: int) -> Listing | None:
        """A clean listing of `params` read under the current attempt's snapshot, if one was."""
        if self._before is None:
            return None  # outside an attempt nothing says the data held still
        key = frozenset(params.items())
        found = self._read_now.get(key)
        if found is None and self._before == self.memory.snapshot:
            found = self.memory.listings.get(key)
        return found if found is not None and (found.complete or found.max_pages >= max_pages) else None

    def _read(
        self, params: dict[str, str], free_400_ok: bool, max_pages: int = MAX_LISTING_PAGES
    ) -> Listing | None:
        kept = self._kept
        listing = self._read_pages(params, free_400_ok, max_pages)
        if listing is not None and self._kept == kept:  # no page of it broke a clause: worth reusing
            self._read_now[frozenset(params.items())] = listing
        return listing

    def _snapshot(self) -> tuple[Snapshot, Listing | None, bool]:
        """What must hold still, read afresh: total and the SET of groups (an order change is a
        verdict, not a change); the listing it came from; and whether its pages were clean."""
        kept = self._kept
        try:
            listing = self._read_pages(
                dict(self.snapshot_params), free_400_ok=False, max_pages=MAX_LISTING_PAGES
            )
        except ListingUnavailable as exc:
            return ("unavailable", str(exc)), None, False
        assert listing is not None
        fields = (*self.identity, "update_at", "version_count")
        groups = frozenset(_values(item, fields) for item in listing.items)
        return (listing.total, groups), listing, self._kept == kept

    def _attempt(self, check: Callable[[], None]) -> AssertionError | None:
        """One run of `check` under the attempt's first snapshot; returns its failure."""
        if self._before is None or self._before[0] == "unavailable":
            return ListingUnavailable(str(self._before[1] if self._before else "no listing"))
        try:
            check()
        except AssertionError as exc:
            return exc
        return None

    def _report(self, failure: AssertionError | None) -> None:
        """Fail with every clause broken in the attempt: the pages' own, then the relation's."""
        found = dict(self.pending)
        notes = {cid: f"(and {n} more response(s) of this check)" for cid, n in self.repeats.items() if n}
        if isinstance(failure, Violations):  # a relation that judged several cases (the edges)
            for violation in failure.violations:
                found.setdefault(violation.clause.id, violation)
            notes.update(failure.notes)  # which cases broke it says more than how many responses
        elif isinstance(failure, ClauseViolation):
            found.setdefault(failure.clause.id, failure)
        elif failure is not None and not (found and isinstance(failure, ListingUnavailable)):
            raise failure  # not a clause verdict (a missing listing is explained by the checks above)
        if found:
            raise Violations(list(found.values()), notes)

    def _remember(self, before: Snapshot, after: Snapshot, read: Listing | None, clean: bool) -> None:
        """What the next relation may reuse: the last snapshot, if its pages were clean, and the
        listings read while the data held still."""
        memory = self.memory
        if before != after or not clean:
            memory.forget()  # an unclean snapshot's failures belong to the next relation's report too
        if clean:
            if memory.snapshot != after:
                memory.listings = {}
            memory.snapshot = after
            assert read is not None
            if before == after:
                memory.listings.update(self._read_now)
                memory.listings[frozenset(self.snapshot_params.items())] = read

    def stable(self, relation: Relation[...], check: Callable[[], None]) -> None:
        """Run a relation between two snapshots; if the data changed meanwhile, run it once more,
        then give up (R17).

        Verdicts go to the ledger only from an attempt during which the data held still. The first
        snapshot is the one the previous relation ended with, when its pages were clean: the last
        is always read afresh, so a change since then shows. An attempt that started from that
        remembered snapshot and saw the data move is not one of the two: the data may have moved
        before this relation began.
        """
        verifier = self.target.verifier
        start, remembered, judged = self.memory.snapshot, self.memory.snapshot is not None, 0
        for _ in range(3):  # at most one attempt from a remembered snapshot, and two of our own
            self.pending.clear()
            self.repeats.clear()
            self._read_now = {}
            with verifier.buffered() as book, verifier.judging(relation):
                self._before = start or self._snapshot()[0]
                failure = self._attempt(check)
                after, read, clean = self._snapshot()
            before, self._before = self._before, None
            self._remember(before, after, read, clean)
            if before == after:
                verifier.ledger.merge(book)
                self._report(failure)
                return
            judged += not remembered
            remembered = False
            start = after if clean else None  # the next attempt starts from it, as the next relation would
            if judged == 2:
                break
        for clause_id in relation.clauses:
            verifier.ledger.changed(clause_id)
        raise DataChanged(
            self.contract.clause(relation.clauses[0]), "total or listing differed before and after, twice"
        )
