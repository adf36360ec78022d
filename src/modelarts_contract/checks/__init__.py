"""Checks of the contract's clauses, one module per family.

A check reads an `Exchange` (what was sent and what came back) and the `Contract` (the spec), and
raises `ClauseViolation` naming the clause, the request as a redacted, runnable command, and
expected vs actual. Each check declares the clauses it judges (`registry`); importing this package
registers them all. The `Ledger` counts, per clause, how often it was exercised and broken.
"""

# Imported to register their checks, in the order a failing response reports its clauses.
# isort: off
from modelarts_contract.checks import status, bodies, plausibility, paging, filters, sorting  # noqa: F401
from modelarts_contract.checks import auth, listing, relations, edge_relations  # noqa: F401
from modelarts_contract.checks import near_miss, paging_words, stability, filter_near_miss  # noqa: F401

# isort: on
from modelarts_contract.checks.core import (
    ClauseViolation,
    DataChanged,
    Exchange,
    Ledger,
    UndeclaredClause,
    Verifier,
)

__all__ = ["ClauseViolation", "DataChanged", "Exchange", "Ledger", "UndeclaredClause", "Verifier"]
