"""Listings for the relations across requests, and the guard against data that changes meanwhile.

Every page fetched here also goes through the single-response checks, so a relation never reasons
about a page that already breaks a clause on its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelarts_contract.checks.core import ClauseViolation, DataChanged, Exchange, Violations, page_items
from modelarts_contract.checks.response import CONFIGURED_REQUEST
from modelarts_contract.checks.validity import classify
from modelarts_contract.target import Target

# One "big page" stands for the whole listing while total <= LISTING_CAP; beyond it the relations
# that need the whole listing work on this prefix and sample pages instead of walking all of them.
LISTING_CAP = 2000


@dataclass
class Page:
    exchange: Exchange
    items: list[dict]
    total: int | None


@dataclass
class Listing:
    params: dict[str, str]
    total: int
    items: list[dict] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.items) >= self.total


class Lister:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.contract = target.contract
        paging = self.contract.paging
        self.limit_name = paging["limit"]["parameter"]
        self.offset_name = paging["offset"]["parameter"]
        self.identity = self.contract.identity
        # Single-response failures met during a relation: the first per clause, and how many more.
        self.pending: dict[str, ClauseViolation] = {}
        self.repeats: Counter[str] = Counter()

    def key(self, item: Mapping[str, Any]) -> tuple:
        return tuple(item.get(name) for name in self.identity)

    def keys(self, items: list[dict]) -> list[tuple]:
        return [self.key(item) for item in items]

    def page(self, params: Mapping[str, str]) -> Page:
        exchange = self.target.get(params)
        try:
            self.target.verifier.run_all(CONFIGURED_REQUEST, exchange)
        except Violations as failure:
            # Kept for the end of the relation, so the relation still reaches its own verdict.
            for violation in failure.violations:
                if violation.clause.id in self.pending:
                    self.repeats[violation.clause.id] += 1
                else:
                    self.pending[violation.clause.id] = violation
        body = exchange.body if isinstance(exchange.body, dict) else {}
        total = body.get(self.contract.paging["total"])
        return Page(exchange, page_items(self.contract, exchange), total if isinstance(total, int) else None)

    def window(self, params: Mapping[str, str], limit: int, offset: int) -> Page:
        return self.page({**params, self.limit_name: str(limit), self.offset_name: str(offset)})

    def listing(
        self, params: Mapping[str, str] | None = None, clause_id: str = "R2.valid-accepted"
    ) -> Listing:
        """The one-page listing; a non-200 breaks `clause_id` (the clause the request relies on)."""
        listing = self._listing(params, clause_id, free_400_ok=False)
        assert listing is not None
        return listing

    def listing_unless_free_400(self, params: Mapping[str, str], clause_id: str) -> Listing | None:
        """As `listing`, but None for a 400 that R4 allows (a free string outside its documented format)."""
        return self._listing(params, clause_id, free_400_ok=True)

    def _listing(self, params: Mapping[str, str] | None, clause_id: str, free_400_ok: bool) -> Listing | None:
        params = dict(params or {})
        page = self.window(params, LISTING_CAP, 0)
        ex = page.exchange
        if free_400_ok and ex.status == 400 and classify(self.contract, ex.query).outside_format:
            return None
        if ex.status != 200 or page.total is None:
            self.target.verifier.expect(
                clause_id, False, f"status 200 with a listing for {params}", f"status {ex.status}", ex
            )
        return Listing(params, page.total or 0, page.items)

    def fingerprint(self) -> tuple:
        """What must hold still: total and the SET of groups (an order change is a verdict, not a change)."""
        listing = self.listing()
        return listing.total, frozenset(
            (*self.key(i), i.get("update_at"), i.get("version_count")) for i in listing.items
        )

    def _with_repeats(self, violation: ClauseViolation) -> str:
        more = self.repeats[violation.clause.id]
        return f"{violation}\n  (broken by {more} more response(s) of this check)" if more else str(violation)

    def stable(self, clause_ids: list[str], check: Callable[[], None]) -> None:
        """Run a multi-request check; if the data changed meanwhile, run it once more, then give up.

        Verdicts go to the ledger only from an attempt during which the data held still.
        """
        verifier = self.target.verifier
        for _ in range(2):
            with verifier.buffered() as book:
                before = self.fingerprint()
                self.pending.clear()
                self.repeats.clear()
                failures: list[str] = []
                try:
                    check()
                except AssertionError as exc:
                    failures.append(str(exc))
                after = self.fingerprint()
                failures[:0] = [self._with_repeats(v) for v in self.pending.values()]
            if before == after:
                verifier.ledger.merge(book)
                if failures:
                    raise AssertionError("\n\n".join(dict.fromkeys(failures)))
                return
        for clause_id in clause_ids:
            verifier.ledger.changed(clause_id)
        raise DataChanged(
            self.contract.clause(clause_ids[0]), "total or listing differed before and after, twice"
        )
