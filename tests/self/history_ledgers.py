"""Hand-made ledgers for the compare and history self-tests: a verdict per clause, as the plugin
would have recorded it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FAILURE = {
    "request": "curl -sS 'http://127.0.0.1/v1/p/images/group'",
    "expected": "pages in [1]",
    "actual": "pages == 0",
}


KNOWN_ENTRY = {"reason": "tracked as MA-1", "link": None, "expires": "2027-01-31"}


def record(verdict: str, actual: str = "pages == 0") -> dict[str, Any]:
    broken = verdict in ("broken", "known")  # known: broken, and in the run's baseline
    return {
        "exercised": 0 if verdict == "not exercised" else 4,
        "broken": 2 if broken else 0,
        "data_changed": 1 if verdict == "data changed" else 0,
        "first_failure": {**FAILURE, "actual": actual} if broken else None,
        "tests": ["contract/test_generated.py::test_generated_request"],
        "broken_by": {},
    }


def ledger(
    verdicts: dict[str, str],
    *,
    sent: int | None = 438,
    written: str | None = "2026-12-01T02:00:00Z",
    timings: dict[str, float] | None = None,
    actual: str = "pages == 0",
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schema_version": 1,
        "clauses": {cid: record(v, actual) for cid, v in verdicts.items()},
        "exitstatus": 1 if "broken" in verdicts.values() else 0,
    }
    known = {cid: KNOWN_ENTRY for cid, v in verdicts.items() if v == "known"}
    if known:
        document["baseline"] = {"file": "known.yml", "known": known, "expired": {}, "fixed": [], "new": []}
    if written is not None:
        document["written"] = written
    if sent is not None:
        document["transport"] = {"sent": sent, "retries": 0}
    if timings is not None:
        document["timings"] = timings
    return document


def write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
