"""What a scheduled run adds to the pytest wiring: the baseline of known breakage (--baseline,
--baseline-update) and the user's response-time objective (--max-response-time).

Each function is one call from pytest_plugin.py; the rules live in baseline.py and timings.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelarts_contract.baseline import (
    OPTION,
    UPDATE_OPTION,
    Baseline,
    judge,
    known_failure,
    load_baseline,
    verdicts_of,
    write_update,
)
from modelarts_contract.config import ConfigError
from modelarts_contract.contract import load_contract
from modelarts_contract.run import Run
from modelarts_contract.timings import SLO_ID, SLO_OPTION, ResponseTimeError, parse_limit

UPDATE_KEY = pytest.StashKey[str]()  # the line --baseline-update's writing left for the summary


@dataclass(frozen=True)
class NightlyOptions:
    baseline: Baseline | None
    update: bool
    max_response_time: float | None


def add_options(group: pytest.OptionGroup) -> None:
    group.addoption(
        OPTION,
        dest="modelarts_baseline",
        default=None,
        metavar="FILE",
        help="YAML file of known breakage (clause, reason, link, expires): a known clause that breaks "
        "is reported as known, not failed; exit 1 only for new breakage or an expired entry",
    )
    group.addoption(
        UPDATE_OPTION,
        dest="modelarts_baseline_update",
        action="store_true",
        default=False,
        help=f"write this run's broken clauses into the {OPTION} file, keeping the reasons",
    )
    group.addoption(
        SLO_OPTION,
        dest="modelarts_max_response_time",
        default=None,
        metavar="SECONDS",
        help=f"your service-level objective: an answer slower than this fails {SLO_ID}, a clause of "
        "its own, not of the contract (default: off)",
    )


def read_options(config: pytest.Config) -> NightlyOptions:
    """The options, checked before any request; ConfigError (exit 4) naming the file and line."""
    update = bool(config.getoption("modelarts_baseline_update", False))
    path = config.getoption("modelarts_baseline", None)
    if update and not path:
        raise ConfigError(f"{UPDATE_OPTION} needs {OPTION} FILE: the file to write")
    try:
        limit = parse_limit(config.getoption("modelarts_max_response_time", None))
    except ResponseTimeError as exc:
        raise ConfigError(str(exc)) from None
    if not path:
        return NightlyOptions(None, update, limit)
    ids = {*load_contract().clauses, SLO_ID}  # an entry for anything else is a typo
    return NightlyOptions(load_baseline(Path(path), ids, missing_ok=update), update, limit)


def apply(run: Run, options: NightlyOptions) -> None:
    run.baseline = options.baseline
    run.outcome.times.limit = options.max_response_time


def known_breakage(run: Run, errors: list[BaseException]) -> str | None:
    """The skip message of a failed test that broke only known clauses (None: it stays failed)."""
    return known_failure(run.baseline.active(), errors) if run.baseline is not None else None


def skip_known(report: pytest.TestReport, item: pytest.Item, note: str) -> None:
    """A failed test of known breakage becomes a skip that says why (terminal, JUnit)."""
    report.outcome = "skipped"
    report.longrepr = (str(item.path), (item.location[1] or 0) + 1, f"Skipped: {note}")


def beyond_baseline(run: Run) -> dict[str, Any]:
    """The run's clause records less those of known clauses (the preflight's findings, say)."""
    known = run.baseline.active() if run.baseline is not None else {}
    return {cid: record for cid, record in run.outcome.ledger.as_dict().items() if cid not in known}


def final_status(run: Run, status: int) -> int:
    """A run that would otherwise pass fails on an expired baseline entry, or on the response-time
    objective broken (and not known) where no test could fail for it (the preflight's answer)."""
    if status != 0:
        return status
    slo = run.outcome.times.record_for_ledger().get("slo")
    verdicts = verdicts_of(run.outcome.ledger.as_dict(), slo)
    if run.baseline is None:
        return 1 if verdicts.get(SLO_ID) == "broken" else status
    judged = judge(run.baseline, verdicts)
    return 1 if judged.expired or SLO_ID in judged.new else status


def update_baseline(config: pytest.Config, run: Run) -> None:
    """With --baseline-update, the baseline file rewritten from this run; the summary says so."""
    if run.baseline is None or not config.getoption("modelarts_baseline_update", False):
        return
    slo = run.outcome.times.record_for_ledger().get("slo")
    config.stash[UPDATE_KEY] = write_update(run.baseline, verdicts_of(run.outcome.ledger.as_dict(), slo))


def with_update_line(config: pytest.Config, lines: list[str]) -> list[str]:
    """The summary's lines with what --baseline-update wrote, before the verdict line (the last)."""
    if UPDATE_KEY not in config.stash:
        return lines
    return [*lines[:-1], config.stash[UPDATE_KEY], *lines[-1:]]
