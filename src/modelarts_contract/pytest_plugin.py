"""pytest wiring: options to config, the target, the preflight, stops, redaction and the summary.

With no base URL the suite starts the reference server on a free loopback port and points itself at
it, so `python -m pytest tests/contract` works on a fresh machine with nothing else running.
Exit statuses: see `modelarts_contract.environment` (6 environment, 7 budget spent).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from modelarts_contract.checks.core import ledger
from modelarts_contract.config import ENVIRONMENT, ConfigError, SuiteConfig
from modelarts_contract.environment import EXIT_BUDGET, EXIT_ENVIRONMENT
from modelarts_contract.preflight import preflight
from modelarts_contract.redact import Redactor
from modelarts_contract.spec import load_contract
from modelarts_contract.target import Target
from modelarts_contract.transport import BudgetExhausted, SuiteStop, TargetUnreachable, fence

_HELP = {
    "base_url": "base URL of the target, e.g. https://modelarts.eu-de.otc.t-systems.com (none: embedded server)",
    "project_id": "project id whose image groups are listed",
    "auth_token": "IAM token sent as X-Auth-Token (prefer the environment variable)",
    "other_project_id": "a project the credentials may NOT read (default: a made-up id)",
    "max_requests": "request budget for the whole run, retries and preflight included (default 2000)",
    "rate_limit": "pace, e.g. 10/s or 300/m, or none (default 10/s against a remote target, none embedded)",
    "request_timeout": "seconds to wait for each response (default 10)",
    "ca_bundle": "CA bundle file for TLS verification (verification is always on)",
    "seed": "seed of the request generation (same seed, same requests)",
    "max_examples": "generated examples per generation phase",
    "strict_fields": "report undocumented response fields (R8 allows them)",
}
_NO_OPTION = {"ak", "sk"}  # secrets that only come from the environment
FALLBACK_OTHER_PROJECT = "0" * 31 + "1"
TARGET_FIXTURE = "target"


@dataclass
class _Run:
    """State of one pytest session (reset in pytest_configure)."""

    config: SuiteConfig | None = None
    target: Target | None = None
    embedded: bool = False
    stack: ExitStack = field(default_factory=ExitStack)
    redactor: Redactor = field(default_factory=Redactor)
    environment: str | None = None  # why the target became unusable
    budget_spent_in: str | None = None  # the test in which the budget ran out
    skipped_for_budget: int = 0
    stopped_at_start: bool = False  # the preflight failed: its exit message says it all


_run = _Run()


def active_config() -> SuiteConfig:
    """The run's configuration, for modules that need it at import (the schemathesis schema)."""
    if _run.config is None:
        return SuiteConfig.from_sources({}, {})
    return _run.config


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelarts", "ModelArts contract suite")
    for name, env in ENVIRONMENT.items():
        if name in _NO_OPTION:
            continue
        flag = "--" + name.replace("_", "-")
        group.addoption(flag, dest=f"modelarts_{name}", default=None, help=f"{_HELP[name]} [env {env}]")
    group.addoption(
        "--report-dir",
        dest="modelarts_report_dir",
        default=None,
        metavar="DIR",
        help="write ledger.json and the conformance report (Markdown, HTML) here",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _run
    _run.stack.close()
    _run = _Run()
    options = {name: config.getoption(f"modelarts_{name}", None) for name in ENVIRONMENT}
    try:
        _run.config = SuiteConfig.from_sources(options, os.environ)
    except ConfigError as exc:
        raise pytest.UsageError(f"modelarts-contract: {exc}") from None
    _run.redactor = Redactor(_run.config.secrets)


def pytest_unconfigure(config: pytest.Config) -> None:
    _run.stack.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    c = active_config()
    where = c.base_url or "embedded reference server"
    pace = f"{c.rate_per_second:g}/s" if c.rate_per_second else "none"
    tls = f"CA bundle {c.ca_bundle}" if c.ca_bundle else "system CAs"
    return [
        f"modelarts-contract: {where}, auth {c.auth_mode}, budget {c.max_requests}, pace {pace}, TLS {tls}"
    ]


def session_target() -> Target:
    """The run's one target, built on first use; every request to its origin obeys its guard."""
    if _run.target is None:
        config, contract = active_config(), load_contract()
        if config.base_url is not None:
            other = config.other_project_id or FALLBACK_OTHER_PROJECT
            target = Target(dataclasses.replace(config, other_project_id=other), contract)
        else:
            from modelarts_contract.reference import build_app, data, default_dataset, serve

            server = _run.stack.enter_context(serve(build_app(default_dataset())))
            embedded = dataclasses.replace(
                config,
                base_url=server.url,
                project_id=data.MAIN_PROJECT_ID,
                other_project_id=data.OTHER_PROJECT_ID,
                auth_token=None if config.ak else data.MAIN_TOKEN,
            )
            target, _run.embedded = Target(embedded, contract), True
        _run.stack.enter_context(fence(target.session.guard))
        _run.stack.callback(target.session.close)
        _run.target, _run.redactor = target, Redactor({*_run.redactor.secrets, *target.redactor.secrets})
    return _run.target


@pytest.fixture(scope="session")
def suite_config() -> SuiteConfig:
    return active_config()


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    yield session_target()


def _uses_target(item: pytest.Item) -> bool:
    return TARGET_FIXTURE in getattr(item, "fixturenames", ())


def pytest_collection_finish(session: pytest.Session) -> None:
    """Preflight once, before any test, so a broken environment is one message, not N failures."""
    if session.config.option.collectonly or not any(_uses_target(i) for i in session.items):
        return
    problem = preflight(session_target())
    if problem is not None:
        _run.environment, _run.stopped_at_start = problem, True
        pytest.exit(
            f"modelarts-contract: environment problem, nothing was checked: {problem}", EXIT_ENVIRONMENT
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _run.budget_spent_in is not None and _uses_target(item):
        _run.skipped_for_budget += 1
        pytest.skip(f"request budget exhausted ({active_config().max_requests} requests)")


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    leaves = _leaves(call.excinfo.value) if call.excinfo is not None else []
    stops = [leaf for leaf in leaves if isinstance(leaf, SuiteStop)]
    unreachable = next((s for s in stops if isinstance(s, TargetUnreachable)), None)
    if unreachable is not None:
        message = _run.redactor.text(str(unreachable))
        _run.environment = _run.environment or f"{message} (in {item.nodeid})"
        report.longrepr = f"environment problem, not a contract failure: {message}"
        item.session.shouldstop = f"modelarts-contract: the target became unusable: {message}"
    elif any(isinstance(s, BudgetExhausted) for s in stops):
        _run.budget_spent_in = _run.budget_spent_in or item.nodeid
        if len(stops) == len(leaves):  # nothing but the budget: not a verdict on the target
            report.outcome = "skipped"
            line = (item.location[1] or 0) + 1
            report.longrepr = (str(item.path), line, f"Skipped: request budget exhausted here: {stops[0]}")
    _redact(report)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    report = yield
    _redact(report)
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    _redact(report)  # schemathesis rewrites longrepr here, after makereport


def _redact(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Every report (terminal, JUnit XML, other plugins) passes here: no secret may survive it."""
    scrub = _run.redactor.scrub
    if isinstance(report.longrepr, tuple):
        path, line, message = report.longrepr
        report.longrepr = (path, line, scrub(message))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        clean = scrub(text)
        if clean != text:
            report.longrepr = clean
    report.sections = [(title, scrub(content)) for title, content in report.sections]


def _final_status(session: pytest.Session, exitstatus: int) -> int:
    if _run.environment is not None:
        return EXIT_ENVIRONMENT
    if _run.budget_spent_in is not None:
        return 1 if session.testsfailed else EXIT_BUDGET
    return int(exitstatus)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.exitstatus = _final_status(session, int(exitstatus))
    report_dir = session.config.getoption("modelarts_report_dir", None)
    if report_dir:
        extra = {"transport": dataclasses.asdict(_run.target.session.stats)} if _run.target else {}
        stop = _run.environment or (
            _run.budget_spent_in and f"request budget exhausted in {_run.budget_spent_in}"
        )
        ledger_path = Path(report_dir) / "ledger.json"
        ledger.dump(ledger_path, exitstatus=int(session.exitstatus), stopped=stop, **extra)
        from modelarts_contract.report import write_reports

        where = _run.target.base_url if _run.target else None
        write_reports(ledger_path, Path(report_dir), target=where)


def summary_lines() -> list[str]:
    records = ledger.as_dict()
    failed = sorted(cid for cid, rec in records.items() if rec["broken"])
    lines = [
        f"clauses checked: {len(records)}, failed: {len(failed)}"
        + (f" ({', '.join(failed)})" if failed else "")
    ]
    if _run.target is not None:
        s, session = _run.target.session.stats, _run.target.session
        lines.append(
            f"requests sent: {s.sent}, retries: {s.retries}, waited: {s.waited:.1f} s (Retry-After) "
            f"+ {s.paced:.1f} s (pace), refused: {s.refused}, budget left: {session.remaining} of {session.max_requests}"
        )
    changed = sorted(cid for cid, rec in records.items() if rec["data_changed"])
    if changed:
        lines.append(
            f"DATA CHANGED during the checks of {', '.join(changed)}: no verdict (the tests show as skipped)"
        )
    if _run.budget_spent_in is not None:
        lines.append(
            f"REQUEST BUDGET EXHAUSTED in {_run.budget_spent_in}; {_run.skipped_for_budget} more tests not run "
            "(the verdicts above stand; raise --max-requests / MODELARTS_MAX_REQUESTS to check everything)"
        )
    if _run.environment is not None and not _run.stopped_at_start:
        lines.append(f"ENVIRONMENT PROBLEM (exit {EXIT_ENVIRONMENT}): {_run.environment}")
    return lines


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if not ledger.as_dict() and _run.target is None:
        return
    terminalreporter.write_sep("-", "modelarts-contract")
    for line in summary_lines():
        terminalreporter.write_line(_run.redactor.scrub(line))
