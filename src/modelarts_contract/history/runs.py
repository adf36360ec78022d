"""Runs as compare and history see them: one per ledger, with a verdict per clause.

Each ledger is read by the one reader (`ledger_file.read_ledger`) and its clause records judged by
the report's `verdict`, so a clause has the same verdict here as on the run's conformance page.
Response times are optional: a ledger with a "timings" record ({"p50": s, "p95": s, "max": s},
seconds) gets them compared and plotted; one without has none, and nothing is made up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelarts_contract.ledger_file import LEDGER_NAME, LedgerError, read_ledger, written_at
from modelarts_contract.neutral import neutral
from modelarts_contract.report.model import BROKEN, KNOWN, NOT_EXERCISED, validate, verdict

TIMING_KEYS = ("p50", "p95", "max")


@dataclass(frozen=True)
class Timings:
    """Response times of a run, in seconds."""

    p50: float
    p95: float
    max: float


@dataclass(frozen=True)
class Run:
    path: Path
    written: datetime | None  # None: a ledger from before the stamp, ordered by the file's time
    verdicts: dict[str, str]  # clause id -> verdict (held, broken, data changed, not exercised)
    first_actual: dict[str, str]  # clause id -> what the first failure got (target's words)
    requests: int | None  # transport.sent; None when the ledger does not say
    timings: Timings | None
    exitstatus: int | None

    def verdict(self, clause_id: str) -> str:
        return self.verdicts.get(clause_id, NOT_EXERCISED)

    @property
    def when(self) -> str:
        return self.written.strftime("%Y-%m-%d %H:%M UTC") if self.written else "time unknown"

    @property
    def name(self) -> str:
        """The path as a terminal or a page may show it."""
        return neutral(str(self.path))


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer longer than a float holds
        return None
    return number if math.isfinite(number) and number >= 0 else None


def read_timings(document: Mapping[str, Any]) -> Timings | None:
    """The run's response times, when its ledger records them (all three, as numbers)."""
    record = document.get("timings")
    if not isinstance(record, dict):
        return None
    values = [v for v in (_seconds(record.get(k)) for k in TIMING_KEYS) if v is not None]
    return Timings(*values) if len(values) == len(TIMING_KEYS) else None


def _requests(document: Mapping[str, Any]) -> int | None:
    transport = document.get("transport")
    sent = transport.get("sent") if isinstance(transport, dict) else None
    return sent if type(sent) is int and sent >= 0 else None


def load_run(path: Path) -> Run:
    """The run whose ledger is at `path` (a file or a report directory); LedgerError when unusable."""
    document = read_ledger(path)
    try:
        records = validate(document)
    except LedgerError as exc:
        raise LedgerError(f"{neutral(str(path))}: {exc}") from None
    failures = {
        cid: r["first_failure"].get("actual", "") for cid, r in records.items() if r.get("first_failure")
    }
    status = document.get("exitstatus")
    return Run(
        path=path,
        written=written_at(document),
        verdicts={cid: _known(verdict(record), cid, document) for cid, record in records.items()},
        first_actual=failures,
        requests=_requests(document),
        timings=read_timings(document),
        exitstatus=status if type(status) is int else None,
    )


def _known(found: str, clause_id: str, document: Mapping[str, Any]) -> str:
    """A broken clause the run's baseline knew (the ledger's "baseline" record) is known."""
    record = document.get("baseline")
    known = record.get("known") if isinstance(record, dict) else None
    return KNOWN if found == BROKEN and isinstance(known, dict) and clause_id in known else found


def find_ledgers(folder: Path) -> list[Path]:
    """The ledgers a folder holds: its own ledger.json (a report directory), or else its *.json
    files and its subfolders' ledger.json (a folder of ledgers, or of report directories)."""
    if not folder.is_dir():
        return [folder]  # a ledger named directly
    if (folder / LEDGER_NAME).is_file():
        return [folder / LEDGER_NAME]
    found = [p for p in folder.glob("*.json") if p.is_file()]
    found += [p for p in folder.glob(f"*/{LEDGER_NAME}") if p.is_file()]
    return sorted(found)


def _order(run: Run) -> tuple[float, str]:
    moment = run.written or datetime.fromtimestamp(run.path.stat().st_mtime, UTC)
    return moment.timestamp(), str(run.path)


def load_runs(folders: Iterable[Path]) -> list[Run]:
    """Every run in the folders, oldest first; LedgerError for a folder without a ledger or an
    unreadable ledger (one line, naming the file)."""
    paths: list[Path] = []
    for folder in folders:
        found = find_ledgers(folder)
        if not found:
            raise LedgerError(f"{neutral(str(folder))}: no ledger.json and no *.json ledgers in it")
        paths += found
    runs = [load_run(path) for path in dict.fromkeys(paths)]
    return sorted(runs, key=_order)
