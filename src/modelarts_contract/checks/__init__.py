"""Checks of the contract's clauses, one module per family.

A check reads an `Exchange` (what was sent and what came back) and the `Contract` (the spec), and
raises `ClauseViolation` naming the clause, the request as a redacted, runnable command, and
expected vs actual. The `Ledger` counts, per clause, how often it was exercised and broken.
"""

from modelarts_contract.checks.core import (
    ClauseViolation,
    DataChanged,
    Exchange,
    Ledger,
    Verifier,
    ledger,
)

__all__ = ["ClauseViolation", "DataChanged", "Exchange", "Ledger", "Verifier", "ledger"]
