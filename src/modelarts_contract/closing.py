"""How a run ends, told to pytest: its exit status, the error case that names a stop (exit 6 or 7),
the failed case of the clauses the first request broke, and which selection narrowed the run."""

from __future__ import annotations

import pytest

from modelarts_contract import nightly
from modelarts_contract.environment import EXIT_ENVIRONMENT, EXIT_INCOMPLETE
from modelarts_contract.preflight import PREFLIGHT_TEST, preflight_findings
from modelarts_contract.run import Run


def final_status(run: Run, session: pytest.Session, exitstatus: int) -> int:
    if run.outcome.environment is not None:
        return EXIT_ENVIRONMENT
    if run.outcome.cut_short():
        return 1 if session.testsfailed else EXIT_INCOMPLETE
    if exitstatus == 0 and preflight_findings(nightly.beyond_baseline(run)):  # xdist: a worker's preflight
        return 1
    return exitstatus


def report_stop(session: pytest.Session, run: Run) -> None:
    """Exit 6 or 7 still leave a test case that names the cause (JUnit XML, the terminal's errors):
    a CI dashboard then shows why nothing, or not everything, was checked."""
    if run.outcome.environment is not None:
        kind = "environment"
        cause = f"environment problem, nothing checked after it: {run.outcome.environment}"
    elif run.outcome.cut_short():
        kind = run.outcome.limit_kind or "request-budget"
        cause = run.outcome.limit_line(run.config.max_requests)
    else:
        return
    # A setup failure: an error, not a test failure, in every report.
    _log_case(session, f"modelarts-contract::{kind}", kind, run.redactor.scrub(cause), "setup")


def report_preflight(session: pytest.Session, run: Run) -> None:
    """The clauses the first request broke, as a failed test case of their own (terminal, JUnit);
    logged at the end, since a failure logged before the tests would read as a collection error."""
    findings = preflight_findings(nightly.beyond_baseline(run))  # a known clause is no finding
    if findings is not None:
        _log_case(session, PREFLIGHT_TEST, "preflight", run.redactor.scrub(findings), "call")


def _log_case(session: pytest.Session, nodeid: str, name: str, text: str, when: str) -> None:
    report = pytest.TestReport(
        nodeid=nodeid,
        location=("modelarts-contract", None, name),
        keywords={},
        outcome="failed",
        longrepr=text,
        when=when,  # type: ignore[arg-type]  # "setup" or "call", as pytest's Literal says
    )
    session.testscollected += 1  # the case counts: the progress ends at 100 %, not past it
    session.config.hook.pytest_runtest_logreport(report=report)


def subset(session: pytest.Session, deselected: int | None) -> str | None:
    """Which of pytest's selections narrowed the run, if any: a report must not read as the whole suite."""
    option = session.config.option
    lastfailed = getattr(session.config.pluginmanager.get_plugin("lfplugin"), "lastfailed", None)
    chosen = [
        f"-k {option.keyword!r}" if getattr(option, "keyword", "") else "",
        f"-m {option.markexpr!r}" if getattr(option, "markexpr", "") else "",
        "--lf" if getattr(option, "lf", False) and lastfailed else "",
        "test ids given" if any("::" in str(arg) for arg in session.config.args) else "",
        f"{deselected} tests deselected" if deselected is not None else "",
    ]
    return ", ".join(c for c in chosen if c) or None
