"""pytest wiring: options to config, the target, the preflight, stops, redaction and the summary.

With no base URL the suite starts the reference server on a free loopback port and points itself at
it, so `python -m pytest tests/contract` works on a fresh machine with nothing else running.
Run state lives in the pytest config's stash (`run_of(config)`), never in module globals, so that
several sessions can run in one process (the variant harness does) and xdist workers each have
their own. Exit statuses: see `modelarts_contract.environment` (6 environment, 7 a limit reached).
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pluggy
import pytest
from schemathesis.pytest.plugin import SchemathesisCase

from modelarts_contract import generation, hooks, nightly, summary
from modelarts_contract.config import ConfigError, SuiteConfig
from modelarts_contract.environment import EXIT_ENVIRONMENT, EXIT_INCOMPLETE
from modelarts_contract.junit import write_usage_error
from modelarts_contract.neutral import neutral
from modelarts_contract.options import OPTION, OPTIONS
from modelarts_contract.outputs import output_problems
from modelarts_contract.preflight import PREFLIGHT_TEST, preflight_findings
from modelarts_contract.run import Run, RunOutcome, redact_report
from modelarts_contract.stops import LimitReached, SuiteStop, TargetUnreachable
from modelarts_contract.target import Target
from modelarts_contract.variants import plugin as catalogue_plugin

TARGET_FIXTURE = "target"
RUN_KEY = pytest.StashKey[Run]()
FINDINGS_KEY = pytest.StashKey[str]()
DESELECTED_KEY = pytest.StashKey[int]()
STATUS_KEY = pytest.StashKey[int]()
WORKER_KEY = "modelarts_contract"  # in xdist's workerinput / workeroutput


def run_of(config: pytest.Config) -> Run:
    """The run of this pytest session."""
    return config.stash[RUN_KEY]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """The catalogue reaches the run through a hook (docs/architecture.md, Layers), not an import."""
    pluginmanager.add_hookspecs(hooks)
    pluginmanager.register(catalogue_plugin, catalogue_plugin.NAME)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelarts", "ModelArts contract suite")
    for option in OPTIONS:  # one row each (modelarts_contract.options)
        if option.command_line:
            help_text = f"{option.help} [env {option.env}]"
            group.addoption(option.flag, dest=f"modelarts_{option.name}", default=None, help=help_text)
    group.addoption(
        "--report-dir",
        dest="modelarts_report_dir",
        default=None,
        metavar="DIR",
        help="write ledger.json and the conformance report (conformance.md, conformance.html) here",
    )
    nightly.add_options(group)  # --baseline, --baseline-update, --max-response-time


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    options = {option.name: config.getoption(f"modelarts_{option.name}", None) for option in OPTIONS}
    try:
        suite_config = SuiteConfig.from_sources(options)
        extras = nightly.read_options(config)
    except ConfigError as exc:
        if config.option.xmlpath and not _is_worker(config):  # a CI dashboard shows why, not a missing file
            write_usage_error(Path(config.option.xmlpath), str(exc))
        raise pytest.UsageError(f"modelarts-contract: {exc}") from None
    if not _is_worker(config):  # before any request: a verdict must not be lost to an unusable path
        unusable = output_problems(
            config.getoption("modelarts_report_dir", None), getattr(config.option, "xmlpath", None)
        )
        if unusable:
            raise pytest.UsageError("modelarts-contract: " + "; ".join(neutral(p) for p in unusable))
    # xdist sets workerinput on a worker's config; pytest's types do not know it.
    shared = config.workerinput.get(WORKER_KEY) if _is_worker(config) else None  # type: ignore[attr-defined]
    config.stash[RUN_KEY] = Run(suite_config, shared=shared, catalogue=_catalogue(config, suite_config))
    nightly.apply(run_of(config), extras)


def _catalogue(config: pytest.Config, suite_config: SuiteConfig) -> hooks.Catalogue | None:
    """The variant catalogue, as the hook answers; a --reference-variant it lacks is a usage error."""
    catalogue: hooks.Catalogue | None = config.hook.pytest_modelarts_variant_catalogue()
    name = suite_config.reference_variant
    if name is not None and name not in (catalogue or {}):
        close = difflib.get_close_matches(name, list(catalogue or {}), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        known = "python -m modelarts_contract.matrix --list shows them all" if catalogue else "no catalogue"
        raise pytest.UsageError(
            f"modelarts-contract: {OPTION['reference_variant'].label}: no variant {name!r}; {hint}{known}"
        )
    return catalogue


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN_KEY in config.stash:
        run_of(config).close()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: every worker shares this run's budget and pace."""
    node.workerinput[WORKER_KEY] = run_of(node.config).shared_for_workers()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist controller: merge what a worker found."""
    output = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if output is not None:
        run_of(node.config).outcome.merge(RunOutcome.from_dict(output))


def pytest_report_header(config: pytest.Config) -> list[str]:
    return summary.header_lines(run_of(config))


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The target under test; every request to its origin obeys the run's guard."""
    return run_of(request.config).target()


@pytest.fixture(scope="session")
def suite_config(request: pytest.FixtureRequest) -> SuiteConfig:
    """The run's validated options, for users' own tests."""
    return run_of(request.config).config


def _uses_target(item: pytest.Item) -> bool:
    return TARGET_FIXTURE in getattr(item, "fixturenames", ())


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_pycollect_makeitem(
    collector: pytest.Collector, name: str, obj: object
) -> Generator[None, pluggy.Result[object], None]:
    """Generated tests get a schema configured for this run (seed, examples), not an import-time one."""
    outcome = yield
    result = outcome.get_result()
    if isinstance(result, SchemathesisCase) and generation.is_placeholder(result.schema):
        result.schema = generation.load_schema(run_of(collector.config).config)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Preflight once, before any test, so a broken environment is one message, not N failures."""
    if session.config.option.collectonly or not any(_uses_target(i) for i in session.items):
        return
    run = run_of(session.config)
    stop = run.preflight()
    if stop is not None and not _is_worker(session.config):
        # Nothing to run: the stop's error test case and the verdict line say why, once each
        # (pytest.exit would print it a third time, as _pytest.outcomes.Exit). pytest_sessionfinish
        # sets the suite's own status, 6 or 7.
        session.items.clear()


def _report_preflight(session: pytest.Session, run: Run) -> None:
    """The clauses the first request broke, as a failed test case of their own (terminal, JUnit);
    logged at the end, since a failure logged before the tests would read as a collection error."""
    findings = preflight_findings(nightly.beyond_baseline(run))  # a known clause is no finding
    if findings is None:
        return
    report = pytest.TestReport(
        nodeid=PREFLIGHT_TEST,
        location=("modelarts-contract", None, "preflight"),
        keywords={},
        outcome="failed",
        longrepr=run.redactor.scrub(findings),
        when="call",
    )
    session.config.hook.pytest_runtest_logreport(report=report)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not _uses_target(item):
        return
    run = run_of(item.config)
    if run.outcome.environment is not None:
        item.session.shouldstop = "modelarts-contract: environment problem"
        pytest.skip(f"environment problem, nothing checked: {run.outcome.environment}")
    if run.outcome.stopped_at_start or run.limit_reached():
        run.outcome.skipped_for_limit += 1
        pytest.skip(f"not run: {run.outcome.limit or 'a limit of the run is reached'}")
    run.verifier_test(item.nodeid)


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    run = run_of(item.config)
    leaves = _leaves(call.excinfo.value) if call.excinfo is not None else []
    stops = [leaf for leaf in leaves if isinstance(leaf, SuiteStop)]
    unreachable = next((s for s in stops if isinstance(s, TargetUnreachable)), None)
    if unreachable is not None:
        message = run.redactor.text(str(unreachable))
        run.outcome.environment = run.outcome.environment or f"{message} (in {item.nodeid})"
        report.longrepr = f"environment problem, not a contract failure: {message}"
        item.session.shouldstop = f"modelarts-contract: the target became unusable: {message}"
    elif limits := [s for s in stops if isinstance(s, LimitReached)]:
        run.outcome.reached(limits[0], item.nodeid)
        if len(stops) == len(leaves):  # nothing but a limit: not a verdict on the target
            report.outcome = "skipped"
            line = (item.location[1] or 0) + 1
            report.longrepr = (str(item.path), line, f"Skipped: stopped here: {limits[0]}")
    elif report.failed and (known := nightly.known_breakage(run, leaves)) is not None:
        nightly.skip_known(report, item, known)  # skipped with the entry's reason, never passed
    elif (
        report.failed
        and (findings := summary.findings(run.told, run.outcome.ledger.as_dict(), item.nodeid, leaves))
        is not None
    ):
        report.longrepr = findings  # the clauses it broke, not the frames of schemathesis or hypothesis
        item.stash[FINDINGS_KEY] = findings
    redact_report(run.redactor, report)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    redact_report(run_of(collector.config).redactor, report)
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(
    node: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
) -> None:
    redact_report(
        run_of(node.config).redactor, report
    )  # schemathesis rewrites longrepr here, after makereport


def _subset(session: pytest.Session) -> str | None:
    """Which of pytest's selections narrowed the run, if any: a report must not read as the whole suite."""
    option = session.config.option
    lastfailed = getattr(session.config.pluginmanager.get_plugin("lfplugin"), "lastfailed", None)
    chosen = [
        f"-k {option.keyword!r}" if getattr(option, "keyword", "") else "",
        f"-m {option.markexpr!r}" if getattr(option, "markexpr", "") else "",
        "--lf" if getattr(option, "lf", False) and lastfailed else "",
        "test ids given" if any("::" in str(arg) for arg in session.config.args) else "",
        f"{session.config.stash.get(DESELECTED_KEY, 0)} tests deselected"
        if DESELECTED_KEY in session.config.stash
        else "",
    ]
    return ", ".join(c for c in chosen if c) or None


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        config = items[0].config
        config.stash[DESELECTED_KEY] = config.stash.get(DESELECTED_KEY, 0) + len(items)


def _final_status(run: Run, session: pytest.Session, exitstatus: int) -> int:
    if run.outcome.environment is not None:
        return EXIT_ENVIRONMENT
    if run.outcome.cut_short():
        return 1 if session.testsfailed else EXIT_INCOMPLETE
    if exitstatus == 0 and preflight_findings(nightly.beyond_baseline(run)):  # xdist: a worker's preflight
        return 1
    return exitstatus


def _report_stop(session: pytest.Session, run: Run) -> None:
    """Exit 6 or 7 still leave a test case that names the cause (JUnit XML, the terminal's errors):
    a CI dashboard then shows why nothing, or not everything, was checked."""
    if run.outcome.environment is not None:
        kind, cause = (
            "environment",
            f"environment problem, nothing checked after it: {run.outcome.environment}",
        )
    elif run.outcome.cut_short():
        kind, cause = (
            run.outcome.limit_kind or "request-budget",
            run.outcome.limit_line(run.config.max_requests),
        )
    else:
        return
    report = pytest.TestReport(
        nodeid=f"modelarts-contract::{kind}",
        location=("modelarts-contract", None, kind),
        keywords={},
        outcome="failed",
        longrepr=run.redactor.scrub(cause),
        when="setup",  # a setup failure: an error, not a test failure, in every report
    )
    session.testscollected += 1  # the stop's test case counts: the progress ends at 100 %, not 104 %
    session.config.hook.pytest_runtest_logreport(report=report)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    run = run_of(config)
    if _is_worker(config):
        config.workeroutput[WORKER_KEY] = run.outcome.as_dict()  # type: ignore[attr-defined]  # set by xdist
        return
    if not run.outcome.involved:
        return
    run.subset = _subset(session)
    status = nightly.final_status(run, _final_status(run, session, int(exitstatus)))
    if status in (EXIT_ENVIRONMENT, EXIT_INCOMPLETE):
        _report_stop(session, run)
    _report_preflight(session, run)
    session.exitstatus = config.stash[STATUS_KEY] = status
    nightly.update_baseline(config, run)  # --baseline-update
    report_dir = config.getoption("modelarts_report_dir", None)
    if report_dir:
        for problem in run.write_reports(Path(report_dir), status):  # the verdict stands
            sys.stderr.write(neutral(problem) + "\n")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    run = run_of(config)
    if _is_worker(config) or not run.outcome.involved:
        return
    terminalreporter.write_sep("-", "modelarts-contract")
    lines = summary.summary_lines(run, config.stash.get(STATUS_KEY, int(exitstatus)))
    for line in nightly.with_update_line(config, lines):
        terminalreporter.write_line(neutral(run.redactor.scrub(line)))
