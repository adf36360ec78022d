"""ledger.json on disk: its schema version, the one reader, and atomic writes.

The ledger is what a user keeps between runs (compare, history, the report rendered later), so it
carries a schema version and is read back with one clear line when it cannot be used. A ledger
written before the version existed ({"clauses": {...}} with no "schema_version") is version 1.
This module knows files and JSON only: the clause records are judged by the report's `validate`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelarts_contract.neutral import neutral

SCHEMA_VERSION = 1  # raise it when a reader of version 1 would misread the new document
VERSION_KEY = "schema_version"
WRITTEN_KEY = "written"  # when the ledger was written (UTC, ISO 8601): the order of runs
LEDGER_NAME = "ledger.json"


class LedgerError(ValueError):
    """The ledger is missing, not JSON, of another schema version, or not shaped like a ledger."""


def ledger_in(path: Path) -> Path:
    """A report directory's ledger.json, or the path itself when it is a file."""
    return path / LEDGER_NAME if path.is_dir() else path


def read_ledger(path: Path) -> dict[str, Any]:
    """The ledger document at `path` (a file or a report directory); LedgerError saying why not."""
    path = ledger_in(path)
    where = neutral(str(path))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LedgerError(f"{where}: no such ledger (a ledger.json or a --report-dir)") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LedgerError(f"{where}: not a readable JSON ledger ({neutral(str(exc))})") from None
    if not isinstance(document, dict) or not isinstance(document.get("clauses"), dict):
        raise LedgerError(f'{where}: not a ledger (expected a JSON object with a "clauses" object)')
    version = document.get(VERSION_KEY, 1)
    if type(version) is not int or version != SCHEMA_VERSION:
        raise LedgerError(
            f"{where}: ledger schema version {neutral(repr(version))[:40]}; this modelarts-contract "
            f"reads version {SCHEMA_VERSION} (a ledger of a newer suite needs that suite to read it)"
        )
    return document


def stamp() -> dict[str, Any]:
    """The keys every ledger carries beside its records: schema version and time written."""
    written = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {VERSION_KEY: SCHEMA_VERSION, WRITTEN_KEY: written}


def written_at(document: dict[str, Any]) -> datetime | None:
    """When the ledger was written; None for a ledger from before the stamp (or a garbled one)."""
    value = document.get(WRITTEN_KEY)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
